# MatteFormer (Swin-T, prior tokens) on Distinctions-646 with MG Matting's
# augmentation, random initialisation (an extra: the paper's Table 2 rows
# test Composition-1k models, *_d646-test.py).
# Model and schedule: base_matteformer_swin-t_4xb10-200k.py.
_base_ = [
    '../_base_/datasets/distinct646.py',
    './base_matteformer_swin-t_4xb10-200k.py'
]

experiment_name = 'matteformer_swin-t-random_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'
