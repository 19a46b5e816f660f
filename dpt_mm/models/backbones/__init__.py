from .resnet import MattingResNet
from .resnet_enc import MattingResNetEnc
from .swin import MattingSwinTransformer
from .vitmatte_vit import ViTMatteViT

__all__ = [
    'MattingResNet', 'MattingResNetEnc', 'MattingSwinTransformer',
    'ViTMatteViT'
]
