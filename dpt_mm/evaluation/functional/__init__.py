"""Pure numpy matting metrics matching the official DIM MATLAB code."""
from .dim_matting import (MASK_MODES, METRIC_FUNCS, METRIC_KEYS,
                          TRIMAP_VALUES, check_inputs, compute_all,
                          compute_conn, compute_grad, compute_mse, compute_sad,
                          count_unknown, evaluate_sample,
                          gauss_gradient_kernels, is_masked, mask_bbox,
                          mask_by_trimap, matlab_colon, matlab_sum2)

__all__ = [
    'MASK_MODES', 'METRIC_FUNCS', 'METRIC_KEYS', 'TRIMAP_VALUES',
    'check_inputs', 'compute_all', 'compute_conn', 'compute_grad',
    'compute_mse', 'compute_sad', 'count_unknown', 'evaluate_sample',
    'gauss_gradient_kernels', 'is_masked', 'mask_bbox', 'mask_by_trimap',
    'matlab_colon', 'matlab_sum2'
]
