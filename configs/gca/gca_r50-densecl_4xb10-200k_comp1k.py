# GCA Matting with a ResNet-50 encoder initialised from DenseCL
# self-supervised ImageNet weights (DPT Table 8). Make the checkpoint with
#   dpt_mm.models.converters.resnet.convert_supervised(ckpt, 'gca_r50')
# from mmpretrain/mmselfsup's densecl_resnet50_8xb32-coslr-200e_in1k or the
# official DenseCL release (prefixes module. / encoder_q. / backbone. are
# stripped, the projection neck and key encoder are reported as dropped).
_base_ = './gca_r50-supervised_4xb10-200k_comp1k.py'

experiment_name = 'gca_r50-densecl_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/densecl_r50_in1k_gca-r50.pth'
