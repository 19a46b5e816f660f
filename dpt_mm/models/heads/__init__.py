# Copyright (c) dpt-mm contributors. All rights reserved.
from .alpha_loss_head import AlphaLossHead
from .detail_capture import DetailCaptureHead
from .matting_head import MattingHead, ShortcutBlock, UpBasicBlock

__all__ = [
    'AlphaLossHead', 'DetailCaptureHead', 'MattingHead', 'ShortcutBlock',
    'UpBasicBlock'
]
