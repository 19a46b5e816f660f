# Ablation 4.6: block-level pseudo alpha instead of the pixel-level grid.
_base_ = ['../dpt_swin-t_in1k.py']

train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_block))
