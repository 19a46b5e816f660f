# MatteFormer from a SimMIM self-supervised Swin-T (Table 3).
# Checkpoint command: docs/finetune_configs.md.
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-simmim_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/simmim_swin-t_in1k_matteformer.pth'
