# GCA R34 on Composition-1k from random initialisation.
_base_ = './base_gca_r34_4xb10-200k_comp1k.py'

experiment_name = 'gca_r34-random_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(backbone=dict(encoder=dict(init_cfg=None)))

val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
