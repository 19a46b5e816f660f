# MG Matting (trimap input) initialised with the DPT pre-trained encoder
# only (an extra: configs/dpt_r34_in1k.py pre-trains MG Matting's own
# network, whose state dict has MGMatting's names). Keep its encoder:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r34_in1k/epoch_100.pth \
#       checkpoints/dpt_r34_in1k_mgmatting-encoder.pth \
#       --model mgmatting --part encoder
# (the backbone.* keys as they are); the ASPP neck and the decoder are
# randomly initialised.
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r34_in1k_mgmatting-encoder.pth'
