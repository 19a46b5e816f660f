# MG Matting (trimap input) on Composition-1k initialised with the DPT
# pre-trained encoder, ASPP neck and decoder (DPT paper: the MG Matting R34
# "DPT" row of Table 4). configs/dpt_r34_in1k.py pre-trains this very
# network (MattingResNetEnc + MGMattingASPP + MattingHead with the OS1 / OS4
# / OS8 outputs), so its checkpoint has exactly MGMatting's parameter names
# and is loaded as it is, every parameter included:
#   tools/dist_train.sh configs/dpt_r34_in1k.py 8
# (The paper does not say which stages of its R34 DPT models it transfers;
# Table 6 compares encoder vs encoder+decoder for MatteFormer only. The
# encoder-only variant is mgmatting_r34-dpt_4xb10-200k_comp1k.py.)
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-dpt-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'work_dirs/dpt_r34_in1k/epoch_100.pth'
