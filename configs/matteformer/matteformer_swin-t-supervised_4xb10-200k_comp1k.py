# MatteFormer from the supervised ImageNet-1k Swin-T (the official recipe):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/swin_tiny_patch4_window7_224.pth \
#       checkpoints/swin-t_in1k_matteformer.pth --model matteformer
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-supervised_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/swin-t_in1k_matteformer.pth'
