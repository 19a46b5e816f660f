# GCA Matting (ResNet-34-D) on Distinctions-646 (an extra: the paper's
# Table 2 rows test Composition-1k models, see *_d646-test.py) initialised
# from the ImageNet-supervised ResNet-34-D of
# GCA-Matting, as gca_r34-supervised_4xb10-200k_comp1k.py.
_base_ = './gca_r34-random_4xb10-200k_d646.py'

experiment_name = 'gca_r34-supervised_4xb10-200k_d646'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    backbone=dict(
        encoder=dict(
            init_cfg=dict(
                _delete_=True,  # the random row's init_cfg is None
                type='Pretrained',
                checkpoint='open-mmlab://mmedit/res34_en_nomixup'))))
