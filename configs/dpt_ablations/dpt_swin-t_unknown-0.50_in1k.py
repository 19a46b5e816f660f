# Ablation Figure 7: unknown-cell ratio 0.50 of the grid trimap.
_base_ = ['../dpt_swin-t_in1k.py']

train_pipeline = _base_.load_and_augment_pipeline + [
    dict(
        type='GridTrimap',
        cell_size=_base_.cell_size,
        ratios=(0.5, 0.25, 0.25)),
    dict(type='RandomAlpha', mode='pixel'),
] + _base_.composite_and_pack_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
