from .resnet import MattingResNet
from .resnet_enc import MattingResNetEnc
from .swin import MattingSwinTransformer

__all__ = ['MattingResNet', 'MattingResNetEnc', 'MattingSwinTransformer']
