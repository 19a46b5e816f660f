from .dim_matting_metrics import (DIMConn, DIMGrad, DIMMattingMetrics, DIMMSE,
                                  DIMSAD)

__all__ = ['DIMMattingMetrics', 'DIMSAD', 'DIMMSE', 'DIMGrad', 'DIMConn']
