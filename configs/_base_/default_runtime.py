# Runtime shared by every dpt-mm config: mmagic scope, the dpt_mm plugin and
# its checkpoint guarantees (dpt_mm/engine/safe_io.py).
default_scope = 'mmagic'
custom_imports = dict(
    imports=['dpt_mm', 'dpt_mm.engine.safe_io'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # MMEngine's CheckpointHook with save-then-rotate order and clean-up
    # of interrupted saves (dpt_mm/engine/checkpoint_hook.py)
    checkpoint=dict(type='SafeCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # generator states in checkpoints for an exact --resume; logs threads
    random_state=dict(type='RandomStateHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=True)
