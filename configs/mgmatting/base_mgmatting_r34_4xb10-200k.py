# MG Matting (ResNet-34-D + ASPP + ResShortcut decoder with progressive
# refinement) with a one-hot trimap instead of its mask (DPT paper §4.5):
# model and schedule shared by the Composition-1k and Distinctions-646 rows
# (the row configs add the data set and the initialisation).
# Schedule from MG Matting's config/MGMatting-DIM-200k.toml: Adam lr 1e-3,
# betas (0.5, 0.999), batch 10 per GPU on 4 GPUs, 200k iterations, 10k
# linear warm-up then cosine, PRM widths 30 / 15, losses L1 + composition +
# Laplacian with weights 1 : 1 : 1 on the official scale (composition on
# ImageNet-normalised images, see loss_comp below) and output weights
# (2, 1, 1) / 5. MG Matting's adaptive gradient clipping is not used here;
# it is optim_wrapper type='AdaptiveGradClipOptimWrapper' (dpt_mm/engine).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedules/matting_adam_4xb10-200k.py'
]

warmup_iters = 10_000  # MG Matting's; also the PRM warm-up

# SyncBN across GPUs, as the official trainer converts its model under DDP
# (10 images per GPU); single-process and CPU runs keep plain BatchNorm
# (MMEngine reverts it; dpt_mm.utils.prepare_cpu_distributed drops it)
sync_bn = 'torch'

model = dict(
    type='MGMatting',
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
        shortcut_channels=(32, 32, 64, 128, 256, None)),
    loss_alpha=dict(type='L1Loss', loss_weight=1.0),
    # sum of 1 / std: the official scale, see docs/pretraining.md (loss)
    loss_comp=dict(
        type='L1CompositionLoss',
        loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
    loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
    output_weights=(0.4, 0.2, 0.2),  # (2, 1, 1) / 5 for OS1 / OS4 / OS8
    # PRM as MG Matting's get_unknown_tensor_from_pred: at the output's own
    # size (no 640x640 resize, unlike MatteFormer's)
    train_cfg=dict(
        prm_warmup_iters=warmup_iters,
        refine_widths=(30, 15),
        prm_work_size=None),
    # as MG Matting's infer.py: a 32 px reflected border on every side, then
    # padding to a multiple of 32, cropped back; the alpha truncated to
    # uint8. pad_border=0 / alpha_rounding='round' give mmagic's way
    test_cfg=dict(
        resize_method='pad',
        resize_mode='reflect',
        size_divisor=32,
        pad_border=32,
        alpha_rounding='floor',
        refine_widths=(30, 15),
        prm_work_size=None))

# the shared schedule with MG Matting's 10k warm-up
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
