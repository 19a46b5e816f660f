from .dpt_loss import DPTMattingLoss
from .gradient_penalty_loss import MattingGradientPenaltyLoss
from .laplacian_loss import LaplacianLoss, laplacian_pyramid
from .matting_outputs_loss import (TRIMAP_ENCODINGS, MattingOutputsLoss,
                                   unknown_mask)

__all__ = [
    'DPTMattingLoss', 'LaplacianLoss', 'MattingGradientPenaltyLoss',
    'MattingOutputsLoss', 'TRIMAP_ENCODINGS', 'laplacian_pyramid',
    'unknown_mask'
]
