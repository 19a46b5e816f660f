# dpt_swin-t_in1k.py streamed from WebDataset tar shards (make them with
# tools/dataset_converters/folder2shards.py; docs/streaming.md):
#   tools/dist_train.sh configs/dpt_swin-t_8xb64-coslr-100e_shards.py 8
_base_ = ['./dpt_swin-t_in1k.py']

train_dataloader = dict(
    sampler=None,  # ranks and workers split the shards
    persistent_workers=True,  # keeps each worker's stream across epochs
    dataset=dict(
        _delete_=True,
        type='ShardedImageDataset',
        data_root='data/in1k_shards',
        manifest='manifest.json',  # or shards='{00000..01242}.tar'
        samples_per_epoch=1281167,  # ImageNet-1k's size
        shuffle_buffer=1000,  # per worker; encoded images (~110 kB each)
        initial_buffer=100,
        seed=0,
        pipeline=_base_.train_pipeline))

custom_hooks = [
    dict(type='SkippedImagesHook', interval=50),
    dict(type='ShardStreamHook'),  # stream restarts kept in checkpoints
]
