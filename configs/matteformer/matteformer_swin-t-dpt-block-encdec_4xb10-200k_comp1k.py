# MatteFormer from the block-level DPT encoder + decoder (Table 5):
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_swin-t_block-level_in1k/epoch_100.pth \
#       checkpoints/dpt_swin-t_block-level_in1k_matteformer-encdec.pth \
#       --model matteformer --part encoder+decoder
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-dpt-block-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_swin-t_block-level_in1k_matteformer-encdec.pth'
