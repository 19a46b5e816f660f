# MG Matting R34 on Distinctions-646 from random initialisation.
_base_ = [
    '../_base_/datasets/distinct646.py', './base_mgmatting_r34_4xb10-200k.py'
]

experiment_name = 'mgmatting_r34-random_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'
