from . import backbones, base_models, editors, heads, losses  # noqa: F401
from .base_models import BaseMattingHead, Mattor

__all__ = ['BaseMattingHead', 'Mattor']
