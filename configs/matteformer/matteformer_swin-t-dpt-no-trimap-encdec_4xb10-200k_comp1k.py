# MatteFormer from the DPT network pre-trained without trimap (Table 7),
# widened to 6 input channels by the converter:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_swin-t_no-trimap_in1k/epoch_100.pth \
#       checkpoints/dpt_swin-t_no-trimap_in1k_matteformer-encdec.pth \
#       --model matteformer --part encoder+decoder
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-dpt-no-trimap-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_swin-t_no-trimap_in1k_matteformer-encdec.pth'
