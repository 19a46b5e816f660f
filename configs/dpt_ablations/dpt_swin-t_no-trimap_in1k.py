# Ablation Table 7: pre-training without the trimap input (3 channels, plain
# Swin-T); the trimap still masks the loss.
_base_ = ['../dpt_swin-t_in1k.py']

model = dict(
    with_trimap=False,
    backbone=dict(
        _delete_=True,
        type='MattingSwinTransformer',  # mmpretrain Swin + patch embedding
        arch='tiny',
        img_size=224,
        in_channels=3,
        drop_path_rate=0.3,
        out_indices=(0, 1, 2, 3),
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        ]),
    head=dict(in_channels=(3, 96, 96, 192, 384, 768)))
