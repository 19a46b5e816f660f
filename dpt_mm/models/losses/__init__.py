from .dpt_loss import DPTMattingLoss, unknown_mask
from .laplacian_loss import LaplacianLoss, laplacian_pyramid

__all__ = [
    'DPTMattingLoss', 'LaplacianLoss', 'laplacian_pyramid', 'unknown_mask'
]
