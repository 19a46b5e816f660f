# DPT pre-training of MG Matting's ResNet-34 network (trimap input):
#   tools/dist_train.sh configs/dpt_r34_in1k.py 8
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
        shortcut_channels=(32, 32, 64, 128, 256, None)))  # OS32 as is
