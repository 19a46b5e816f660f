# GCA Matting (ResNet-34-D) on Composition-1k initialised from the
# ImageNet-supervised ResNet-34-D of GCA-Matting (mmagic's own recipe; the
# trimap filters of the stem are zeroed by mmagic's ResNetEnc.init_weights).
# An equivalent offline conversion: dpt_mm.models.converters.resnet.
# convert_supervised(ckpt, model='gca') + load_from.
_base_ = 'mmagic::gca/gca_r34_4xb10-200k_comp1k.py'
custom_imports = dict(
    imports=['dpt_mm', 'dpt_mm.engine.safe_io'], allow_failed_imports=False)
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

# SAD / MSE / Grad / Conn by the official DIM definitions (mmagic's own
# metrics differ slightly, e.g. Conn), as for every dpt-mm matting row
val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
