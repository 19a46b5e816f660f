# The demo matting set (make_demo_data.py --out data/demo) with comp1k_mg.py's
# pipelines scaled to its ~320 px images.
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
