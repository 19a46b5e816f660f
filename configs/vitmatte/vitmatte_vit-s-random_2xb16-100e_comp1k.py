# ViTMatte-S on Composition-1k from random initialisation (the authors' ViT
# initialisation; no published number): the reference of the DPT rows.
_base_ = './vitmatte_vit-s-dino_2xb16-100e_comp1k.py'

experiment_name = 'vitmatte_vit-s-random_2xb16-100e_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = None
