# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte's detail-capture decoder: transformers' module as an mmagic
head."""
from types import SimpleNamespace
from typing import Dict, List, Sequence

from torch import Tensor
from transformers.models.vitmatte.modeling_vitmatte import \
    VitMatteDetailCaptureModule

from dpt_mm.registry import MODELS


@MODELS.register_module()
class DetailCaptureHead(VitMatteDetailCaptureModule):
    """ViTMatte's detail-capture decoder: a convolution stream on the input
    and fusion blocks that upsample the ViT features (x2 each) onto it.

    Parameter names are those of transformers' ``VitMatteForImageMatting``
    under ``decoder.``; initialisation is PyTorch's default, as the authors'.

    Args:
        in_channels (int): Channels of the ViT features (384 for ViT-S).
        img_channels (int): Channels of the network input (4).
        convstream_channels (sequence[int]): Widths of the stride-2 conv
            stream.
        fusion_channels (sequence[int]): Widths of the fusion blocks, one more
            than ``convstream_channels``.
        bn_eps (float): BatchNorm epsilon of the conv stream and fusion
            blocks.
    """

    def __init__(self,
                 in_channels: int = 384,
                 img_channels: int = 4,
                 convstream_channels: Sequence[int] = (48, 96, 192),
                 fusion_channels: Sequence[int] = (256, 128, 64, 32),
                 bn_eps: float = 1e-5) -> None:
        config = SimpleNamespace(
            backbone_config=SimpleNamespace(num_channels=img_channels),
            hidden_size=in_channels,
            convstream_hidden_sizes=list(convstream_channels),
            fusion_hidden_sizes=list(fusion_channels),
            batch_norm_eps=bn_eps)
        super().__init__(config)

    def forward(self, feats: List[Tensor]) -> Dict[str, Tensor]:
        """Decode the alpha matte.

        Args:
            feats (list[Tensor]): The backbone's levels, the network input
                (NxCxHxW) first and the ViT features last.

        Returns:
            dict[str, Tensor]: ``{'alpha': Nx1xHxW}`` in [0, 1].
        """
        return {'alpha': super().forward(feats[-1], feats[0])}


__all__ = ['DetailCaptureHead']
