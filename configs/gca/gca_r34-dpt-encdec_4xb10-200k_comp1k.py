# GCA R34 from the DPT encoder + decoder (configs/dpt_r34-gca_in1k.py
# pre-trains this very network; its checkpoint loads as is).
_base_ = './gca_r34-dpt_4xb10-200k_comp1k.py'

experiment_name = 'gca_r34-dpt-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'work_dirs/dpt_r34-gca_in1k/epoch_100.pth'
