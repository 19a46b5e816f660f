# GCA Matting with a ResNet-50 encoder initialised by DPT pre-training of a
# torchvision-layout ResNet-50 (DPT Table 8). Make the checkpoint with
#   dpt_mm.models.converters.resnet.convert_dpt(ckpt, 'encoder', 'gca_r50')
# NOTE: dpt-mm ships no DPT-R50 pre-training config yet; the converter
# expects a DPT checkpoint whose ``backbone.*`` keys are a torchvision /
# mmpretrain ResNet-50.
_base_ = './gca_r50-supervised_4xb10-200k_comp1k.py'

experiment_name = 'gca_r50-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r50_in1k_gca-r50.pth'
