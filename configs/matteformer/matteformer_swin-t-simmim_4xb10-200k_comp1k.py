# MatteFormer initialised from a SimMIM self-supervised Swin-T (DPT paper,
# Table 3 "SimMIM" row; the paper's SimMIM Swin-T is pre-trained 100 epochs
# on ImageNet-1k). The converter takes the official SimMIM checkpoint
# (microsoft/SimMIM: `encoder.*`, `encoder.mask_token`, `decoder.*`) or an
# mmpretrain SimMIM checkpoint (`backbone.*`, `neck.decoder.*`), keeps the
# Swin encoder and treats it as the supervised weights are treated
# (6-channel patch embedding, prior rows of the relative-position tables):
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/simmim_swin-t_in1k.pth \
#       checkpoints/simmim_swin-t_in1k_matteformer.pth \
#       --model matteformer --source simmim
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-simmim_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/simmim_swin-t_in1k_matteformer.pth'
