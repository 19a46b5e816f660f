# The DPT transfer experiment of dpt_transfer_cpu.py (same data, splits,
# budgets, seeds and report) on a tiny ViTMatte: DPT pre-trains its whole
# network, fine-tuning is configs/vitmatte/vitmatte_vit-tiny_demo.py
# (docs/experiments/dpt_transfer_vit.md):
#   python tools/experiments/dpt_transfer.py \
#       configs/experiments/dpt_transfer_vit_cpu.py
_base_ = ['./dpt_transfer_cpu.py']

pretrain_config = 'configs/demo/dpt_vitmatte-tiny_demo.py'
finetune_config = 'configs/vitmatte/vitmatte_vit-tiny_demo.py'
finetune_model = 'vitmatte'  # the converter of the DPT checkpoint
report_name = 'dpt_transfer_vit'
