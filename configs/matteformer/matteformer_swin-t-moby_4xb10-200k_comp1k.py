# MatteFormer initialised from a MoBY (Transformer-SSL) self-supervised
# Swin-T (DPT paper, Table 3 "Transformer-SSL (MoBY)" row; 300 epochs on
# ImageNet-1k). The converter keeps the online encoder (`encoder.*`) of the
# SwinTransformer/Transformer-SSL checkpoint, drops the momentum encoder,
# projectors, predictor and queues, and treats the encoder as the
# supervised weights are treated:
#   python tools/model_converters/supervised2finetune.py \
#       pretrained/moby_swin_t_300ep_pretrained.pth \
#       checkpoints/moby_swin-t_in1k_matteformer.pth \
#       --model matteformer --source moby
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-moby_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/moby_swin-t_in1k_matteformer.pth'
