# ViTMatte-S on Composition-1k from the DPT encoder + decoder (the whole
# network) of configs/dpt_vitmatte-s_in1k.py:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_vitmatte-s_in1k/epoch_100.pth \
#       checkpoints/dpt_vitmatte-s_in1k_vitmatte-encdec.pth \
#       --model vitmatte --part encoder+decoder
_base_ = './vitmatte_vit-s-dino_2xb16-100e_comp1k.py'

experiment_name = 'vitmatte_vit-s-dpt-encdec_2xb16-100e_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_vitmatte-s_in1k_vitmatte-encdec.pth'
