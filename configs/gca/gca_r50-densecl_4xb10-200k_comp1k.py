# GCA R50 from DenseCL ImageNet weights (Table 8):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/densecl_r50_imagenet_200ep.pth \
#       checkpoints/densecl_r50_in1k_gca-r50.pth \
#       --model gca_r50 --source densecl
_base_ = './gca_r50-supervised_4xb10-200k_comp1k.py'

experiment_name = 'gca_r50-densecl_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/densecl_r50_in1k_gca-r50.pth'
