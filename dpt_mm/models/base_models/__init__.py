# Copyright (c) dpt-mm contributors. All rights reserved.
from .base_head import BaseMattingHead
from .mattor import Mattor, border_pad

__all__ = ['BaseMattingHead', 'Mattor', 'border_pad']
