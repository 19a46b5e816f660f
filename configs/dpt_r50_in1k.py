# DPT pre-training of a torchvision-layout ResNet-50 encoder + ResShortcut
# decoder on unlabeled ImageNet-1k (same data, optimiser and schedule as the
# Swin-T config), for the GCA-R50 "DPT" row of Table 8
# (configs/gca/gca_r50-dpt_4xb10-200k_comp1k.py).
#   tools/dist_train.sh configs/dpt_r50_in1k.py 8
# The backbone is mmpretrain's ResNet-50 (keys = torchvision's), so
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r50_in1k/epoch_100.pth \
#       checkpoints/dpt_r50_in1k_gca-r50.pth --model gca_r50 --part encoder
# gives the GCA-R50 encoder initialisation.
_base_ = ['./dpt_swin-t_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='MattingResNet',  # mmpretrain ResNet returning stem + 4 stages
        depth=50,
        in_channels=6),
    head=dict(
        in_channels=(6, 64, 256, 512, 1024, 2048),
        # OS32 shortcut projects 2048 -> 512 (as GCA-R50's `reduce`), so the
        # decoder has the Swin-T / GCA-R34 widths
        shortcut_channels=(32, 32, 64, 128, 256, 512)))
