from .checkpoint_hook import SafeCheckpointHook
from .hooks import (DumpMetricsHook, SaveAlphaHook, SkippedImagesHook,
                    TerminalProgressHook)
from .layer_decay import BackboneLayerDecayOptimWrapperConstructor
from .optim_wrapper import AdaptiveGradClipOptimWrapper
from .random_state_hook import RandomStateHook
from .stream_hooks import ShardStreamHook

__all__ = [
    'AdaptiveGradClipOptimWrapper',
    'BackboneLayerDecayOptimWrapperConstructor', 'DumpMetricsHook',
    'RandomStateHook',
    'SafeCheckpointHook', 'SaveAlphaHook', 'ShardStreamHook',
    'SkippedImagesHook', 'TerminalProgressHook'
]
