# The embedded demo matting set (tools/dataset_converters/make_demo_data.py
# --out data/demo) with the pipelines of comp1k_mg.py scaled to its ~320 px
# images: 256x256 crops and a 320x320 random resize instead of 512 / 640.
# The folder layout and annotation files are those of Composition-1k, and
# data/demo/comp1k/bg stands in for COCO.

dataset_type = 'AdobeComp1kDataset'
data_root = 'data/demo/comp1k'
bg_dir = f'{data_root}/bg'
crop_size = 256
fg_resize = 320

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
                scale=(fg_resize, fg_resize),
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
    dict(type='RandomLoadResizeBg', bg_dir=bg_dir),
    dict(type='CropAroundCenter', crop_size=crop_size),
    dict(type='RandomJitterNonEmpty'),  # RandomJitter, NaN-safe
    dict(type='MergeFgAndBg'),
    dict(type='FormatTrimap', to_onehot=True),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(
        type='LoadImageFromFile',
        key='alpha',
        color_type='grayscale',
        save_original_img=True),
    dict(
        type='LoadImageFromFile',
        key='trimap',
        color_type='grayscale',
        save_original_img=True),
    dict(type='LoadImageFromFile', key='merged'),
    dict(type='FormatTrimap', to_onehot=True),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='training_list.json',
        test_mode=False,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='test_list.json',
        test_mode=True,
        pipeline=test_pipeline))

test_dataloader = val_dataloader

val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
