# Ablation Table 7: pre-training without the trimap input (image only, 3
# channels). The data is unchanged: the trimap still gives the loss mask of
# the unknown region; DPT feeds only the 3 image channels to the network.
_base_ = ['../dpt_swin-t_in1k.py']

model = dict(
    with_trimap=False,
    backbone=dict(in_channels=3),
    head=dict(in_channels=(3, 96, 96, 192, 384, 768)))
