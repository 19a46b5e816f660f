# MatteFormer from a SimMIM self-supervised Swin-T (Table 3):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/simmim_swin-t_in1k.pth \
#       checkpoints/simmim_swin-t_in1k_matteformer.pth \
#       --model matteformer --source simmim
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-simmim_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/simmim_swin-t_in1k_matteformer.pth'
