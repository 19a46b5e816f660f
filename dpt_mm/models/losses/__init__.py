from .dpt_loss import DPTMattingLoss
from .laplacian_loss import LaplacianLoss, laplacian_pyramid
from .matting_outputs_loss import (TRIMAP_ENCODINGS, MattingOutputsLoss,
                                   unknown_mask)

__all__ = [
    'DPTMattingLoss', 'LaplacianLoss', 'MattingOutputsLoss',
    'TRIMAP_ENCODINGS', 'laplacian_pyramid', 'unknown_mask'
]
