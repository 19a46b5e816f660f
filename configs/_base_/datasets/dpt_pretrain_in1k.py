# DPT pre-training data: unlabeled ImageNet-1k as pretext samples (an image
# as fg, another as bg, grid trimap, random pseudo alpha, composite).
# Layout: data/imagenet/train/<wnid>/<name>.JPEG + data/imagenet/meta/train.txt
# (ann_file='' scans train/).

dataset_type = 'UnlabeledImageDataset'
data_root = 'data/imagenet'
crop_size = 224
cell_size = 7
trimap_ratios = (0.75, 0.125, 0.125)  # cells: unknown, foreground, background
# mmagic's RandomAffine draws (no rotation under 1024 px, as MatteFormer)
affine_args = dict(degrees=30, scale=(0.8, 1.25), shear=10, flip_ratio=0.5)
hue_range = 40  # degrees, independently for fg and bg

load_and_augment_pipeline = [
    dict(type='LoadImageReduced', key='fg', min_size=crop_size),
    dict(type='LoadImageReduced', key='bg', min_size=crop_size),
    # Resize(short side) -> random Crop -> RandomAffine as one warp
    dict(
        type='ResizeCropAffine',
        keys=['fg', 'bg'],
        crop_size=(crop_size, crop_size),
        fold_resize=True,
        **affine_args),
    dict(type='RandomHue', keys=['fg', 'bg'], hue_range=hue_range),
]
composite_and_pack_pipeline = [
    dict(type='Composite'),
    dict(type='PackMattingInputs', keys=['merged'], onehot_trimap=True),
]
train_pipeline = load_and_augment_pipeline + [
    dict(type='GridTrimap', cell_size=cell_size, ratios=trimap_ratios),
    dict(type='RandomAlpha', mode='pixel'),
] + composite_and_pack_pipeline
# the block-level pseudo alpha of the paper's 4.6
train_pipeline_block = load_and_augment_pipeline + [
    dict(type='RandomAlpha', mode='block'),
] + composite_and_pack_pipeline

train_dataloader = dict(
    batch_size=64,  # per GPU
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix=dict(img_path='train'),
        pipeline=train_pipeline))

custom_hooks = [dict(type='SkippedImagesHook', interval=50)]
