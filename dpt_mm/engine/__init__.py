from .hooks import DumpMetricsHook, SaveAlphaHook
from .optim_wrapper import AdaptiveGradClipOptimWrapper

__all__ = ['AdaptiveGradClipOptimWrapper', 'DumpMetricsHook', 'SaveAlphaHook']
