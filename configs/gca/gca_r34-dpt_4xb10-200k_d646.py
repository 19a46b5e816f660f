# GCA Matting (ResNet-34-D) on Distinctions-646 (an extra: the paper's
# Table 2 rows test Composition-1k models, see *_d646-test.py) initialised
# with the DPT pre-trained encoder; the checkpoint is
# the one of gca_r34-dpt_4xb10-200k_comp1k.py (see there how to make it).
_base_ = './gca_r34-random_4xb10-200k_d646.py'

experiment_name = 'gca_r34-dpt_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r34-gca_in1k_gca-encoder.pth'
