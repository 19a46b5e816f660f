# MG Matting R34 (trimap input) on Composition-1k from random
# initialisation.
_base_ = [
    '../_base_/datasets/comp1k_mg.py', './base_mgmatting_r34_4xb10-200k.py'
]

experiment_name = 'mgmatting_r34-random_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'
