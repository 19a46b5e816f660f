"""User-facing matting: an mmagic-style inferencer and array helpers.

``DPTMattingInferencer`` is imported on first access (PEP 562): its base
class lives in ``mmagic.apis``, whose import pulls controlnet_aux/mediapipe
(several seconds) that ``import dpt_mm`` for training and testing should not
pay. Configs never refer to inferencers, so nothing needs it registered
earlier; importing ``dpt_mm.apis.matting_inferencer`` registers it in
``INFERENCERS``.
"""
from .image_io import (IMG_EXTENSIONS, MattingInputError, collect_pairs,
                       output_paths, read_gray_map, read_image)
from .matting_ops import (blur_fusion_foreground, check_size, check_trimap,
                          composite, estimate_foreground, fit_background,
                          make_cutout, trimap_from_mask)

_LAZY = ('DPTMattingInferencer', 'matting_kinds')


def __getattr__(name: str):
    """Import the inferencer module when one of its names is requested."""
    if name in _LAZY:
        from . import matting_inferencer
        return getattr(matting_inferencer, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = [
    'DPTMattingInferencer', 'IMG_EXTENSIONS', 'MattingInputError',
    'blur_fusion_foreground', 'check_size',
    'check_trimap', 'collect_pairs', 'composite', 'estimate_foreground',
    'fit_background', 'make_cutout', 'matting_kinds', 'output_paths',
    'read_gray_map', 'read_image', 'trimap_from_mask'
]
