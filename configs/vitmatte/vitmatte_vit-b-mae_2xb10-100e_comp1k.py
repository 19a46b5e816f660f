# ViTMatte-B on Composition-1k from MAE ViT-B/16 (hustvl/ViTMatte
# configs/ViTMatte_B_100ep.py: ViT-B widths, 10 images x 2 GPUs,
# 43100 / 10 / 2 * 100 iterations and milestones on that length, otherwise
# the -S recipe); the README's result: SAD 20.33, MSE 3.0e-3, Grad 6.74,
# Conn 14.78. Initial weights:
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/mae_pretrain_vit_base.pth \
#       checkpoints/mae_vit-b16_vitmatte.pth --model vitmatte --source mae
_base_ = './vitmatte_vit-s-dino_2xb16-100e_comp1k.py'

experiment_name = 'vitmatte_vit-b-mae_2xb10-100e_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/mae_vit-b16_vitmatte.pth'

batch_per_gpu = 10
iters_per_epoch = 43100 / batch_per_gpu / 2

model = dict(
    backbone=dict(arch='base'), head=dict(in_channels=768))
train_dataloader = dict(batch_size=batch_per_gpu)
train_cfg = dict(
    max_iters=int(iters_per_epoch * 100),
    val_interval=int(iters_per_epoch * 10))
# the S base's schedule at this batch size's epoch length
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], milestones=[int(iters_per_epoch * 30)]),
    dict(_base_.param_scheduler[2], milestones=[int(iters_per_epoch * 90)]),
]
auto_scale_lr = dict(base_batch_size=2 * batch_per_gpu)
default_hooks = dict(checkpoint=dict(interval=int(iters_per_epoch * 10)))
