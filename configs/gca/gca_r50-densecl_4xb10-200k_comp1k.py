# GCA Matting with a ResNet-50 encoder initialised from DenseCL
# self-supervised ImageNet weights (DPT Table 8). Make the checkpoint from
# the published DenseCL ResNet-50 (WXinlong/DenseCL,
# densecl_r50_imagenet_200ep.pth), an official DenseCL training checkpoint
# or mmpretrain's densecl_resnet50_8xb32-coslr-200e_in1k (the query
# backbone is kept; neck, key encoder and queues are reported as dropped):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/densecl_r50_imagenet_200ep.pth \
#       checkpoints/densecl_r50_in1k_gca-r50.pth \
#       --model gca_r50 --source densecl
_base_ = './gca_r50-supervised_4xb10-200k_comp1k.py'

experiment_name = 'gca_r50-densecl_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/densecl_r50_in1k_gca-r50.pth'
