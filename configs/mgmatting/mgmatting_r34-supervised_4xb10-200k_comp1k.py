# MG Matting R34 from GCA-Matting's ImageNet-supervised ResNet-34-D:
#   python tools/model_converters/supervised2finetune.py --model mgmatting \
#       model_best_resnet34_En_nomixup.pth \
#       checkpoints/resnet34d_in1k_mgmatting.pth
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-supervised_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/resnet34d_in1k_mgmatting.pth'
