# DPT pre-training of a ResNet-50 encoder + ResShortcut decoder, for
# gca_r50-dpt_4xb10-200k_comp1k.py (dpt2finetune.py --model gca_r50
# --part encoder):
#   tools/dist_train.sh configs/dpt_r50_in1k.py 8
_base_ = ['./dpt_swin-t_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='MattingResNet',  # mmpretrain ResNet returning stem + 4 stages
        depth=50,
        in_channels=6),
    head=dict(
        in_channels=(6, 64, 256, 512, 1024, 2048),
        shortcut_channels=(32, 32, 64, 128, 256, 512)))
