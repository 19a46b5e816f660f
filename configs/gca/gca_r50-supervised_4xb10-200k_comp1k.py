# GCA Matting with a ResNet-50 encoder (torchvision layout) on
# Composition-1k, initialised from an ImageNet-supervised ResNet-50
# (DPT Table 8). Make the checkpoint with
#   python tools/model_converters/supervised2finetune.py --model gca_r50 \
#       SRC checkpoints/resnet50_in1k_gca-r50.pth
# (= convert_supervised(ckpt, 'gca_r50')), SRC e.g. torchvision's resnet50
# or mmpretrain's resnet50_8xb32_in1k.
# The decoder, losses, data and schedule are mmagic's GCA-R34 recipe.
_base_ = 'mmagic::gca/gca_r34_4xb10-200k_comp1k.py'
custom_imports = dict(
    imports=['dpt_mm', 'dpt_mm.engine.safe_io'], allow_failed_imports=False)
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

# SAD / MSE / Grad / Conn by the official DIM definitions (mmagic's own
# metrics differ slightly, e.g. Conn), as for every dpt-mm matting row
val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
