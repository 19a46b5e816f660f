# Second control for docs/experiments/dpt_transfer_vit.md: DPT encoder +
# decoder (B=500) against random initialisation when both fine-tune 650
# iterations instead of 150 (does the gain survive longer fine-tuning?):
#   python tools/experiments/dpt_transfer.py \
#       configs/experiments/dpt_transfer_vit_ft650_cpu.py
_base_ = ['./dpt_transfer_vit_cpu.py']

pretrain_budgets = [0, 500]  # one constant-lr run as the protocol's
inits = ['random', 'encoder+decoder']
finetune_iters = 650
report_name = 'dpt_transfer_vit_ft650'
