from .hooks import DumpMetricsHook, SaveAlphaHook
from .optim_wrapper import AdaptiveGradClipOptimWrapper
from .stream_hooks import ShardStreamHook

__all__ = [
    'AdaptiveGradClipOptimWrapper', 'DumpMetricsHook', 'SaveAlphaHook',
    'ShardStreamHook'
]
