# The ViT rows of the GPU profile (dpt_transfer_gpu.py: budgets, seeds,
# data) on the tiny ViTMatte of dpt_transfer_vit_cpu.py:
#   python tools/experiments/dpt_transfer.py \
#       configs/experiments/dpt_transfer_vit_gpu.py
_base_ = ['./dpt_transfer_gpu.py']

pretrain_config = 'configs/demo/dpt_vitmatte-tiny_demo.py'
finetune_config = 'configs/vitmatte/vitmatte_vit-tiny_demo.py'
finetune_model = 'vitmatte'
report_name = 'dpt_transfer_vit'
