from . import (backbones, base_models, data_preprocessors,  # noqa: F401
               heads, losses, necks)
from .base_models import BaseMattingHead, Mattor

__all__ = ['BaseMattingHead', 'Mattor']
