# MG Matting (trimap input) on Distinctions-646 from random initialisation
# (docs/finetune_configs.md, Table 4):
# mgmatting_r34-random_4xb10-200k_comp1k.py with the data of
# configs/_base_/datasets/distinct646.py (MG Matting augmentation). mmengine
# rejects a key set by two bases, so the lines of distinct646.py are repeated
# here; tests/test_mgmatting.py checks that the data sections stay equal.
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-random_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

data_root = 'data/Distinctions-646'
# comp1k_mg.py's pipeline, second foregrounds of CompositeFg from this root
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
