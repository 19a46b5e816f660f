# Composition-1k with MG Matting's training augmentation (second foreground,
# affine, trimap eroded at 640x640, COCO background, 512 crop around the
# unknown region, jitter); test: comp1k_test.py. Layout:
# docs/data_preparation.md.

_base_ = ['./comp1k_test.py']

dataset_type = 'AdobeComp1kDataset'
data_root = 'data/adobe_composition-1k'
bg_dir = 'data/coco/train2017'
crop_size = 512
fg_resize = 640
# (w, h) at which the training trimap is eroded (MG's GenMask: 640x640)
trimap_work_size = (640, 640)

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
    dict(
        type='GenerateTrimapResized',
        kernel_size=(1, 30),
        work_size=trimap_work_size),
    dict(type='RandomLoadResizeBg', bg_dir=bg_dir),
    dict(type='CropAroundCenter', crop_size=crop_size),
    dict(type='RandomJitterNonEmpty'),  # RandomJitter, NaN-safe
    dict(type='MergeFgAndBg'),
    dict(type='PackMattingInputs', onehot_trimap=True),
]

train_dataloader = dict(
    batch_size=10,  # per GPU; 4 GPUs give MG Matting's / MatteFormer's 40
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='training_list.json',
        test_mode=False,
        pipeline=train_pipeline))

