# Composition-1k test split (1000 merged images, given trimaps) with the
# official DIM metrics.

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
