# MG Matting (trimap input) on Distinctions-646 (an extra: the paper's
# Table 2 rows test Composition-1k models, see *_d646-test.py) initialised
# from the ImageNet-supervised ResNet-34-D; the
# checkpoint is the one of mgmatting_r34-supervised_4xb10-200k_comp1k.py
# (see there how to make it).
_base_ = './mgmatting_r34-random_4xb10-200k_d646.py'

experiment_name = 'mgmatting_r34-supervised_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/resnet34d_in1k_mgmatting.pth'
