from .resnet_enc import MattingResNetEnc
from .swin import MattingSwinTransformer

__all__ = ['MattingResNetEnc', 'MattingSwinTransformer']
