# Control for docs/experiments/dpt_transfer_vit.md: random initialisation of
# the tiny ViTMatte fine-tuned for 650 iterations instead of 150, i.e. the
# iterations of DPT B=500 + 150 fine-tuning spent on the labels instead
# (same data, seeds, splits, schedule shape and report):
#   python tools/experiments/dpt_transfer.py \
#       configs/experiments/dpt_transfer_vit_longft_cpu.py
_base_ = ['./dpt_transfer_vit_cpu.py']

pretrain_budgets = [0]
inits = ['random']
finetune_iters = 650
report_name = 'dpt_transfer_vit_longft'
