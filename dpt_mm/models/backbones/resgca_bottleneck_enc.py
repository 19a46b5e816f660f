# Copyright (c) dpt-mm contributors. All rights reserved.
"""GCA encoder on a standard (torchvision-layout) ResNet-50 for DPT Table 8.

mmagic's ``ResGCAEncoder`` is built on ``ResNetEnc``, which implements only
``BasicBlock`` and GCA-Matting's ResNet-D stem, so torchvision / mmpretrain /
DenseCL ResNet-50 weights cannot be loaded into it. This module keeps
GCA's shortcut blocks, guidance head and ``GCAModule`` (all reused from
mmagic / mmcv) around mmpretrain's ``ResNet``, and returns the same output
dict as ``ResGCAEncoder`` so that mmagic's ``ResGCADecoder`` and ``GCA``
mattor are used unchanged.
"""
from typing import Dict, Optional, Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmagic.models.editors.gca.gca_module import GCAModule
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.models.backbones import ResNet
from torch import Tensor

from dpt_mm.registry import MODELS


@MODELS.register_module()
class ResGCABottleneckEncoder(BaseModule):
    """ResNet (torchvision layout) + GCA shortcut encoder.

    ::

        x (6ch) ------------------------------ shortcut[0] -> feat1  (OS1)
        conv1-bn1-relu (stem, OS2) ----------- shortcut[1] -> feat2  (OS2)
        maxpool-layer1 (OS4) ----------------- shortcut[2] -> feat3  (OS4)
        layer2 (OS8) -> gca(img_feat, ., unknown)
                          `------------------- shortcut[3] -> feat4  (OS8)
        layer3 (OS16) ------------------------ shortcut[4] -> feat5  (OS16)
        layer4 (OS32) -> reduce (1x1 conv) ------------------> out    (OS32)

    The ResNet body has no spectral norm, so supervised / DenseCL weights keep
    their meaning; the GCA parts (shortcuts, guidance head, ``reduce``) are
    spectral-normalised like mmagic's GCA encoder. ``reduce`` projects the
    2048-channel OS32 feature to ``out_channels`` so that the decoder is the
    one of GCA-R34 (the DPT paper does not say how its R50 variant bridges
    the widths; this is our choice).

    Args:
        depth (int): ResNet depth (18, 34, 50, 101, 152). Default 50.
        in_channels (int): Input channels (image + one-hot trimap). Default 6.
        shortcut_channels (Sequence[int]): Output widths of the five shortcut
            blocks, those of GCA-R34 by default ``(32, 32, 64, 128, 256)``.
        out_channels (int): Width of ``out`` fed to the decoder. Default 512.
        guidance_channels (int): Width of the guidance feature. Default 128.
        norm_cfg (dict): Norm config. Default ``dict(type='BN')``.
        act_cfg (dict): Activation config. Default ``dict(type='ReLU')``.
        with_spectral_norm (bool): Spectral norm on the GCA parts.
            Default True.
        order (Sequence[str]): Layer order of the shortcut and guidance
            ConvModules, GCA's ``('conv', 'act', 'norm')`` by default.
        init_cfg (dict, optional): Initialisation config. Default None.
    """

    def __init__(self,
                 depth: int = 50,
                 in_channels: int = 6,
                 shortcut_channels: Sequence[int] = (32, 32, 64, 128, 256),
                 out_channels: int = 512,
                 guidance_channels: int = 128,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 with_spectral_norm: bool = True,
                 order: Sequence[str] = ('conv', 'act', 'norm'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels != 6:
            raise ValueError('ResGCABottleneckEncoder takes image + one-hot '
                             f'trimap (6 channels), got {in_channels}')
        if len(shortcut_channels) != 5:
            raise ValueError('shortcut_channels needs 5 widths, got '
                             f'{shortcut_channels}')
        self.resnet = ResNet(
            depth=depth,
            in_channels=in_channels,
            out_indices=(0, 1, 2, 3),
            style='pytorch',
            norm_cfg=dict(norm_cfg, requires_grad=True))
        stem = self.resnet.stem_channels
        stages = [
            self.resnet.base_channels * 2**i * self.resnet.expansion
            for i in range(4)
        ]
        order = tuple(order)

        def conv(cin: int, cout: int, k: int = 3, **kwargs) -> ConvModule:
            return ConvModule(
                cin,
                cout,
                k,
                padding=k // 2,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
                with_spectral_norm=with_spectral_norm,
                **kwargs)

        self.shortcut = nn.ModuleList()
        for cin, cout in zip([in_channels, stem] + stages[:3],
                             shortcut_channels):
            self.shortcut.append(
                nn.Sequential(
                    conv(cin, cout, order=order),
                    conv(cout, cout, order=order)))
        guidance = []
        for cin, cout in zip((3, 16, 32), (16, 32, guidance_channels)):
            guidance.append(
                conv(cin, cout, stride=2, padding_mode='reflect',
                     order=order))
        self.guidance_head = nn.Sequential(*guidance)
        self.gca = GCAModule(guidance_channels, stages[1])
        self.reduce = conv(stages[3], out_channels, k=1)
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        """Encode a 6-channel input.

        Args:
            x (Tensor): Nx6xHxW normalised image + one-hot trimap
                (channel 4 = unknown), H and W divisible by 32.

        Returns:
            dict[str, Tensor]: ``out``, ``feat1``..``feat5``, ``img_feat``
            and ``unknown``, as mmagic's ``ResGCAEncoder``.
        """
        r = self.resnet
        stem = r.relu(r.norm1(r.conv1(x)))
        x2 = r.layer1(r.maxpool(stem))
        x3 = r.layer2(x2)
        img_feat = self.guidance_head(x[:, :3])
        unknown = F.interpolate(x[:, 4:5], scale_factor=1 / 8, mode='nearest')
        x3 = self.gca(img_feat, x3, unknown)
        x4 = r.layer3(x3)
        out = self.reduce(r.layer4(x4))
        feats = [s(f) for s, f in zip(self.shortcut, (x, stem, x2, x3, x4))]
        return dict(
            out=out,
            feat1=feats[0],
            feat2=feats[1],
            feat3=feats[2],
            feat4=feats[3],
            feat5=feats[4],
            img_feat=img_feat,
            unknown=unknown)
