# Model, schedule and runtime shared by the MatteFormer rows (no data: each
# row config adds a dataset base). MatteFormer (Park et al., CVPR 2022):
# Swin-T with prior tokens (PAST blocks) + ResShortcut decoder with
# progressive refinement.
# Schedule of MatteFormer's config/MatteFormer_Composition1k.toml: Adam
# lr 1e-3, betas (0.5, 0.999), batch 40 = 4 GPUs x 10, 200k iterations,
# linear warm-up then cosine to 0, PRM widths 30 / 15, L1 + composition +
# Laplacian with weights 1 : 1 : 1 on the official scale (composition on
# ImageNet-normalised images, see loss_comp below) and output weights
# (2, 1, 1) / 5.
# Warm-up: 5k iterations as stated for DPT's fine-tuning (the official toml
# uses 10k); the PRM warm-up follows the lr warm-up as in the official
# trainer. The official adaptive gradient clipping is not used here; it is
# optim_wrapper type='AdaptiveGradClipOptimWrapper' (dpt_mm/engine).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/schedules/matting_adam_4xb10-200k.py'
]

warmup_iters = 5_000  # also the PRM warm-up

# SyncBN across GPUs, as the official trainer converts its model under DDP
# (10 images per GPU); single-process and CPU runs keep plain BatchNorm
# (MMEngine reverts it; dpt_mm.utils.prepare_cpu_distributed drops it)
sync_bn = 'torch'

model = dict(
    type='MatteFormer',
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
        num_blocks=(2, 3, 3, 2)),
    loss_alpha=dict(type='L1Loss', loss_weight=1.0),
    # sum of 1 / std: the official scale, see docs/pretraining.md (loss)
    loss_comp=dict(
        type='L1CompositionLoss',
        loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
    loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
    output_weights=(0.4, 0.2, 0.2),  # (2, 1, 1) / 5 for OS1 / OS4 / OS8
    # PRM as MatteFormer's get_unknown_tensor_from_pred: the uncertain
    # region is found and dilated on a 640x640 nearest resize
    train_cfg=dict(
        prm_warmup_iters=warmup_iters,
        self_refine_width1=30,
        self_refine_width2=15,
        prm_work_size=(640, 640)),
    # as MatteFormer's inference.py: a 32 px reflected border on every side,
    # then padding to a multiple of 32, cropped back; the alpha truncated to
    # uint8 ((alpha * 255).astype(uint8)). pad_border=0 and
    # alpha_rounding='round' give mmagic's bottom / right padding and
    # rounding (the padding of the DPT authors' inference.py)
    test_cfg=dict(
        resize_method='pad',
        resize_mode='reflect',
        size_divisor=32,
        pad_border=32,
        alpha_rounding='floor',
        self_refine_width1=30,
        self_refine_width2=15,
        prm_work_size=(640, 640)))

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=False, interval=10_000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
