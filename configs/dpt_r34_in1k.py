# DPT pre-training of MG Matting's ResNet-34 network (trimap input, DPT
# paper §4.5) on unlabeled ImageNet-1k, for the MG Matting R34 "DPT" rows of
# Table 4 (same data, optimiser and schedule as the Swin-T config).
#   tools/dist_train.sh configs/dpt_r34_in1k.py 8
# The network is the fine-tuning one of
# configs/mgmatting/base_mgmatting_r34_4xb10-200k.py: ResNet-34-D encoder,
# ASPP neck, ResShortcut decoder with the OS1 / OS4 / OS8 outputs (each
# supervised on the unknown region, (2, 1, 1) / 5 as the Swin-T config), so
# the pre-trained state dict is MGMatting's (backbone.* / neck.* / head.*)
# and the encoder+decoder row loads it as it is. The GCA rows pre-train
# GCA's own network: configs/dpt_r34-gca_in1k.py.
_base_ = ['./dpt_swin-t_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='MattingResNetEnc',  # mmagic ResNetEnc returning all 5 levels
        in_channels=6,
        layers=(3, 4, 4, 2),
        with_spectral_norm=True),
    neck=dict(type='MGMattingASPP', in_channels=512, out_channels=512),
    head=dict(
        in_channels=(6, 32, 64, 128, 256, 512),
        # deepest level feeds the decoder directly, as in GCA / MG Matting
        shortcut_channels=(32, 32, 64, 128, 256, None)))
