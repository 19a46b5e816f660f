# MatteFormer (Park et al., CVPR 2022), Swin-T: model and schedule shared by
# the row configs (each adds a data set and an initialisation). Schedule of
# MatteFormer's Composition-1k toml: Adam lr 1e-3, batch 40 = 4 GPUs x 10,
# 200k iterations; warm-up 5k as stated for DPT's fine-tuning (the toml: 10k).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedules/matting_adam_4xb10-200k.py'
]

warmup_iters = 5_000  # also the PRM warm-up

sync_bn = 'torch'  # as the official DDP trainer; plain BN in one process

model = dict(
    type='Mattor',
    data_preprocessor=dict(
        type='MattorPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        proc_trimap='as_is'),
    backbone=dict(
        type='MatteFormerEncoder',
        arch=dict(
            embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24)),
        in_channels=6,
        window_size=7,
        drop_path_rate=0.3),
    head=dict(
        type='MattingHead',
        in_channels=(6, 96, 96, 192, 384, 768),
        shortcut_channels=(32, 32, 64, 128, 256, 512),
        num_blocks=(2, 3, 3, 2),
        loss=dict(
            type='MattingOutputsLoss',
            loss_alpha=dict(type='L1Loss', loss_weight=1.0),
            # sum of 1 / std: the official scale, docs/pretraining.md (loss)
            loss_comp=dict(
                type='L1CompositionLoss',
                loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
            loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
            output_weights=dict(alpha_os1=0.4, alpha_os4=0.2,
                                alpha_os8=0.2),
            whole_image_outputs=['alpha_os8'])),
    # PRM regions found on a 640x640 nearest resize, as MatteFormer's code
    train_cfg=dict(
        prm_warmup_iters=warmup_iters,
        refine_widths=(30, 15),
        prm_work_size=(640, 640)),
    # MatteFormer's inference.py: 32 px reflected border, alpha truncated
    test_cfg=dict(
        resize_method='pad',
        resize_mode='reflect',
        size_divisor=32,
        pad_border=32,
        alpha_rounding='floor',
        refine_widths=(30, 15),
        prm_work_size=(640, 640)))

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=False, interval=10_000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
