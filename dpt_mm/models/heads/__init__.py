from .alpha_loss_head import ACTIVATIONS, AlphaLossHead
from .detail_capture import DetailCaptureHead
from .matting_head import (MattingHead, ShortcutBlock, UpBasicBlock,
                           init_spectral_norm_vectors)
from .prm import (PRM_WIDTHS, PRM_WORK_SIZE, dilate_ellipse,
                  progressive_refinement, refine_kernel_sizes,
                  uncertain_region)

__all__ = [
    'ACTIVATIONS', 'AlphaLossHead', 'DetailCaptureHead', 'MattingHead', 'ShortcutBlock',
    'UpBasicBlock', 'init_spectral_norm_vectors', 'PRM_WIDTHS',
    'PRM_WORK_SIZE', 'dilate_ellipse', 'progressive_refinement', 'refine_kernel_sizes',
    'uncertain_region'
]
