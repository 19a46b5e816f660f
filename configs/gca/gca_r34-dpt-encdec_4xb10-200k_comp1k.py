# GCA Matting (ResNet-34-D) on Composition-1k initialised with the DPT
# pre-trained encoder and decoder (DPT paper: the GCA R34 "DPT" row of
# Tables 4 and 8). configs/dpt_r34-gca_in1k.py pre-trains this very
# network (mmagic's SimpleEncoderDecoder with ResGCAEncoder /
# ResGCADecoder; its head has no parameters), so its checkpoint has exactly
# GCA's parameter names and is loaded as it is, every parameter included:
#   tools/dist_train.sh configs/dpt_r34-gca_in1k.py 8
# (The paper does not say which stages of its R34 DPT models it transfers;
# Table 6 compares encoder vs encoder+decoder for MatteFormer only. The
# encoder-only variant is gca_r34-dpt_4xb10-200k_comp1k.py.)
_base_ = './gca_r34-dpt_4xb10-200k_comp1k.py'

experiment_name = 'gca_r34-dpt-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'work_dirs/dpt_r34-gca_in1k/epoch_100.pth'
