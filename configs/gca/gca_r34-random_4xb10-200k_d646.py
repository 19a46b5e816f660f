# GCA Matting (ResNet-34-D) on Distinctions-646 from random initialisation
# (an extra: the paper's Table 2 rows test Composition-1k models, see
# *_d646-test.py): gca_r34-random_4xb10-200k_comp1k.py
# with mmagic's GCA training pipeline on the Distinctions-646 foregrounds.
# Data layout and annotation files: docs/data_preparation.md.
_base_ = './gca_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'gca_r34-random_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

data_root = 'data/Distinctions-646'
# mmagic's GCA pipeline, second foregrounds of CompositeFg from this root
train_pipeline = [
    dict(
        t,
        fg_dirs=[f'{data_root}/Train/FG'],
        alpha_dirs=[f'{data_root}/Train/GT'])
    if t['type'] == 'CompositeFg' else t for t in _base_.train_pipeline
]

train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
