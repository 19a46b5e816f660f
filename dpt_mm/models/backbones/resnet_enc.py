# Copyright (c) dpt-mm contributors. All rights reserved.
"""GCA / MG Matting ResNet-34 encoder returning all five levels.

mmagic's ``ResNetEnc`` (the GCA-Matting encoder) returns only its last
feature and ``ResShortcutEnc`` applies its own shortcut blocks; the shared
:class:`MattingHead` owns the shortcuts, so this subclass only returns the
intermediate features. State-dict keys are those of ``ResNetEnc``.
"""
from typing import Optional, Sequence, Tuple

from mmagic.models.editors.gca.resgca_enc import ResNetEnc
from torch import Tensor

from dpt_mm.registry import MODELS


@MODELS.register_module()
class MattingResNetEnc(ResNetEnc):
    """ResNet-D encoder of GCA / MG Matting (``layers=(3, 4, 4, 2)``, the
    "ResNet-34" of those papers) with spectral norm, returning five levels.

    Outputs for an HxW input (default, no late downsample)::

        conv1 (s2) -> conv2 ........ 32 x H/2    level 1
        conv3 (s2) -> layer1 ....... 64 x H/4    level 2
        layer2 ..................... 128 x H/8   level 3
        layer3 ..................... 256 x H/16  level 4
        layer4 ..................... 512 x H/32  level 5

    Args:
        in_channels (int): Input channels (6 = image + one-hot trimap, 3 for
            the without-trimap variant). Defaults to 6.
        layers (Sequence[int]): Blocks per stage. Defaults to (3, 4, 4, 2).
        with_spectral_norm (bool): Spectral norm on every conv. Default True.
        late_downsample (bool): Late downsampling stem. Default False.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 6,
                 layers: Sequence[int] = (3, 4, 4, 2),
                 with_spectral_norm: bool = True,
                 late_downsample: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            'BasicBlock',
            list(layers),
            in_channels,
            norm_cfg=norm_cfg,
            with_spectral_norm=with_spectral_norm,
            late_downsample=late_downsample,
            init_cfg=init_cfg)
        self.out_channels = (self.midplanes, 64, 128, 256, 512)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return the five feature levels (strides 2, 4, 8, 16, 32)."""
        x1 = self.conv2(self.conv1(x))
        x2 = self.layer1(self.conv3(x1))
        x3 = self.layer2(x2)
        x4 = self.layer3(x3)
        return x1, x2, x3, x4, self.layer4(x4)
