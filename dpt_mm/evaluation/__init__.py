from . import functional, metrics  # noqa: F401
from .metrics import (
    DIMConn,
    DIMGrad,
    DIMMattingMetrics,
    DIMMSE,  # noqa
    DIMSAD)

__all__ = [
    'functional', 'metrics', 'DIMMattingMetrics', 'DIMSAD', 'DIMMSE',
    'DIMGrad', 'DIMConn'
]
