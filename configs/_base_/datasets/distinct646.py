# Distinctions-646 with MG Matting's training augmentation (the same recipe
# as comp1k_mg.py: see there for the steps). Only the data root and the
# foreground / alpha folders of CompositeFg differ from comp1k_mg.py.
#
# train: the 596 foregrounds + alphas of Train/{FG,GT}, composited online on
#   random COCO backgrounds.
# test: each of the 50 test foregrounds on 20 VOC backgrounds with trimaps
#   made once, seeded, by random erosion of the ground-truth alpha
#   (tools/dataset_converters/distinct646.py writes them and the annotation
#   files; docs/data_preparation.md). These are eroded at the image's own
#   size, unlike the training trimaps (MG's GenMask: eroded at 640x640,
#   GenerateTrimapResized of comp1k_mg.py).
# The evaluators use the project's DIMMattingMetrics.
_base_ = ['./comp1k_mg.py']

# dataset_type 'AdobeComp1kDataset' (from the base) reads any mmagic matting
# annotation
data_root = 'data/Distinctions-646'

# comp1k_mg.py's training pipeline with the second-foreground folders of
# CompositeFg on this data root
train_pipeline = [
    dict(
        t,
        fg_dirs=[f'{data_root}/Train/FG'],
        alpha_dirs=[f'{data_root}/Train/GT'])
    if t['type'] == 'CompositeFg' else t for t in _base_.train_pipeline
]

train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
