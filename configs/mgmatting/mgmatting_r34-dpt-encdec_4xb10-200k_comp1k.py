# MG Matting R34 from the DPT encoder, ASPP and decoder (Table 4):
# configs/dpt_r34_in1k.py pre-trains this very network.
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-dpt-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'work_dirs/dpt_r34_in1k/epoch_100.pth'
