# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte's detail-capture decoder: transformers' module as an mmagic
head."""
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor, nn
from transformers.models.vitmatte.modeling_vitmatte import (
    VitMatteConvStream, VitMatteFusionBlock, VitMatteHead)

from dpt_mm.registry import MODELS
from ..base_models.base_head import BaseMattingHead


@MODELS.register_module()
class DetailCaptureHead(BaseMattingHead):
    """ViTMatte's detail-capture decoder: a convolution stream on the input
    and fusion blocks that upsample the ViT features (x2 each) onto it.

    Built from transformers' ``VitMatteConvStream`` / ``VitMatteFusionBlock``
    / ``VitMatteHead``, with the parameter names of its
    ``VitMatteForImageMatting`` under ``decoder.``; initialisation is
    PyTorch's default, as the authors'.

    Args:
        in_channels (int): Channels of the ViT features (384 for ViT-S).
        img_channels (int): Channels of the network input (4).
        convstream_channels (sequence[int]): Widths of the stride-2 conv
            stream.
        fusion_channels (sequence[int]): Widths of the fusion blocks, one more
            than ``convstream_channels``.
        bn_eps (float): BatchNorm epsilon of the conv stream and fusion
            blocks.
        loss (dict, optional): The loss module (training only).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 384,
                 img_channels: int = 4,
                 convstream_channels: Sequence[int] = (48, 96, 192),
                 fusion_channels: Sequence[int] = (256, 128, 64, 32),
                 bn_eps: float = 1e-5,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg)
        if len(fusion_channels) != len(convstream_channels) + 1:
            raise ValueError('fusion_channels needs one entry more than '
                             f'convstream_channels, got {fusion_channels} '
                             f'and {convstream_channels}')
        config = SimpleNamespace(
            backbone_config=SimpleNamespace(num_channels=img_channels),
            hidden_size=in_channels,
            convstream_hidden_sizes=list(convstream_channels),
            fusion_hidden_sizes=list(fusion_channels),
            batch_norm_eps=bn_eps)
        self.convstream = VitMatteConvStream(config)
        # fusion i: the features (ViT's, then fusion i - 1's) upsampled x2
        # and concatenated with conv stream level n - i (level 0: the input)
        widths = [in_channels] + list(fusion_channels)
        stream = self.convstream.conv_chans
        self.fusion_blocks = nn.ModuleList(
            VitMatteFusionBlock(config, widths[i] + stream[-(i + 1)],
                                widths[i + 1])
            for i in range(len(fusion_channels)))
        self.matting_head = VitMatteHead(config)

    def forward(self, feats: List[Tensor]) -> Dict[str, Tensor]:
        """Decode the alpha matte.

        Args:
            feats (list[Tensor]): The backbone's levels, the network input
                (NxCxHxW) first and the ViT features last.

        Returns:
            dict[str, Tensor]: ``{'alpha': Nx1xHxW}`` in [0, 1].
        """
        details = list(self.convstream(feats[0]).values())
        x = feats[-1]
        for i, block in enumerate(self.fusion_blocks):
            x = block(x, details[-(i + 1)])
        return {'alpha': torch.sigmoid(self.matting_head(x))}


__all__ = ['DetailCaptureHead']
