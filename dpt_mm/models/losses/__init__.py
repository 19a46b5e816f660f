from .laplacian_loss import LaplacianLoss, laplacian_pyramid
from .matting_outputs_loss import MattingOutputsLoss

__all__ = ['LaplacianLoss', 'MattingOutputsLoss', 'laplacian_pyramid']
