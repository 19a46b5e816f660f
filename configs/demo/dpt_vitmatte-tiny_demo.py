# Demo-size DPT pre-training of the tiny ViTMatte of
# configs/vitmatte/vitmatte_vit-tiny_demo.py (same network, so the checkpoint
# is its initialisation) on the demo images (minutes on a CPU):
#   python tools/dataset_converters/make_demo_data.py --out data/demo --seed 0
#   python tools/train.py configs/demo/dpt_vitmatte-tiny_demo.py
_base_ = [
    '../dpt_vitmatte-s_in1k.py', '../_base_/models/vitmatte_tiny.py'
]

crop_size = 128  # the fine-tuning crop: 8x8 patches, 2x2 windows of 4
train_pipeline = [
    dict(t, min_size=crop_size) if 'min_size' in t else
    dict(t, crop_size=(crop_size, crop_size)) if 'crop_size' in t else t
    for t in _base_.train_pipeline
]

model = _base_.vitmatte_tiny

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(data_root='data/demo/in1k', pipeline=train_pipeline))
test_dataloader = dict(
    num_workers=0, dataset=dict(data_root='data/demo/comp1k_heldout'))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
max_iters = 500
warmup_iters = 50
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - warmup_iters,
        eta_min=1e-5,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=25),
    checkpoint=dict(
        type='SafeCheckpointHook', by_epoch=False, interval=100,
        max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
