# Fine-tuning schedule: Adam lr 1e-3, batch 4 GPUs x 10, 200k iterations,
# linear warm-up then cosine, validation every 10k.
max_iters = 200_000
warmup_iters = 5_000

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10_000)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0 / warmup_iters,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - warmup_iters,
        eta_min=0,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters)
]
auto_scale_lr = dict(enable=False, base_batch_size=40)
