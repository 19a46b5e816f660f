# DPT pre-training of ViTMatte-B's whole network (ViT-B/16 + detail-capture
# decoder) from random initialisation: dpt_vitmatte-s_in1k.py at ViT-B width.
#   tools/dist_train.sh configs/dpt_vitmatte-b_in1k.py 8
_base_ = ['./dpt_vitmatte-s_in1k.py']

model = dict(backbone=dict(arch='base'), head=dict(in_channels=768))
