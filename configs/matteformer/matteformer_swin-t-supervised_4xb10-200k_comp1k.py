# MatteFormer initialised from supervised ImageNet-1k Swin-T, as the
# official MatteFormer (DPT paper: MatteFormer in Table 1, the supervised
# rows of Tables 3, 4 and 6). Make the
# checkpoint from the official Swin release (swin_tiny_patch4_window7_224.pth)
# or an mmpretrain Swin-T checkpoint: 6-channel patch embedding and
# relative-position tables extended for the prior tokens
# (dpt_mm.models.converters.matteformer.convert_supervised):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/swin_tiny_patch4_window7_224.pth \
#       checkpoints/swin-t_in1k_matteformer.pth --model matteformer
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-supervised_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/swin-t_in1k_matteformer.pth'
