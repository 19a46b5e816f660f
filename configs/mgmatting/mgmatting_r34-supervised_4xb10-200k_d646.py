# MG Matting R34 on Distinctions-646 from the ImageNet-supervised
# ResNet-34-D (checkpoint: see mgmatting_r34-supervised_4xb10-200k_comp1k.py).
_base_ = './mgmatting_r34-random_4xb10-200k_d646.py'

experiment_name = 'mgmatting_r34-supervised_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/resnet34d_in1k_mgmatting.pth'
