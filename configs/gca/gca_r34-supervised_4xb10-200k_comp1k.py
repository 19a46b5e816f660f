# GCA R34 from GCA-Matting's ImageNet-supervised ResNet-34-D (mmagic's
# recipe).
_base_ = './base_gca_r34_4xb10-200k_comp1k.py'

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
