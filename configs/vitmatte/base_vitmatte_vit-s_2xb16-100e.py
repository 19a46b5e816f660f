# Model, schedule and runtime of ViTMatte-S (Yao et al., Information Fusion
# 2024; hustvl/ViTMatte configs/common/*.py and configs/ViTMatte_S_100ep.py);
# the row configs add the data and the initial weights. Facts:
# - network: ViT-S/16 on RGB + trimap (4 channels), windows of 14 patches,
#   global attention + residual conv block after blocks 2 / 5 / 8 / 11,
#   relative positions, no drop path; detail-capture decoder;
# - input: ImageNet mean / std on [0, 1] images, the trimap as trimap / 255,
#   snapped to 0 / 0.5 / 1 at 85 / 170 in training (UnitTrimapPreprocessor);
# - loss: unknown-region L1 + known-region L1 + Laplacian (whole image,
#   their mean over 5 levels: weight 1 / 5) + gradient penalty (unknown
#   region, Sobel, penalty 0.01), summed;
# - AdamW lr 5e-4, betas (0.9, 0.999), weight decay 0.1 (none on norms and
#   the position embedding), layer-wise lr decay 0.65; mixed precision (their
#   trainer is detectron2's AMPTrainer);
# - 16 images x 2 GPUs, 43100 / 16 / 2 * 100 iterations (100 epochs of the
#   43100 COCO backgrounds), linear warm-up from 0.001 over 250 iterations,
#   lr x0.1 at 30 % and x0.05 at 90 % of training.
_base_ = ['../_base_/default_runtime.py']

batch_per_gpu = 16
iters_per_epoch = 43100 / batch_per_gpu / 2
max_iters = int(iters_per_epoch * 100)
warmup_iters = 250

model = dict(
    type='Mattor',
    data_preprocessor=dict(type='UnitTrimapPreprocessor'),
    backbone=dict(type='ViTMatteViT', arch='small'),
    head=dict(
        type='DetailCaptureHead',
        in_channels=384,
        loss=dict(
            type='MattingOutputsLoss',
            output_weights=dict(alpha=1.0),
            trimap_encoding='gray',
            loss_alpha=dict(type='L1Loss', loss_weight=1.0),
            loss_known=dict(type='L1Loss', loss_weight=1.0),
            loss_comp=None,
            loss_lap=dict(type='LaplacianLoss', loss_weight=1 / 5),
            loss_grad=dict(type='MattingGradientPenaltyLoss', penalty=0.01),
            whole_image_terms=('loss_lap', ))),
    # their inference: zero padding (their arithmetic), alpha truncated to
    # uint8 (to_pil_image)
    test_cfg=dict(
        resize_method='pad',
        resize_mode='constant',
        size_divisor=32,
        pad_rule='vitmatte',
        alpha_rounding='floor'))

train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=int(iters_per_epoch * 10))
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='BackboneLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.65,
        norm_decay_mult=0.0,
        custom_keys={'position_embeddings': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='MultiStepLR',
        milestones=[int(iters_per_epoch * 30)],
        gamma=0.1,
        by_epoch=False),
    dict(
        type='MultiStepLR',
        milestones=[int(iters_per_epoch * 90)],
        gamma=0.5,
        by_epoch=False),
]
auto_scale_lr = dict(enable=False, base_batch_size=2 * batch_per_gpu)

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(
        by_epoch=False, interval=int(iters_per_epoch * 10), max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
