# DPT pre-training data (paper §3, §4.1): unlabeled ImageNet-1k images.
#
# Each sample pairs an image (fg) with another random image of the set (bg),
# brings both to 224x224 and augments them independently, draws a 7x7-cell
# grid trimap (unknown / fg / bg = 0.75 / 0.125 / 0.125 of the cells), a
# pseudo alpha (1 on fg cells, 0 on bg cells, uniform 0..255 per unknown
# pixel) and composites merged = a * fg + (1 - a) * bg. PackMattingInputs
# (= mmagic's FormatTrimap + PackInputs) then gives `inputs` (merged) and
# data samples with trimap (one-hot) / gt_alpha / gt_fg / gt_bg / gt_merged;
# MattorPreprocessor(proc_trimap='as_is') makes the 6-channel input of them.
#
# Layout (mmpretrain's ImageNet layout):
#   data/imagenet/train/<wnid>/<name>.JPEG
#   data/imagenet/meta/train.txt   (paths relative to train/, an optional
#                                   trailing label is ignored)
# Without the list file (ann_file=''), train/ is scanned recursively and the
# scan is cached in ~/.cache/dpt_mm/scan.
#
# Overriding from a model config (variables of a base file are already
# evaluated, so override the dataloader fields themselves):
#   train_dataloader = dict(batch_size=32, dataset=dict(data_root='...'))
#   train_dataloader = dict(dataset=dict(pipeline=my_pipeline))
# * Table 7 "without trimap" (image-only input): keep this pipeline (the
#   trimap is still needed as the loss mask of the unknown region) and set
#   the model's switch, e.g. for the Swin-T DPT config
#       model = dict(with_trimap=False, backbone=dict(in_channels=3),
#                    head=dict(in_channels=(3, 96, 96, 192, 384, 768)))
#   (DPT then feeds only inputs[:, :3] to the network).
# * §4.6 block-level pseudo alpha instead of the pixel-level one:
#       train_dataloader = dict(
#           dataset=dict(pipeline={{_base_.train_pipeline_block}}))
# * Another trimap grid: change `cell_size` / `trimap_ratios` in a copy of
#   the pipeline (GridTrimap(cell_size=..., ratios=...)).
# A corrupt / unreadable image is skipped with a warning naming it; the
# SkippedImagesHook below prints the running count in the training log.

dataset_type = 'UnlabeledImageDataset'
data_root = 'data/imagenet'
crop_size = 224
cell_size = 7
trimap_ratios = (0.75, 0.125, 0.125)  # cells: unknown, foreground, background
# random affine of GCA / MatteFormer (parameters drawn by mmagic's
# RandomAffine code). Note: like the MatteFormer code DPT builds on, mmagic's
# RandomAffine turns rotation off for images under 1024 px, so at 224 px it
# scales, shears and flips; ResizeCropAffine(rotation_min_size=0) rotates.
affine_args = dict(degrees=30, scale=(0.8, 1.25), shear=10, flip_ratio=0.5)
# random hue rotation of +-40 degrees (MatteFormer's RandomJitter range),
# drawn independently for fg and bg. RandomHue's default 'matrix' mode is a
# linear hue rotation around the grey axis, ~10x faster than the HSV round
# trip of mmcv.adjust_hue / mmpretrain ColorJitter (mode='hsv' gives that).
hue_range = 40

# decode (JPEG at reduced scale when >= 2 * 224), short side -> 224, random
# 224 crop, independent affine + hue for fg and bg; all before compositing
load_and_augment_pipeline = [
    dict(type='LoadImageReduced', key='fg', min_size=crop_size),
    dict(type='LoadImageReduced', key='bg', min_size=crop_size),
    # = mmagic's Resize(short side) -> Crop(random) -> RandomAffine(nearest)
    # as one nearest-neighbour warp from the decoded image (resize and crop
    # folded into the affine map); independent draws for fg and bg
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
    # = mmagic's FormatTrimap(to_onehot=True) + PackInputs(keys=['merged'])
    # in one step, same tensors, ~5x faster
    dict(type='PackMattingInputs', keys=['merged'], onehot_trimap=True),
]
train_pipeline = load_and_augment_pipeline + [
    dict(type='GridTrimap', cell_size=cell_size, ratios=trimap_ratios),
    dict(type='RandomAlpha', mode='pixel'),
] + composite_and_pack_pipeline
# §4.6 block-level alternative: nested random fusion / fg boxes
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
