# DPT pre-training of ViTMatte-S's whole network (ViT-S/16 + detail-capture
# decoder) from random initialisation on unlabeled ImageNet-1k: the pretext,
# losses and schedule of dpt_swin-t_in1k.py, the trimap as ViTMatte's one
# 0 / 0.5 / 1 channel. Batch 512 = 8 GPUs x 64, 100 epochs:
#   tools/dist_train.sh configs/dpt_vitmatte-s_in1k.py 8
# Fine-tuning initialisation (configs/vitmatte/*_dpt-*):
#   python tools/model_converters/dpt2finetune.py work_dirs/.../epoch_100.pth \
#       checkpoints/dpt_vit-s_vitmatte_enc-dec.pth --model vitmatte \
#       --part encoder+decoder
# Crop 224 (the paper's), not ViTMatte's 512: the absolute position embedding
# is ViTMatte's 224 one, a 224 crop is one 14-patch window (so the windowed
# blocks see the crop as the global ones do), and a step at 512 costs several
# times more (global attention grows with the square of the 1024 patches);
# docs/pretraining.md (ViTMatte) has the step times. The backbone keeps the
# fine-tuning img_size (512), so its relative position tables have the
# fine-tuning shape and are interpolated to the crop, as at any test size.
_base_ = ['./dpt_swin-t_in1k.py']

crop_size = 224


def _one_channel_trimap(t):
    """A pipeline step with the trimap packed as one 0 / 128 / 255 channel."""
    if t['type'] == 'PackMattingInputs':
        return dict(t, onehot_trimap=None)
    return t


train_pipeline = [_one_channel_trimap(t) for t in _base_.train_pipeline]
test_pipeline = [_one_channel_trimap(t) for t in _base_.test_pipeline]

model = dict(
    _delete_=True,
    type='Mattor',
    data_preprocessor=dict(type='UnitTrimapPreprocessor'),
    # the fine-tuning network itself: `--part encoder+decoder` loads as is
    backbone=dict(type='ViTMatteViT', arch='small', drop_path_rate=0.1),
    head=dict(
        type='DetailCaptureHead',
        in_channels=384,
        loss=dict(
            type='MattingOutputsLoss',
            output_weights=dict(alpha=1.0),
            trimap_encoding='gray',
            loss_alpha=dict(type='L1Loss', loss_weight=1.0),
            # sum of 1 / std: the official scale, docs/pretraining.md (loss)
            loss_comp=dict(
                type='L1CompositionLoss',
                loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
            loss_lap=dict(type='LaplacianLoss', loss_weight=1.0))),
    # ViTMatte's inference (zero-shot test of the pre-trained network)
    test_cfg=dict(
        resize_method='pad',
        resize_mode='constant',
        size_divisor=32,
        pad_rule='vitmatte',
        alpha_rounding='floor'))

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = None
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'position_embeddings': dict(decay_mult=0.0),
            'rel_pos_h': dict(decay_mult=0.0),
            'rel_pos_w': dict(decay_mult=0.0),
        }))
