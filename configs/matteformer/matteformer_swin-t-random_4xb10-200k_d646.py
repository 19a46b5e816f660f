# MatteFormer on Distinctions-646 from random initialisation.
_base_ = [
    '../_base_/datasets/distinct646.py',
    './base_matteformer_swin-t_4xb10-200k.py'
]

experiment_name = 'matteformer_swin-t-random_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'
