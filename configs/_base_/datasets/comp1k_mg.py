# Composition-1k with MG Matting's training augmentation (Yu et al., 2021),
# built from mmagic's matting transforms.
#
# train: the 431 foregrounds + alphas listed in training_list.json
#   (tools/dataset_converters/comp1k.py), composited online on random COCO
#   backgrounds:
#   - with p=0.5 a second random foreground is fused in (CompositeFg:
#     fg = a1*fg1 + (1-a1)*fg2, a = 1-(1-a1)(1-a2));
#   - with p=0.25 fg/alpha are resized to 640x640;
#   - random affine (rotation only for images >= 1024 px, scale 0.8-1.25,
#     shear 10, flips 0.5);
#   - trimap by random erosion of the opaque / clear regions with
#     elliptical kernels of size 1..29 (independent for fg and bg) on the
#     alpha resized to 640x640 (nearest), the trimap resized back (nearest):
#     MG's GenMask (dpt_mm GenerateTrimapResized = mmagic's GenerateTrimap
#     at 640x640). mmagic's GenerateTrimap alone erodes at the alpha's own
#     size, so its unknown band would be w / 640 times narrower on a w px
#     foreground (Composition-1k's are mostly 1000-2000 px);
#   - a random COCO background resized to the foreground;
#   - a 512x512 crop centred on a random unknown pixel (CropAroundCenter ==
#     MG's RandomCrop);
#   - hue / saturation / value jitter of the foreground (mmagic's
#     RandomJitter, skipped on a crop without foreground as MG Matting
#     does: dpt_mm RandomJitterNonEmpty);
#   - composition, one-hot trimap, packing.
# test: the 1000 merged images with their given trimaps (comp1k_test.py).
#
# Data layout: docs/data_preparation.md. The evaluators use the project's
# DIMMattingMetrics (dpt_mm/evaluation/metrics: the official DIM
# definitions of SAD, MSE, Grad and Conn on the unknown region).

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
    # = mmagic's FormatTrimap(to_onehot=True) + PackInputs, same tensors,
    # ~8x faster at 512x512 (tools/benchmarks/pretext_pipeline.py measures
    # the pre-training case)
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

