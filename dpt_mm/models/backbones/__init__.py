from .past_swin import (MatteFormerEncoder, PASTBlock, PASTStage,
                        PriorShiftWindowMSA, PriorWindowMSA)
from .resgca_bottleneck_enc import ResGCABottleneckEncoder
from .resnet import MattingResNet
from .resnet_enc import MattingResNetEnc
from .swin import MattingSwinTransformer
from .vitmatte_vit import ViTMatteViT

__all__ = [
    'MatteFormerEncoder', 'MattingResNet', 'MattingResNetEnc',
    'MattingSwinTransformer', 'PASTBlock', 'PASTStage', 'PriorShiftWindowMSA',
    'PriorWindowMSA', 'ResGCABottleneckEncoder', 'ViTMatteViT'
]
