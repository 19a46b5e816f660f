# Copyright (c) dpt-mm contributors. All rights reserved.
"""The ASPP neck of MG Matting, as a thin subclass of mmagic's ``ASPP``."""
from typing import Sequence

import torch.nn as nn
from mmagic.models.archs import ASPP

from dpt_mm.registry import MODELS


@MODELS.register_module()
class MGMattingASPP(ASPP):
    """ASPP between MG Matting's encoder and decoder.

    mmagic's :class:`~mmagic.models.archs.ASPP` has the same five branches
    (1x1 conv, three dilated 3x3 convs, image pooling; conv -> BN -> ReLU,
    no conv bias) and the same 1x1 projection, but ends with
    ``Dropout(0.5)``, which MG Matting's ASPP does not have; this subclass
    drops it and fixes MG Matting's widths and dilations.

    Args:
        in_channels (int): Input channels. Default 512.
        out_channels (int): Output channels. Default 512.
        mid_channels (int): Width of each branch. Default 256.
        dilations (Sequence[int]): Dilations of the three 3x3 branches.
            Default ``(2, 4, 8)``.
        norm_cfg (dict): Norm config. Default ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int = 512,
                 out_channels: int = 512,
                 mid_channels: int = 256,
                 dilations: Sequence[int] = (2, 4, 8),
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__(
            in_channels,
            out_channels=out_channels,
            mid_channels=mid_channels,
            dilations=tuple(dilations),
            norm_cfg=norm_cfg)
        self.project[1] = nn.Identity()
