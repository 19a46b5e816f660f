# GCA R34 from GCA-Matting's ImageNet-supervised ResNet-34-D (mmagic's
# recipe).
_base_ = './base_gca_r34_4xb10-200k_comp1k.py'
custom_imports = dict(imports=['dpt_mm'], allow_failed_imports=False)
# save-then-rotate checkpoints and exact resume (dpt_mm/engine), as in
# configs/_base_/default_runtime.py
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook'),
    random_state=dict(type='RandomStateHook'))

experiment_name = 'gca_r34-supervised_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    backbone=dict(
        encoder=dict(
            init_cfg=dict(
                type='Pretrained',
                checkpoint='open-mmlab://mmedit/res34_en_nomixup'))))

val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
