# DPT as a second stage after DINO: dpt_vitmatte-s_in1k.py continued from the
# DINO ViT-S/16 backbone of the ViTMatte-S row (trimap filters at zero; the
# decoder starts at random):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/dino_deitsmall16_pretrain.pth \
#       checkpoints/dino_vit-s16_vitmatte.pth --model vitmatte --source dino
#   tools/dist_train.sh configs/dpt_vitmatte-s-dino_in1k.py 8
_base_ = ['./dpt_vitmatte-s_in1k.py']

load_from = 'checkpoints/dino_vit-s16_vitmatte.pth'
