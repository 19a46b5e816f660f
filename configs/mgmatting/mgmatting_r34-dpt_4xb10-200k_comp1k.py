# MG Matting R34 from the DPT encoder only:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r34_in1k/epoch_100.pth \
#       checkpoints/dpt_r34_in1k_mgmatting-encoder.pth \
#       --model mgmatting --part encoder
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r34_in1k_mgmatting-encoder.pth'
