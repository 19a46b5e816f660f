# MatteFormer trained on Distinctions-646 (an extra: the paper's Table 2
# rows test Composition-1k models, *_d646-test.py) initialised with the
# DPT pre-trained encoder; the checkpoint is the one of
# matteformer_swin-t-dpt_4xb10-200k_comp1k.py (see there how to make it).
_base_ = './matteformer_swin-t-random_4xb10-200k_d646.py'

experiment_name = 'matteformer_swin-t-dpt_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_swin-t_in1k_matteformer-encoder.pth'
