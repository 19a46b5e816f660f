from .hooks import DumpMetricsHook, SaveAlphaHook
from .stream_hooks import ShardStreamHook

__all__ = ['DumpMetricsHook', 'SaveAlphaHook', 'ShardStreamHook']
