# OpenMMLab-named twin of dpt_swin-t_in1k.py (8 GPUs x 64, cosine lr,
# 100 epochs, ImageNet-1k); identical settings.
_base_ = ['./dpt_swin-t_in1k.py']
