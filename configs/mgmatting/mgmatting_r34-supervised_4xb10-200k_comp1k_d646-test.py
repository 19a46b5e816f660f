# DPT paper, Table 2 "MG Matting*": the Composition-1k model of
#   configs/mgmatting/mgmatting_r34-supervised_4xb10-200k_comp1k.py
# tested on Distinct-646 (the paper's * rows are trained on Composition-1k
# only). The test set is tools/dataset_converters/distinct646.py's: each
# test foreground on 20 VOC backgrounds, trimaps made once (seeded) by
# random erosion of the ground-truth alpha's opaque and clear regions, i.e.
# a randomly dilated unknown band, as MG Matting makes them. Only the
# val / test data differ from the training config. With
#   STEM = mgmatting_r34-supervised_4xb10-200k_comp1k:
#   python tools/test.py configs/mgmatting/STEM_d646-test.py \
#       work_dirs/STEM/iter_200000.pth \
#       --out-metrics work_dirs/STEM_d646-test/test_metrics.json
_base_ = './mgmatting_r34-supervised_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-supervised_4xb10-200k_comp1k_d646-test'
work_dir = f'./work_dirs/{experiment_name}'

d646_root = 'data/Distinctions-646'
val_dataloader = dict(dataset=dict(data_root=d646_root))
test_dataloader = dict(dataset=dict(data_root=d646_root))
