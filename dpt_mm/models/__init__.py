from . import backbones, base_models, heads, losses, necks  # noqa: F401
from .base_models import BaseMattingHead, Mattor

__all__ = ['BaseMattingHead', 'Mattor']
