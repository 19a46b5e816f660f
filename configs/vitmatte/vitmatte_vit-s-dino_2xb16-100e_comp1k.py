# ViTMatte-S on Composition-1k from DINO ViT-S/16 (hustvl/ViTMatte
# configs/ViTMatte_S_100ep.py); the README's result: SAD 21.46, MSE 3.3e-3,
# Grad 7.24, Conn 16.21. Their data generator (data/dim_dataset.py) is MG
# Matting's (comp1k_mg.py: fused foregrounds, affine, trimaps eroded at
# 640x640, 512 crops around the unknown region, jitter); the trimap is
# packed as one 0 / 128 / 255 channel. Initial weights (the trimap filters
# of the patch embedding at zero, as their pretrained/preprocess.py):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/dino_deitsmall16_pretrain.pth \
#       checkpoints/dino_vit-s16_vitmatte.pth --model vitmatte --source dino
_base_ = [
    '../_base_/datasets/comp1k_mg.py', './base_vitmatte_vit-s_2xb16-100e.py'
]

experiment_name = 'vitmatte_vit-s-dino_2xb16-100e_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dino_vit-s16_vitmatte.pth'


def _one_channel_trimap(pipeline):
    """The pipeline with the trimap packed as read (0 / 128 / 255)."""
    return [
        dict(t, onehot_trimap=None) if t['type'] == 'PackMattingInputs' else t
        for t in pipeline
    ]


train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(pipeline=_one_channel_trimap(_base_.train_pipeline)))
val_dataloader = dict(
    dataset=dict(pipeline=_one_channel_trimap(_base_.test_pipeline)))
test_dataloader = val_dataloader
