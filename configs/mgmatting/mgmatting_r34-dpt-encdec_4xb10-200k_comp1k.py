# MG Matting (trimap input) initialised with the DPT pre-trained encoder and
# decoder (MattingHead; the ASPP neck, absent in DPT, stays random). Make
# the checkpoint with
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r34_in1k/epoch_100.pth \
#       checkpoints/dpt_r34_in1k_mgmatting-encdec.pth \
#       --model mgmatting --part encoder+decoder
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-dpt-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r34_in1k_mgmatting-encdec.pth'
