# Copyright (c) dpt-mm contributors. All rights reserved.
from .prm import (PRM_WIDTHS, PRM_WORK_SIZE, dilate_ellipse,
                  progressive_refinement, refine_kernel_sizes,
                  uncertain_region)
from .spectral_norm import init_spectral_norm_vectors, power_iteration

__all__ = [
    'PRM_WIDTHS', 'PRM_WORK_SIZE', 'dilate_ellipse', 'progressive_refinement',
    'refine_kernel_sizes', 'uncertain_region', 'init_spectral_norm_vectors',
    'power_iteration'
]
