# Distinctions-646 with MG Matting's training augmentation (the same recipe
# as comp1k_mg.py: see there for the steps).
#
# train: the 596 foregrounds + alphas of Train/{FG,GT}, composited online on
#   random COCO backgrounds.
# test: each of the 50 test foregrounds on 20 VOC backgrounds with trimaps
#   made once, seeded, by random erosion of the ground-truth alpha
#   (tools/dataset_converters/distinct646.py writes them and the annotation
#   files; docs/data_preparation.md).
# The evaluators use the project's DIMMattingMetrics.

dataset_type = 'AdobeComp1kDataset'  # reads any mmagic matting annotation
data_root = 'data/Distinctions-646'
bg_dir = 'data/coco/train2017'
crop_size = 512
fg_resize = 640

train_pipeline = [
    dict(type='LoadImageFromFile', key='alpha', color_type='grayscale'),
    dict(type='LoadImageFromFile', key='fg'),
    dict(
        type='CompositeFg',
        fg_dirs=[f'{data_root}/Train/FG'],
        alpha_dirs=[f'{data_root}/Train/GT']),
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
    batch_size=10,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='training_list.json',
        test_mode=False,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=1,
    num_workers=4,
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
