# MatteFormer on Distinctions-646 from the supervised Swin-T (checkpoint:
# see matteformer_swin-t-supervised_4xb10-200k_comp1k.py).
_base_ = './matteformer_swin-t-random_4xb10-200k_d646.py'

experiment_name = 'matteformer_swin-t-supervised_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/swin-t_in1k_matteformer.pth'
