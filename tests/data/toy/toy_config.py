# Tiny config for the foundation tests: epoch-based, 2 epochs of 8 iters.
_base_ = '../../../configs/_base_/default_runtime.py'
custom_imports = dict(
    imports=['dpt_mm', 'dpt_mm.engine.safe_io', 'toy_plugin'],
    allow_failed_imports=False)
model = dict(type='ToyRegressor')
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyRegressionDataset', length=32))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.05, betas=(0.9, 0.95),
                   weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=2, T_max=1),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=4),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
custom_hooks = [dict(type='RankDoneHook')]
