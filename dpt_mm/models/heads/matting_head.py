# Copyright (c) dpt-mm contributors. All rights reserved.
"""The shared ResShortcut matting decoder (``MattingHead``).

mmagic's ``ResShortcutDec`` (GCA) has a single output and ConvModule key
names; the MG Matting / MatteFormer family needs per-level shortcut blocks,
transposed-conv up-sampling and three progressive-refinement outputs with key
names that map onto the official checkpoints by a prefix rename, so it is
written here.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor

from dpt_mm.registry import MODELS
from ..base_models.base_head import BaseMattingHead
from ..utils.spectral_norm import init_spectral_norm_vectors

# strides of the six decoder levels (OS1 = the network input)
LEVEL_STRIDES = (1, 2, 4, 8, 16, 32)


def sn(module: nn.Module) -> nn.Module:
    """Wrap ``module`` with torch's spectral norm over its first weight dim.

    ``dim=0`` also for transposed convolutions (torch's default there is 1),
    so sigma is computed as in MG Matting's / MatteFormer's SpectralNorm and
    their ``weight_bar / weight_u / weight_v`` map onto
    ``weight_orig / weight_u / weight_v`` with identical behaviour.
    """
    return nn.utils.spectral_norm(module, dim=0)


def _norm(norm_cfg: dict, channels: int) -> nn.Module:
    return build_norm_layer(norm_cfg, channels)[1]


class ShortcutBlock(nn.Sequential):
    """Two spectral-normalised 3x3 convs, each followed by ReLU then norm.

    Indices 0 / 3 are the convs and 2 / 5 the norms, as in the official
    MG Matting / MatteFormer ``shortcut`` blocks.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__(
            sn(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)),
            nn.ReLU(inplace=True), _norm(norm_cfg, out_channels),
            sn(nn.Conv2d(out_channels, out_channels, 3, padding=1,
                         bias=False)), nn.ReLU(inplace=True),
            _norm(norm_cfg, out_channels))


class UpBasicBlock(nn.Module):
    """Residual decoder block, optionally up-sampling x2.

    ``conv1`` is a 4x4 stride-2 transposed conv when up-sampling (else a 3x3
    conv), ``conv2`` a 3x3 conv to ``out_channels``; the identity path is
    ``upsample`` = nearest x2 -> 1x1 conv -> norm when shapes change. All
    convs are spectral-normalised, activations LeakyReLU(0.2).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): 2 to up-sample x2, 1 otherwise.
        norm_cfg (dict): Norm layer config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        if stride == 2:
            self.conv1 = sn(
                nn.ConvTranspose2d(
                    in_channels, in_channels, 4, stride=2, padding=1,
                    bias=False))
        else:
            self.conv1 = sn(
                nn.Conv2d(in_channels, in_channels, 3, padding=1, bias=False))
        self.bn1 = _norm(norm_cfg, in_channels)
        self.activation = nn.LeakyReLU(0.2, inplace=True)
        self.conv2 = sn(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False))
        self.bn2 = _norm(norm_cfg, out_channels)
        self.upsample: Optional[nn.Module] = None
        if stride == 2 or in_channels != out_channels:
            layers: List[nn.Module] = [
                sn(nn.Conv2d(in_channels, out_channels, 1, bias=False)),
                _norm(norm_cfg, out_channels)
            ]
            if stride == 2:
                layers.insert(0, nn.Upsample(scale_factor=2, mode='nearest'))
            self.upsample = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Forward one block."""
        out = self.activation(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.upsample is None else self.upsample(x)
        return self.activation(out + identity)


@MODELS.register_module()
class MattingHead(BaseMattingHead):
    """ResShortcut matting decoder with progressive-refinement outputs.

    The decoder family of MG Matting and MatteFormer, shared by DPT
    pre-training and fine-tuning so that an encoder+decoder initialisation
    (DPT Table 6) is a key rename. With the MatteFormer defaults and an input
    of HxW::

        feats[i] (level i, stride s_i = 1, 2, 4, 8, 16, 32)
          -> resized to H/s_i x W/s_i if needed (bilinear)
          -> shortcut[i]: [SN-conv3x3 -> ReLU -> BN] x 2      (fea_i)
             (a level with shortcut channel None passes through)

        x = fea_5                                   C5   x H/32
        x = layer1(x) + fea_4   (2 UpBasicBlocks)   256  x H/16
        x = layer2(x) + fea_3   (3 UpBasicBlocks)   128  x H/8 -> refine_OS8
        x = layer3(x) + fea_2   (3 UpBasicBlocks)   64   x H/4 -> refine_OS4
        x = layer4(x) + fea_1   (2 UpBasicBlocks)   32   x H/2
        x = LeakyReLU(bn1(conv1(x))) + fea_0        32   x H   -> refine_OS1
            (conv1: SN 4x4 stride-2 transposed conv)

        refine_OSk: conv(k5/k3) -> BN -> LeakyReLU -> conv to 1 channel,
        bilinearly up-sampled to HxW, then alpha = (tanh + 1) / 2.

    The first block of each ``layer`` up-samples x2 (transposed conv, with a
    nearest + 1x1-conv identity path); the layer widths are the shortcut
    widths of levels 4..1 and ``conv1`` outputs the level-0 width.

    Args:
        in_channels (Sequence[int]): Channels of the six input levels.
            Defaults to MatteFormer's ``(6, 96, 96, 192, 384, 768)``.
        shortcut_channels (Sequence[int | None]): Output channels of each
            level's shortcut block; ``None`` passes the level through
            (MG Matting's deepest level). Defaults to
            ``(32, 32, 64, 128, 256, 512)``.
        num_blocks (Sequence[int]): Blocks of ``layer1..layer4``.
            Defaults to ``(2, 3, 3, 2)``.
        refine_channels (int): Hidden width of the refine heads. Default 32.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        align_corners (bool): ``align_corners`` of the input-level resizing;
            True matches MatteFormer's x2 up-sampling of the patch embedding.
        loss (dict, optional): Config of the loss module (e.g.
            ``MattingOutputsLoss``); needed only for training.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (Xavier-uniform convs, zero-init last BN of each block).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (6, 96, 96, 192, 384, 768),
                 shortcut_channels: Sequence[Optional[int]] = (32, 32, 64, 128,
                                                               256, 512),
                 num_blocks: Sequence[int] = (2, 3, 3, 2),
                 refine_channels: int = 32,
                 norm_cfg: dict = dict(type='BN'),
                 align_corners: bool = True,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg)
        if len(in_channels) != 6 or len(shortcut_channels) != 6:
            raise ValueError('MattingHead needs 6 levels of in_channels and '
                             f'shortcut_channels, got {len(in_channels)} and '
                             f'{len(shortcut_channels)}')
        if len(num_blocks) != 4 or min(num_blocks) < 1:
            raise ValueError(f'num_blocks must be 4 positive ints, got '
                             f'{num_blocks}')
        self.in_channels = tuple(in_channels)
        self.align_corners = align_corners
        out_ch = [
            c if s is None else s
            for c, s in zip(in_channels, shortcut_channels)
        ]
        self.out_channels = tuple(out_ch)
        self.shortcut = nn.ModuleList([
            nn.Identity() if s is None else ShortcutBlock(c, s, norm_cfg)
            for c, s in zip(in_channels, shortcut_channels)
        ])

        inplanes = out_ch[5]
        for i, blocks in enumerate(num_blocks):
            planes = out_ch[4 - i]
            layer = [UpBasicBlock(inplanes, planes, 2, norm_cfg)]
            layer += [
                UpBasicBlock(planes, planes, 1, norm_cfg)
                for _ in range(blocks - 1)
            ]
            self.add_module(f'layer{i + 1}', nn.Sequential(*layer))
            inplanes = planes
        self.conv1 = sn(
            nn.ConvTranspose2d(
                inplanes, out_ch[0], 4, stride=2, padding=1, bias=False))
        self.bn1 = _norm(norm_cfg, out_ch[0])
        self.leaky_relu = nn.LeakyReLU(0.2, inplace=True)

        def refine(channels: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(channels, refine_channels, 3, padding=1,
                          bias=False), _norm(norm_cfg, refine_channels),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(refine_channels, 1, 3, padding=1))

        self.refine_OS1 = refine(out_ch[0])
        self.refine_OS4 = refine(out_ch[2])
        self.refine_OS8 = refine(out_ch[3])
        if init_cfg is None:
            self._default_init()
        init_spectral_norm_vectors(self)

    def _default_init(self) -> None:
        """Xavier-uniform conv weights, unit BN, zero last BN per block."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                w = getattr(m, 'weight_orig', m.weight)
                nn.init.xavier_uniform_(w)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm,
                                nn.SyncBatchNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        for m in self.modules():
            if isinstance(m, UpBasicBlock):
                nn.init.constant_(m.bn2.weight, 0)

    def forward(self, feats: Sequence[Tensor]) -> Dict[str, Tensor]:
        """Decode six feature levels into three alpha predictions.

        Args:
            feats (Sequence[Tensor]): ``[OS1 input, OS2 source, OS4, OS8,
                OS16, OS32]``; a level whose size is not ``input / stride``
                is bilinearly resized to it.

        Returns:
            dict[str, Tensor]: ``alpha_os1``, ``alpha_os4``, ``alpha_os8``,
            each Nx1xHxW in [0, 1].
        """
        if len(feats) != 6:
            raise ValueError(f'MattingHead expects 6 feature levels, got '
                             f'{len(feats)}')
        h, w = feats[0].shape[-2:]
        if h % 32 or w % 32:
            raise ValueError(f'input size {h}x{w} must be divisible by 32')
        fea = []
        for i, (f, stride) in enumerate(zip(feats, LEVEL_STRIDES)):
            if f.shape[1] != self.in_channels[i]:
                raise ValueError(f'level {i} has {f.shape[1]} channels, '
                                 f'expected {self.in_channels[i]}')
            size = (h // stride, w // stride)
            if tuple(f.shape[-2:]) != size:
                f = F.interpolate(
                    f, size=size, mode='bilinear',
                    align_corners=self.align_corners)
            fea.append(self.shortcut[i](f))

        x = self.layer1(fea[5]) + fea[4]
        x = self.layer2(x) + fea[3]
        x_os8 = self.refine_OS8(x)
        x = self.layer3(x) + fea[2]
        x_os4 = self.refine_OS4(x)
        x = self.layer4(x) + fea[1]
        x = self.leaky_relu(self.bn1(self.conv1(x))) + fea[0]
        x_os1 = self.refine_OS1(x)

        x_os4 = F.interpolate(
            x_os4, size=(h, w), mode='bilinear', align_corners=False)
        x_os8 = F.interpolate(
            x_os8, size=(h, w), mode='bilinear', align_corners=False)
        return dict(
            alpha_os1=(torch.tanh(x_os1) + 1.0) / 2.0,
            alpha_os4=(torch.tanh(x_os4) + 1.0) / 2.0,
            alpha_os8=(torch.tanh(x_os8) + 1.0) / 2.0)
