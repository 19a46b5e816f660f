# GCA Matting (ResNet-34-D) on Composition-1k: mmagic's recipe, its network
# (same state dict and alpha) on dpt-mm's Mattor. The row configs set the
# initialisation.
_base_ = 'mmagic::gca/gca_r34_4xb10-200k_comp1k.py'

model = dict(
    _delete_=True,
    type='Mattor',
    data_preprocessor=_base_.model.data_preprocessor,
    backbone=_base_.model.backbone,
    head=dict(
        type='AlphaLossHead',  # GCA's (tanh + 1) / 2, no parameters
        loss=dict(
            type='MattingOutputsLoss',
            loss_alpha=dict(type='L1Loss'),  # on the unknown region
            loss_comp=None,
            loss_lap=None,
            output_weights=dict(alpha=1.0))),
    test_cfg=_base_.model.test_cfg)
