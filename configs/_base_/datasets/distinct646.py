# Distinctions-646 with comp1k_mg.py's training augmentation; test trimaps
# from tools/dataset_converters/distinct646.py (docs/data_preparation.md).
_base_ = ['./comp1k_mg.py']

data_root = 'data/Distinctions-646'

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
