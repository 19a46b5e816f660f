# A tiny MatteFormer fine-tuned on the embedded demo matting set
# (tools/dataset_converters/make_demo_data.py --out data/demo) for a short
# CPU run (a few minutes on 2 cores). Its encoder / decoder match the demo
# DPT network of dpt_swin-demo_demo.py (Swin with embed_dims 32, depths
# (2, 2, 2, 2), heads (1, 2, 4, 8)), so the demo DPT checkpoint initialises
# it after conversion:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_swin-demo_demo/iter_XXX.pth \
#       work_dirs/dpt_swin-demo_demo/matteformer-init.pth \
#       --model matteformer --part encoder
#   python tools/train.py configs/demo/matteformer-tiny_demo.py \
#       --cfg-options \
#       load_from=work_dirs/dpt_swin-demo_demo/matteformer-init.pth
# Without load_from it trains from random initialisation with the same
# budget and seed (the miniature of Table 3).
_base_ = [
    '../_base_/datasets/demo_comp1k.py', '../_base_/default_runtime.py'
]

experiment_name = 'matteformer-tiny_demo'
work_dir = f'./work_dirs/{experiment_name}'

max_iters = 60
warmup_iters = 6
crop_size = 128  # the demo base crops 256; 128 keeps an iteration ~2-3 s
data_root = 'data/demo/comp1k'

model = dict(
    type='MatteFormer',
    data_preprocessor=dict(
        type='MattorPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        proc_trimap='as_is'),
    backbone=dict(
        type='MatteFormerEncoder',
        arch=dict(embed_dims=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8)),
        in_channels=6,
        window_size=7,
        drop_path_rate=0.1),
    head=dict(
        type='MattingHead',
        in_channels=(6, 32, 32, 64, 128, 256),
        shortcut_channels=(16, 16, 32, 64, 128, 256)),
    loss_alpha=dict(type='L1Loss', loss_weight=1.0),
    loss_comp=dict(type='L1CompositionLoss', loss_weight=1.0),
    loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
    output_weights=(0.4, 0.2, 0.2),
    train_cfg=dict(
        prm_warmup_iters=warmup_iters,
        self_refine_width1=30,
        self_refine_width2=15),
    test_cfg=dict(
        resize_method='pad',
        resize_mode='reflect',
        size_divisor=32,
        self_refine_width1=30,
        self_refine_width2=15))

# the demo base's training pipeline with 128x128 crops
train_pipeline = [
    dict(type='LoadImageFromFile', key='alpha', color_type='grayscale'),
    dict(type='LoadImageFromFile', key='fg'),
    dict(
        type='CompositeFg',
        fg_dirs=[
            f'{data_root}/Training_set/Adobe-licensed images/fg',
            f'{data_root}/Training_set/Other/fg'
        ],
        alpha_dirs=[
            f'{data_root}/Training_set/Adobe-licensed images/alpha',
            f'{data_root}/Training_set/Other/alpha'
        ]),
    dict(
        type='mmcv.RandomApply',
        prob=0.25,
        transforms=[
            dict(
                type='Resize',
                keys=['fg', 'alpha'],
                scale=(320, 320),
                keep_ratio=False,
                interpolation='nearest')
        ]),
    dict(
        type='RandomAffine',
        keys=['alpha', 'fg'],
        degrees=30,
        scale=(0.8, 1.25),
        shear=10,
        flip_ratio=0.5),
    dict(type='GenerateTrimap', kernel_size=(1, 30)),
    dict(type='RandomLoadResizeBg', bg_dir=f'{data_root}/bg'),
    dict(type='CropAroundCenter', crop_size=crop_size),
    dict(type='RandomJitterNonEmpty'),
    dict(type='MergeFgAndBg'),
    dict(type='FormatTrimap', to_onehot=True),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4, dataset=dict(data_root=data_root, pipeline=train_pipeline))

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
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

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
