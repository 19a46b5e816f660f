# Ablation Table 7: pre-training without the trimap input (image only, 3
# channels). The data is unchanged: the trimap still gives the loss mask of
# the unknown region; DPT feeds only the 3 image channels to the network.
# MatteFormer's PAST encoder needs the trimap for its prior tokens, so this
# row pre-trains the plain mmpretrain Swin-T (same key names); converting
# it for MatteFormer widens the stem to 6 channels and adds the prior rows
# of the relative-position tables (dpt2finetune.py --model matteformer).
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
