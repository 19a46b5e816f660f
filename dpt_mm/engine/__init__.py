from .hooks import DumpMetricsHook, SaveAlphaHook, TerminalProgressHook

__all__ = ['DumpMetricsHook', 'SaveAlphaHook', 'TerminalProgressHook']
