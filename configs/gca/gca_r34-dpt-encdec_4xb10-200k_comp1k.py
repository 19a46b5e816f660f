# GCA Matting (ResNet-34-D) on Composition-1k initialised with the DPT
# pre-trained encoder and decoder (configs/dpt_r34_in1k.py; DPT's MattingHead
# shortcuts and up-sampling blocks map onto GCA's; the guidance head, the GCA
# module and the last conv have no DPT counterpart and stay random). Make
# the checkpoint with
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r34_in1k/epoch_100.pth \
#       checkpoints/dpt_r34_in1k_gca-encdec.pth \
#       --model gca --part encoder+decoder
_base_ = './gca_r34-dpt_4xb10-200k_comp1k.py'

experiment_name = 'gca_r34-dpt-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r34_in1k_gca-encdec.pth'
