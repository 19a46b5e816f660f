# MatteFormer from a MoBY self-supervised Swin-T (Table 3):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/moby_swin_t_300ep_pretrained.pth \
#       checkpoints/moby_swin-t_in1k_matteformer.pth \
#       --model matteformer --source moby
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-moby_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/moby_swin-t_in1k_matteformer.pth'
