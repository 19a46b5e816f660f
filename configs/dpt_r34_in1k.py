# DPT pre-training of the GCA / MG Matting ResNet-34 encoder + ResShortcut
# decoder on unlabeled ImageNet-1k (same data, optimiser and schedule as the
# Swin-T config).
#   tools/dist_train.sh configs/dpt_r34_in1k.py 8
_base_ = ['./dpt_swin-t_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='MattingResNetEnc',  # mmagic ResNetEnc returning all 5 levels
        in_channels=6,
        layers=(3, 4, 4, 2),
        with_spectral_norm=True),
    head=dict(
        in_channels=(6, 32, 64, 128, 256, 512),
        # deepest level feeds the decoder directly, as in GCA / MG Matting
        shortcut_channels=(32, 32, 64, 128, 256, None)))
