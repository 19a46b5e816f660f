# MG Matting (trimap input, DPT paper §4.5) on Composition-1k with MG
# Matting's augmentation, random initialisation (an extra, no row of the
# paper). Model and schedule: base_mgmatting_r34_4xb10-200k.py.
_base_ = [
    '../_base_/datasets/comp1k_mg.py', './base_mgmatting_r34_4xb10-200k.py'
]

experiment_name = 'mgmatting_r34-random_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'
