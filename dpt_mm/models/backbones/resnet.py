# Copyright (c) dpt-mm contributors. All rights reserved.
"""mmpretrain's (torchvision-layout) ResNet that also returns its stem.

mmpretrain's ``ResNet`` returns the stage outputs only, while the matting
decoder's OS2 shortcut reads the stem feature; this subclass adds no
parameters, so its state-dict keys are mmpretrain's, i.e. torchvision's
(``conv1.weight``, ``bn1.*``, ``layer1.0.conv1.weight``, ...). A DPT
checkpoint with this backbone converts to the GCA-R50 encoder
(``ResGCABottleneckEncoder``) with
``convert_dpt(ckpt, 'encoder', 'gca_r50')``.
"""
from typing import List, Optional, Tuple, Union

from mmpretrain.models.backbones import ResNet
from torch import Tensor

from dpt_mm.registry import MODELS

# arguments of mmpretrain's ResNet that would change the torchvision key
# layout (deep stem, avg-pool shortcut) or the levels returned
_FIXED = dict(
    num_stages=4,
    out_indices=(0, 1, 2, 3),
    style='pytorch',
    deep_stem=False,
    avg_down=False)


@MODELS.register_module()
class MattingResNet(ResNet):
    """Torchvision-layout ResNet returning ``(stem, *stage outputs)``.

    Outputs for a ResNet-50 and an HxW input (levels 1..5 of
    :class:`MattingHead`; level 0 is the input itself)::

        conv1 (7x7, s2) - bn1 - relu ....... 64 x H/2     level 1
        maxpool - layer1 ................... 256 x H/4    level 2
        layer2 ............................. 512 x H/8    level 3
        layer3 ............................. 1024 x H/16  level 4
        layer4 ............................. 2048 x H/32  level 5

    The stem is taken after ReLU and before the max-pool, as the OS2 input of
    ``ResGCABottleneckEncoder``'s shortcut.

    Args:
        depth (int): ResNet depth (18, 34, 50, 101, 152). Defaults to 50.
        in_channels (int): Input channels (6 = image + one-hot trimap, 3 for
            the without-trimap variant). Defaults to 6.
        norm_cfg (dict): Norm config. Defaults to
            ``dict(type='BN', requires_grad=True)``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to mmpretrain's (Kaiming convs, unit norms; the last norm
            of each block is zero-initialised by ``zero_init_residual``).
        **kwargs: Other arguments of ``mmpretrain.ResNet`` (e.g.
            ``zero_init_residual``, ``with_cp``, ``drop_path_rate``).
            ``num_stages``, ``out_indices``, ``style``, ``deep_stem`` and
            ``avg_down`` are fixed (4, all stages, ``'pytorch'``, False,
            False) to keep the torchvision layout; other values raise.
    """

    def __init__(self,
                 depth: int = 50,
                 in_channels: int = 6,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 **kwargs) -> None:
        for key, value in _FIXED.items():
            if key in kwargs and kwargs[key] != value:
                raise ValueError(f'MattingResNet fixes {key}={value!r} '
                                 f'(torchvision layout), got {kwargs[key]!r}')
            kwargs[key] = value
        if init_cfg is not None:
            kwargs['init_cfg'] = init_cfg
        super().__init__(
            depth=depth, in_channels=in_channels, norm_cfg=norm_cfg, **kwargs)
        self.out_channels = (self.stem_channels, ) + tuple(
            self.base_channels * self.expansion * 2**i for i in range(4))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Forward the stem and the four stages.

        Args:
            x (Tensor): NxCxHxW input.

        Returns:
            tuple[Tensor]: The stem output (stride 2) and the outputs of
            ``layer1``..``layer4`` (strides 4, 8, 16, 32).
        """
        stem = self.relu(self.norm1(self.conv1(x)))
        x = self.maxpool(stem)
        outs = [stem]
        for name in self.res_layers:
            x = getattr(self, name)(x)
            outs.append(x)
        return tuple(outs)
