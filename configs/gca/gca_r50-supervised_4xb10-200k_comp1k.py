# GCA with a ResNet-50 encoder from ImageNet-supervised weights (Table 8):
#   python tools/model_converters/supervised2finetune.py --model gca_r50 \
#       SRC checkpoints/resnet50_in1k_gca-r50.pth
_base_ = './base_gca_r34_4xb10-200k_comp1k.py'
custom_imports = dict(imports=['dpt_mm'], allow_failed_imports=False)
# save-then-rotate checkpoints and exact resume (dpt_mm/engine), as in
# configs/_base_/default_runtime.py
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook'),
    random_state=dict(type='RandomStateHook'))

experiment_name = 'gca_r50-supervised_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    backbone=dict(
        encoder=dict(
            _delete_=True,
            type='ResGCABottleneckEncoder',
            depth=50,
            in_channels=6,
            out_channels=512,
            with_spectral_norm=True)))
load_from = 'checkpoints/resnet50_in1k_gca-r50.pth'

val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
