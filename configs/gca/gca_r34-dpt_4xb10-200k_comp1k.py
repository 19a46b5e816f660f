# GCA Matting (ResNet-34-D) on Composition-1k initialised with the DPT
# pre-trained encoder only (an extra: configs/dpt_r34-gca_in1k.py pre-trains
# GCA's own network, whose state dict has GCA's names). Keep its encoder:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r34-gca_in1k/epoch_100.pth \
#       checkpoints/dpt_r34-gca_in1k_gca-encoder.pth --model gca --part encoder
# (the backbone.encoder.* keys as they are). The decoder is randomly
# initialised; the recipe is mmagic's, unchanged.
_base_ = 'mmagic::gca/gca_r34_4xb10-200k_comp1k.py'
custom_imports = dict(
    imports=['dpt_mm', 'dpt_mm.engine.safe_io'], allow_failed_imports=False)
# save-then-rotate checkpoints and exact resume (dpt_mm/engine), as in
# configs/_base_/default_runtime.py
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook'),
    random_state=dict(type='RandomStateHook'))

experiment_name = 'gca_r34-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(backbone=dict(encoder=dict(init_cfg=None)))
load_from = 'checkpoints/dpt_r34-gca_in1k_gca-encoder.pth'

# SAD / MSE / Grad / Conn by the official DIM definitions (mmagic's own
# metrics differ slightly, e.g. Conn), as for every dpt-mm matting row
val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
