# The Composition-1k test split: the 1000 merged images with their given
# trimaps, scored with the official DIM definitions of SAD, MSE, Grad and
# Conn on the unknown region (dpt_mm DIMMattingMetrics). Shared by the
# fine-tuning data bases (comp1k_mg.py) and the DPT pre-training configs,
# whose pre-trained network is evaluated zero-shot on it by tools/test.py.
# Data layout: docs/data_preparation.md.

# (no `data_root` / `dataset_type` variables here: the pre-training
# configs' data base defines its own)
test_pipeline = [
    dict(
        type='LoadImageFromFile',
        key='alpha',
        color_type='grayscale',
        save_original_img=True),
    dict(
        type='LoadImageFromFile',
        key='trimap',
        color_type='grayscale',
        save_original_img=True),
    dict(type='LoadImageFromFile', key='merged'),
    dict(type='PackMattingInputs', onehot_trimap=True),
]

val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='AdobeComp1kDataset',
        data_root='data/adobe_composition-1k',
        ann_file='test_list.json',
        test_mode=True,
        pipeline=test_pipeline))

test_dataloader = val_dataloader

val_evaluator = [dict(type='DIMMattingMetrics')]
test_evaluator = val_evaluator
