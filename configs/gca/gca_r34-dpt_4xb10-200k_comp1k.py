# GCA R34 from the DPT encoder only:
#   python tools/model_converters/dpt2finetune.py \
#       work_dirs/dpt_r34-gca_in1k/epoch_100.pth \
#       checkpoints/dpt_r34-gca_in1k_gca-encoder.pth --model gca --part encoder
_base_ = './base_gca_r34_4xb10-200k_comp1k.py'
custom_imports = dict(imports=['dpt_mm'], allow_failed_imports=False)
# save-then-rotate checkpoints and exact resume (dpt_mm/engine), as in
# configs/_base_/default_runtime.py
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook'),
    random_state=dict(type='RandomStateHook'))

experiment_name = 'gca_r34-dpt_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(backbone=dict(encoder=dict(init_cfg=None)))
load_from = 'checkpoints/dpt_r34-gca_in1k_gca-encoder.pth'

val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
