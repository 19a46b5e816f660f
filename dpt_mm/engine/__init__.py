from .hooks import DumpMetricsHook, SaveAlphaHook

__all__ = ['DumpMetricsHook', 'SaveAlphaHook']
