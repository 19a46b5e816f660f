# The larger profile of the DPT transfer experiment, for one GPU:
#   python tools/experiments/dpt_transfer.py \
#       configs/experiments/dpt_transfer_gpu.py
# (its ViT rows, the tiny ViTMatte: dpt_transfer_vit_gpu.py)
_base_ = ['./dpt_transfer_cpu.py']

data_root = 'data/dpt_transfer_gpu'
data_args = dict(num_in1k=4000, num_heldout=20)
pretrain_budgets = [0, 2000, 6000, 12000]
pretrain_warmup_iters = 500
finetune_iters = 600
finetune_warmup_iters = 60
seeds = [0, 1, 2, 3, 4]
pretrain_threads = 8
workers = 1
worker_threads = 8
