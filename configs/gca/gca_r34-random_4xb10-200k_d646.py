# GCA R34 on Distinctions-646 from random initialisation.
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
