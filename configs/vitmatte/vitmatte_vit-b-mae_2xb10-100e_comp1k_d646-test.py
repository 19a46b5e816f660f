# The Composition-1k ViTMatte-B (vitmatte_vit-b-mae_2xb10-100e_comp1k.py)
# tested on Distinct-646 (tools/dataset_converters/distinct646.py's test
# set). hustvl/ViTMatte reports Distinctions-646 numbers only for models
# trained on it, so this row has no published number.
_base_ = './vitmatte_vit-b-mae_2xb10-100e_comp1k.py'

experiment_name = 'vitmatte_vit-b-mae_2xb10-100e_comp1k_d646-test'
work_dir = f'./work_dirs/{experiment_name}'

d646_root = 'data/Distinctions-646'
val_dataloader = dict(dataset=dict(data_root=d646_root))
test_dataloader = dict(dataset=dict(data_root=d646_root))
