# DPT pre-training of MatteFormer's Swin-T network on unlabeled ImageNet-1k,
# batch 512 = 8 GPUs x 64, 100 epochs:
#   tools/dist_train.sh configs/dpt_swin-t_in1k.py 8
# Zero-shot matting of the pre-trained network on Composition-1k:
#   python tools/test.py configs/dpt_swin-t_in1k.py work_dirs/.../epoch_100.pth
_base_ = [
    './_base_/datasets/dpt_pretrain_in1k.py',
    './_base_/datasets/comp1k_test.py',
    './_base_/default_runtime.py',
]

sync_bn = 'torch'  # as the authors' DDP trainer; plain BN in one process

model = dict(
    type='Mattor',
    data_preprocessor=dict(
        type='MattorPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        proc_trimap='as_is'),
    # the fine-tuning network itself: `--part encoder+decoder` loads as is
    backbone=dict(
        type='MatteFormerEncoder',
        arch=dict(
            embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24)),
        in_channels=6,
        window_size=7,
        drop_path_rate=0.3),
    head=dict(
        type='MattingHead',
        in_channels=(6, 96, 96, 192, 384, 768),
        shortcut_channels=(32, 32, 64, 128, 256, 512),
        num_blocks=(2, 3, 3, 2),
        loss=dict(
            type='MattingOutputsLoss',
            loss_alpha=dict(type='L1Loss', loss_weight=1.0),
            # sum of 1 / std: the official scale, docs/pretraining.md (loss)
            loss_comp=dict(
                type='L1CompositionLoss',
                loss_weight=1 / 0.229 + 1 / 0.224 + 1 / 0.225),
            loss_lap=dict(type='LaplacianLoss', loss_weight=1.0),
            output_weights=dict(alpha_os1=0.4, alpha_os4=0.2,
                                alpha_os8=0.2))))

# lr for a total batch of 512 (`--auto-scale-lr` rescales it)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=3e-4, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'absolute_pos_embed': dict(decay_mult=0.0),  # plain-Swin variant
            'relative_position_bias_table': dict(decay_mult=0.0),
        }))
auto_scale_lr = dict(base_batch_size=512)

max_epochs = 100
warmup_epochs = 10
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='MultiTestLoop')  # mmagic's, as the matting configs

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='SafeCheckpointHook', interval=5, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
