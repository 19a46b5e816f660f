from .gradient_penalty_loss import MattingGradientPenaltyLoss
from .laplacian_loss import LaplacianLoss, laplacian_pyramid
from .matting_outputs_loss import MattingOutputsLoss

__all__ = [
    'LaplacianLoss', 'MattingGradientPenaltyLoss', 'MattingOutputsLoss',
    'laplacian_pyramid'
]
