# A tiny MatteFormer fine-tuned on the embedded demo matting set
# (tools/dataset_converters/make_demo_data.py --out data/demo) for a short
# CPU run (a few minutes on 2 cores). Its encoder / decoder match the demo
# DPT network of dpt_swin-demo_demo.py (Swin with embed_dims 32, depths
# (2, 2, 2, 2), heads (1, 2, 4, 8)): the same network, so the demo DPT
# checkpoint initialises it after an identity conversion:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_swin-demo_demo/iter_XXX.pth \
#       work_dirs/dpt_swin-demo_demo/matteformer-init.pth \
#       --model matteformer --part encoder
#   python tools/train.py configs/demo/matteformer-tiny_demo.py \
#       --cfg-options \
#       load_from=work_dirs/dpt_swin-demo_demo/matteformer-init.pth
# Without load_from it trains from random initialisation with the same
# budget and seed (the miniature of Table 3).
# Model, losses, optimiser and schedule shape: the MatteFormer base
# (configs/matteformer/base_matteformer_swin-t_4xb10-200k.py) with the demo
# widths, 150 iterations and 128x128 crops of the demo data base.
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
        _delete_=True,  # drops the base's num_blocks: the head's default
        type='MattingHead',
        in_channels=(6, 32, 32, 64, 128, 256),
        shortcut_channels=(16, 16, 32, 64, 128, 256)),
    train_cfg=dict(prm_warmup_iters=warmup_iters))

# the demo base's training pipeline with 128x128 crops
train_pipeline = [
    dict(t, crop_size=crop_size) if t['type'] == 'CropAroundCenter' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)

# the base's warm-up + cosine schedule on this run's length
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
