# Table 2 "MG Matting*": the Composition-1k model tested on Distinct-646
# (as matteformer_swin-t-supervised_4xb10-200k_comp1k_d646-test.py).
_base_ = './mgmatting_r34-supervised_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-supervised_4xb10-200k_comp1k_d646-test'
work_dir = f'./work_dirs/{experiment_name}'

d646_root = 'data/Distinctions-646'
val_dataloader = dict(dataset=dict(data_root=d646_root))
test_dataloader = dict(dataset=dict(data_root=d646_root))
