# DPT as a second stage after MAE: dpt_vitmatte-b_in1k.py continued from the
# MAE ViT-B/16 backbone of the ViTMatte-B row (trimap filters at zero; the
# decoder starts at random):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/mae_pretrain_vit_base.pth \
#       checkpoints/mae_vit-b16_vitmatte.pth --model vitmatte --source mae
#   tools/dist_train.sh configs/dpt_vitmatte-b-mae_in1k.py 8
_base_ = ['./dpt_vitmatte-b_in1k.py']

load_from = 'checkpoints/mae_vit-b16_vitmatte.pth'
