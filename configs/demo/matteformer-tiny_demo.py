# A tiny MatteFormer fine-tuned on the demo set (minutes on a CPU); its
# network is dpt_swin-demo_demo.py's, so a demo DPT checkpoint initialises it
# (dpt2finetune.py --model matteformer --part encoder, then load_from).
_base_ = [
    '../_base_/datasets/demo_comp1k.py',
    '../matteformer/base_matteformer_swin-t_4xb10-200k.py'
]

experiment_name = 'matteformer-tiny_demo'
work_dir = f'./work_dirs/{experiment_name}'

max_iters = 150  # the fine-tuning budget of docs/experiments/dpt_transfer.md
warmup_iters = 15
crop_size = 128  # the demo base crops 256; 128 keeps an iteration ~2-3 s

model = dict(
    backbone=dict(
        arch=dict(embed_dims=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8)),
        drop_path_rate=0.1),
    head=dict(
        in_channels=(6, 32, 32, 64, 128, 256),
        shortcut_channels=(16, 16, 32, 64, 128, 256)),
    train_cfg=dict(prm_warmup_iters=warmup_iters))

train_pipeline = [
    dict(t, crop_size=crop_size) if t['type'] == 'CropAroundCenter' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)

param_scheduler = [
    dict(
        _base_.param_scheduler[0],
        start_factor=1.0 / warmup_iters,
        end=warmup_iters),
    dict(
        _base_.param_scheduler[1],
        T_max=max_iters - warmup_iters,
        begin=warmup_iters,
        end=max_iters),
]

default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
