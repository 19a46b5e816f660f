# MatteFormer initialised with the DPT pre-trained encoder
# (configs/dpt_swin-t_in1k.py; DPT paper, Table 6 "Encoder / DPT"
# row). Relative-position tables are extended for the prior tokens
# (dpt_mm.models.converters.matteformer.convert_dpt):
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_swin-t_in1k/epoch_100.pth \
#       checkpoints/dpt_swin-t_in1k_matteformer-encoder.pth \
#       --model matteformer --part encoder
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_swin-t_in1k_matteformer-encoder.pth'
