# DPT pre-training of GCA Matting's ResNet-34 network on unlabeled
# ImageNet-1k, for the GCA R34 "DPT" rows of Tables 4 and 8 (same data,
# optimiser and schedule as the Swin-T config).
#   tools/dist_train.sh configs/dpt_r34-gca_in1k.py 8
# The backbone is mmagic's GCA network itself (as in
# mmagic::gca/gca_r34_4xb10-200k_comp1k.py: SimpleEncoderDecoder with
# ResGCAEncoder / ResGCADecoder on the image + one-hot trimap), so the
# pre-trained state dict is GCA's (backbone.encoder.* / backbone.decoder.*)
# and the encoder+decoder row loads it as it is. The head has no layers: it
# applies GCA's output activation (tanh + 1) / 2 and the DPT loss (L1 +
# composition + Laplacian on the unknown region) to GCA's single output.
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
        type='AlphaLossHead',
        activation='tanh',
        output_key='alpha',
        loss=dict(
            type='DPTMattingLoss',
            loss_alpha=dict(type='L1Loss', loss_weight=1.0),
            # ImageNet-normalised composition as in the Swin-T config
            loss_comp=dict(
                type='L1CompositionLoss',
                loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
            loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
            # GCA has one output
            output_weights=dict(alpha=1.0))))
