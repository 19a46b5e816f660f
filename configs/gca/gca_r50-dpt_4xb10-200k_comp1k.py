# GCA R50 from the DPT encoder of configs/dpt_r50_in1k.py (Table 8):
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r50_in1k/epoch_100.pth \
#       checkpoints/dpt_r50_in1k_gca-r50.pth --model gca_r50 --part encoder
_base_ = './gca_r50-supervised_4xb10-200k_comp1k.py'

experiment_name = 'gca_r50-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_r50_in1k_gca-r50.pth'
