# MatteFormer (Swin-T) on Composition-1k from random initialisation
# (Table 3):
#   tools/dist_train.sh \
#       configs/matteformer/matteformer_swin-t-random_4xb10-200k_comp1k.py 4
_base_ = [
    '../_base_/datasets/comp1k_mg.py',
    './base_matteformer_swin-t_4xb10-200k.py'
]

experiment_name = 'matteformer_swin-t-random_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'
