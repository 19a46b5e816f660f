# MatteFormer initialised with the DPT encoder + decoder pre-trained
# without the trimap input (DPT paper, Table 7 "Without";
# configs/dpt_ablations/dpt_swin-t_no-trimap_in1k.py, a 3-channel network).
# The conversion widens the 3-channel inputs to MatteFormer's 6 (image +
# one-hot trimap): the patch embedding gets Xavier-normal trimap filters
# as for supervised weights, the decoder's first shortcut conv zero trimap
# filters; fine-tuning is the same as for every other row:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_swin-t_no-trimap_in1k/epoch_100.pth \
#       checkpoints/dpt_swin-t_no-trimap_in1k_matteformer-encdec.pth \
#       --model matteformer --part encoder+decoder
_base_ = './matteformer_swin-t-random_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-dpt-no-trimap-encdec_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/dpt_swin-t_no-trimap_in1k_matteformer-encdec.pth'
