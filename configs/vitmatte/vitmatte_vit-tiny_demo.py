# A tiny ViTMatte fine-tuned on the demo set (minutes on a CPU): a plain ViT
# of 4 blocks at width 64 with ViTMatte's layout (windowed attention, global
# attention + residual conv block in blocks 1 and 3, relative positions),
# windows of 4 patches on the 8x8 patch grid of the 128 px crops, and the
# detail-capture decoder at a quarter of its widths. Recipe: the ViTMatte-S
# base (loss, AdamW with layer decay, warm-up then x0.1 at 30 % and x0.05 at
# 90 %) on 150 iterations, in full precision. Unlike ViTMatte-S it keeps
# the tiny model's drop path 0.1 (shared with its DPT pre-training).
_base_ = [
    '../_base_/datasets/demo_comp1k.py',
    './base_vitmatte_vit-s_2xb16-100e.py',
    '../_base_/models/vitmatte_tiny.py'
]

experiment_name = 'vitmatte_vit-tiny_demo'
work_dir = f'./work_dirs/{experiment_name}'

max_iters = 150  # the fine-tuning budget of docs/experiments/dpt_transfer.md
warmup_iters = 15
crop_size = 128

model = _base_.vitmatte_tiny


def _demo_step(t):
    """A training step at this demo's crop, the trimap packed as read."""
    if t['type'] == 'CropAroundCenter':
        return dict(t, crop_size=crop_size)
    if t['type'] == 'PackMattingInputs':
        return dict(t, onehot_trimap=None)
    return t


train_pipeline = [_demo_step(t) for t in _base_.train_pipeline]
test_pipeline = [_demo_step(t) for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    {k: v
     for k, v in _base_.optim_wrapper.items() if k != 'loss_scale'},
    type='OptimWrapper',
    _delete_=True)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], milestones=[int(max_iters * 0.3)]),
    dict(_base_.param_scheduler[2], milestones=[int(max_iters * 0.9)]),
]

default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
