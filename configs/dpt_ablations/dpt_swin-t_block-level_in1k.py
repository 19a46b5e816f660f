# Ablation §4.6: block-level pseudo alpha (a random fusion box with a random
# pure-foreground box inside, random alpha in the rest of the fusion box, its
# own matching trimap) instead of the pixel-level grid strategy.
_base_ = ['../dpt_swin-t_in1k.py']

train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_block))
