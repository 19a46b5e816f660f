# DPT pre-training of Swin-T streamed from WebDataset tar shards (8 GPUs x 64,
# cosine lr, 100 epochs of `samples_per_epoch` samples). Same model, pretext
# pipeline, schedule and PackMattingInputs output as dpt_swin-t_in1k.py; only
# the dataset is overridden. Make shards of an image folder with
#   python tools/dataset_converters/folder2shards.py data/imagenet/train \
#       data/in1k_shards --list data/imagenet/meta/train.txt --prefix in1k
# or use shards written by img2dataset (pattern + counts, see
# docs/streaming.md). Multi-node: docs/streaming.md.
#   tools/dist_train.sh configs/dpt_swin-t_8xb64-coslr-100e_shards.py 8
_base_ = ['./dpt_swin-t_in1k.py']

train_dataloader = dict(
    # a stream has no sampler: ranks and workers split the shards instead
    sampler=None,
    persistent_workers=True,  # keeps each worker's stream across epochs
    dataset=dict(
        _delete_=True,
        type='ShardedImageDataset',
        data_root='data/in1k_shards',
        # per-shard sample counts (and the shard list); alternatively
        # shards='{00000..01242}.tar' or a list file, plus the manifest
        manifest='manifest.json',
        # one "epoch" = this many samples over all ranks (ImageNet-1k's
        # size, so the 100-epoch schedule matches the folder config)
        samples_per_epoch=1281167,
        shuffle_buffer=1000,  # per worker; encoded images (~110 kB each)
        initial_buffer=100,
        seed=0,
        pipeline=_base_.train_pipeline))

custom_hooks = [
    dict(type='SkippedImagesHook', interval=50),
    # binds the stream to the loader; keeps its restarts in checkpoints
    dict(type='ShardStreamHook'),
]
