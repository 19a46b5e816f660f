# Table 2 "DPT*": the Composition-1k model tested on Distinct-646 (as
# matteformer_swin-t-supervised_4xb10-200k_comp1k_d646-test.py).
_base_ = './matteformer_swin-t-dpt-encdec_4xb10-200k_comp1k.py'

experiment_name = 'matteformer_swin-t-dpt-encdec_4xb10-200k_comp1k_d646-test'
work_dir = f'./work_dirs/{experiment_name}'

d646_root = 'data/Distinctions-646'
val_dataloader = dict(dataset=dict(data_root=d646_root))
test_dataloader = dict(dataset=dict(data_root=d646_root))
