# DPT pre-training as the authors' code runs it (crystraldo/dpt:
# dataloader/data_generator.py, trainers/trainer.py, utils/config.py), where
# it departs from the paper's text; configs/dpt_swin-t_in1k.py is the
# paper's reading. docs/pretraining.md lists the differences:
#   tools/dist_train.sh configs/dpt_swin-t_in1k_authors.py 8
# Same network, loss terms, batch (8 x 64), lr 3e-4, AdamW (0.9, 0.95) and
# wd 0.05 as the paper config; what differs:
#   data   squash resize, fg-only warp with one draw for the fg and its
#          pseudo alpha, random interpolation per warp, trimap from the
#          warped alpha, HSV jitter of the fg only (train_pipeline below);
#   loss   OS8 supervised on the whole image; OS4 / OS1 replaced by the
#          coarser (fused) output outside the unknown region before the
#          loss (trainers/trainer.py), see model below;
#   optim  weight decay on all parameters, adaptive gradient clipping;
#   lr     per-epoch linear warm-up over 10 epochs, then a per-epoch cosine
#          to 0; the authors' loop runs epochs 1..99 of "100".
_base_ = ['./dpt_swin-t_in1k.py']

# the authors' loss region (the paper: every output on the unknown region)
model = dict(
    head=dict(
        loss=dict(
            whole_image_outputs=['alpha_os8'],
            fuse_outside_unknown=['alpha_os8', 'alpha_os4', 'alpha_os1'])))

crop_size = 224
train_pipeline = [
    dict(type='LoadImageReduced', key='fg', min_size=crop_size),
    dict(type='LoadImageReduced', key='bg', min_size=crop_size),
    # both images squashed to 224x224 (aspect not kept, no crop); the
    # authors' cv2.resize passes INTER_CUBIC in the `dst` position, so it
    # is bilinear
    dict(
        type='Resize',
        keys=['fg', 'bg'],
        scale=(crop_size, crop_size),
        keep_ratio=False,
        interpolation='bilinear'),
    # the pseudo alpha is drawn on the grid before the warp
    dict(
        type='GridTrimap',
        cell_size=_base_.cell_size,
        ratios=_base_.trimap_ratios),
    dict(type='RandomAlpha', mode='pixel'),
    # only the foreground and its alpha are warped, with one affine draw;
    # each warp picks nearest / bilinear / bicubic / Lanczos at random;
    # the background keeps its squashed 224x224 image
    dict(
        type='ResizeCropAffine',
        keys=['fg', 'alpha'],
        crop_size=(crop_size, crop_size),
        shared=True,
        interpolation='random',
        **_base_.affine_args),
    # the trimap is read off the warped alpha: 255 -> fg, 0 -> bg, anything
    # else unknown (mmagic's GenerateTrimap with a 1x1 kernel)
    dict(type='GenerateTrimap', kernel_size=1),
    # MatteFormer-style HSV jitter of the foreground only (hue +-40,
    # saturation / value noise; skipped for an empty alpha)
    dict(type='RandomJitterNonEmpty'),
    # float fg after the jitter: the composite stays float, not rounded
    dict(type='Composite'),
    dict(type='PackMattingInputs', keys=['merged'], onehot_trimap=True),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# AdamW on every parameter (no decay exemptions) and the trainers' adaptive
# gradient clipping (dpt_mm.engine.AdaptiveGradClipOptimWrapper)
optim_wrapper = dict(
    _delete_=True,
    type='AdaptiveGradClipOptimWrapper',
    factor=2.0,
    momentum=0.999,
    optimizer=dict(
        type='AdamW', lr=3e-4, betas=(0.9, 0.95), weight_decay=0.05))

# lr of epoch k (1-based) = k / 10 * lr for k <= 10, then
# lr * (1 + cos(pi * (k - 10) / 90)) / 2, set once per epoch; epochs 1..99
authors_epochs = 100
warmup_epochs = 10
max_epochs = authors_epochs - 1
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1 / warmup_epochs,
        by_epoch=True,
        begin=0,
        end=warmup_epochs),
    dict(
        type='CosineAnnealingLR',
        T_max=authors_epochs - warmup_epochs,
        eta_min=0.,
        by_epoch=True,
        begin=warmup_epochs - 1,
        end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
