# The embedded demo matting set (tools/dataset_converters/make_demo_data.py
# --out data/demo) with the pipelines of comp1k_mg.py scaled to its ~320 px
# images: 256x256 crops, a 320x320 random resize and training trimaps eroded
# at 320x320 instead of 512 / 640 / 640.
# The trimap working size is halved like the other sizes. At 640x640 the
# demo's ~320 px alphas would be enlarged and their unknown band (k / 2 px
# for a kernel of size k) would fill half the share of the 256 crop that it
# fills of a 512 crop of a typical ~1300 px Composition-1k foreground
# (k * 1300 / 640 px); at 320x320 the shares match, and a foreground resized
# to fg_resize gets its trimap at its own size, as in MG Matting.
# The folder layout and annotation files are those of Composition-1k, and
# data/demo/comp1k/bg stands in for COCO.
_base_ = ['./comp1k_mg.py']

data_root = 'data/demo/comp1k'
bg_dir = f'{data_root}/bg'
crop_size = 256
fg_resize = 320
trimap_work_size = (320, 320)


def _on_demo(t):
    """A transform of comp1k_mg.py's training pipeline with its data root
    and sizes set to this file's."""
    if t['type'] == 'CompositeFg':
        return dict(
            t,
            fg_dirs=[
                f'{data_root}/Training_set/Adobe-licensed images/fg',
                f'{data_root}/Training_set/Other/fg'
            ],
            alpha_dirs=[
                f'{data_root}/Training_set/Adobe-licensed images/alpha',
                f'{data_root}/Training_set/Other/alpha'
            ])
    if t['type'] == 'mmcv.RandomApply':
        return dict(
            t,
            transforms=[
                dict(r, scale=(fg_resize, fg_resize)) for r in t['transforms']
            ])
    if t['type'] == 'RandomLoadResizeBg':
        return dict(t, bg_dir=bg_dir)
    if t['type'] == 'CropAroundCenter':
        return dict(t, crop_size=crop_size)
    if t['type'] == 'GenerateTrimapResized':
        return dict(t, work_size=trimap_work_size)
    return t


train_pipeline = [_on_demo(t) for t in _base_.train_pipeline]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
