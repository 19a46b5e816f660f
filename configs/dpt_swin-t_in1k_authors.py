# DPT pre-training as the authors' code (crystraldo/dpt) runs it where it
# departs from the paper (data, loss region, optimiser, lr schedule; see
# docs/pretraining.md):
#   tools/dist_train.sh configs/dpt_swin-t_in1k_authors.py 8
_base_ = ['./dpt_swin-t_in1k.py']

model = dict(  # OS8 on the whole image, fused OS4 / OS1
    head=dict(
        loss=dict(
            whole_image_outputs=['alpha_os8'],
            fuse_outside_unknown=['alpha_os8', 'alpha_os4', 'alpha_os1'])))

crop_size = 224
train_pipeline = [  # squash resize, fg-only warp, trimap from the warped alpha
    dict(type='LoadImageReduced', key='fg', min_size=crop_size),
    dict(type='LoadImageReduced', key='bg', min_size=crop_size),
    dict(
        type='Resize',
        keys=['fg', 'bg'],
        scale=(crop_size, crop_size),
        keep_ratio=False,
        interpolation='bilinear'),
    dict(
        type='GridTrimap',
        cell_size=_base_.cell_size,
        ratios=_base_.trimap_ratios),
    dict(type='RandomAlpha', mode='pixel'),
    dict(
        type='ResizeCropAffine',
        keys=['fg', 'alpha'],
        crop_size=(crop_size, crop_size),
        shared=True,
        interpolation='random',
        **_base_.affine_args),
    dict(type='GenerateTrimap', kernel_size=1),
    dict(type='RandomJitterNonEmpty'),
    dict(type='Composite'),
    dict(type='PackMattingInputs', keys=['merged'], onehot_trimap=True),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    _delete_=True,
    type='AdaptiveGradClipOptimWrapper',
    factor=2.0,
    momentum=0.999,
    optimizer=dict(
        type='AdamW', lr=3e-4, betas=(0.9, 0.95), weight_decay=0.05))

authors_epochs = 100
warmup_epochs = 10
max_epochs = authors_epochs - 1  # the authors' loop runs epochs 1..99
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
