# MG Matting (ResNet-34-D + ASPP) with a one-hot trimap instead of its mask
# (DPT paper 4.5): model and schedule shared by the row configs. Schedule of
# MG Matting's MGMatting-DIM-200k toml: Adam lr 1e-3, batch 40 = 4 GPUs x 10,
# 200k iterations, 10k warm-up.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedules/matting_adam_4xb10-200k.py'
]

warmup_iters = 10_000  # also the PRM warm-up

sync_bn = 'torch'  # as the official DDP trainer; plain BN in one process

model = dict(
    type='Mattor',
    data_preprocessor=dict(
        type='MattorPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        proc_trimap='as_is'),
    backbone=dict(
        type='MattingResNetEnc',
        in_channels=6,
        layers=(3, 4, 4, 2),
        with_spectral_norm=True,
        init_cfg=None),
    neck=dict(type='MGMattingASPP', in_channels=512, out_channels=512),
    head=dict(
        type='MattingHead',
        in_channels=(6, 32, 64, 128, 256, 512),
        shortcut_channels=(32, 32, 64, 128, 256, None),
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
    # PRM regions at the output's own size, as MG Matting's code
    train_cfg=dict(
        prm_warmup_iters=warmup_iters,
        refine_widths=(30, 15),
        prm_work_size=None),
    # MG Matting's infer.py: 32 px reflected border, alpha truncated
    test_cfg=dict(
        resize_method='pad',
        resize_mode='reflect',
        size_divisor=32,
        pad_border=32,
        alpha_rounding='floor',
        refine_widths=(30, 15),
        prm_work_size=None))

param_scheduler = [
    dict(
        _base_.param_scheduler[0],
        start_factor=1.0 / warmup_iters,
        end=warmup_iters),
    dict(
        _base_.param_scheduler[1],
        T_max=_base_.max_iters - warmup_iters,
        begin=warmup_iters),
]

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=False, interval=10_000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
