# MG Matting (trimap input) on Distinctions-646 with MG Matting's
# augmentation, random initialisation (docs/finetune_configs.md, Table 4).
# Model and schedule: base_mgmatting_r34_4xb10-200k.py.
_base_ = [
    '../_base_/datasets/distinct646.py', './base_mgmatting_r34_4xb10-200k.py'
]

experiment_name = 'mgmatting_r34-random_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'
