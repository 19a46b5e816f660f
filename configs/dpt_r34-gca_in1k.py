# DPT pre-training of GCA Matting's ResNet-34 network (mmagic's
# SimpleEncoderDecoder) on unlabeled ImageNet-1k; the state dict is GCA's:
#   tools/dist_train.sh configs/dpt_r34-gca_in1k.py 8
_base_ = ['./dpt_swin-t_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='SimpleEncoderDecoder',
        encoder=dict(
            type='ResGCAEncoder',
            block='BasicBlock',
            layers=[3, 4, 4, 2],
            in_channels=6,
            with_spectral_norm=True),
        decoder=dict(
            type='ResGCADecoder',
            block='BasicBlockDec',
            layers=[2, 3, 3, 2],
            with_spectral_norm=True)),
    head=dict(
        _delete_=True,
        type='AlphaLossHead',  # GCA's (tanh + 1) / 2, no parameters
        loss=dict(
            type='MattingOutputsLoss',
            loss_alpha=dict(type='L1Loss', loss_weight=1.0),
            loss_comp=dict(
                type='L1CompositionLoss',
                loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
            loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
            output_weights=dict(alpha=1.0))))
