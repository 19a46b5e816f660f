from .checkpoint_hook import SafeCheckpointHook
from .hooks import DumpMetricsHook, SaveAlphaHook
from .random_state_hook import RandomStateHook

__all__ = [
    'DumpMetricsHook', 'RandomStateHook', 'SafeCheckpointHook', 'SaveAlphaHook'
]
