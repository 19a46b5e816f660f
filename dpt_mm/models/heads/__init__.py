from .matting_head import (MattingHead, ShortcutBlock, UpBasicBlock,
                           init_spectral_norm_vectors, progressive_fusion,
                           uncertain_mask)

__all__ = [
    'MattingHead', 'ShortcutBlock', 'UpBasicBlock',
    'init_spectral_norm_vectors', 'progressive_fusion', 'uncertain_mask'
]
