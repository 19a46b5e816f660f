# GCA R34 on Distinctions-646 from the ImageNet-supervised ResNet-34-D.
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
