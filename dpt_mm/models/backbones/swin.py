# Copyright (c) dpt-mm contributors. All rights reserved.
"""mmpretrain's Swin Transformer that also returns its patch embedding.

mmpretrain's ``SwinTransformer`` returns the stage outputs only, while the
matting decoder's OS2 shortcut (MatteFormer) reads the patch embedding; this
subclass adds no parameters, so its state-dict keys are mmpretrain's.
"""
from typing import Tuple

from mmpretrain.models.backbones import SwinTransformer
from mmpretrain.models.utils import resize_pos_embed
from torch import Tensor

from dpt_mm.registry import MODELS


@MODELS.register_module()
class MattingSwinTransformer(SwinTransformer):
    """Swin Transformer returning ``(patch_embed, *stage outputs)``.

    For a 6-channel HxW input and ``out_indices=(0, 1, 2, 3)`` (the
    defaults here) the outputs are the normalised patch embedding
    (C x H/4) and the four stage outputs (C, 2C, 4C, 8C at H/4 .. H/32), i.e.
    levels 1..5 of :class:`MattingHead` (level 0 is the input itself).

    Args:
        in_channels (int): Input channels; 6 for image + one-hot trimap,
            3 for the without-trimap variant. Defaults to 6.
        out_indices (tuple[int]): Stages to output. Defaults to all four.
        **kwargs: Other arguments of ``mmpretrain.SwinTransformer``.
    """

    def __init__(self,
                 in_channels: int = 6,
                 out_indices: Tuple[int, ...] = (0, 1, 2, 3),
                 **kwargs) -> None:
        super().__init__(
            in_channels=in_channels, out_indices=out_indices, **kwargs)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Forward the patch embedding and the stages.

        Args:
            x (Tensor): NxCxHxW input.

        Returns:
            tuple[Tensor]: The patch embedding (NxC0xH/4xW/4) then the
            selected stage outputs.
        """
        x, hw_shape = self.patch_embed(x)
        embed = x.view(-1, *hw_shape, self.embed_dims).permute(0, 3, 1,
                                                               2).contiguous()
        if self.use_abs_pos_embed:
            x = x + resize_pos_embed(self.absolute_pos_embed,
                                     self.patch_resolution, hw_shape,
                                     self.interpolate_mode,
                                     self.num_extra_tokens)
        x = self.drop_after_pos(x)

        outs = [embed]
        for i, stage in enumerate(self.stages):
            x, hw_shape = stage(
                x, hw_shape, do_downsample=self.out_after_downsample)
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x)
                outs.append(
                    out.view(-1, *hw_shape, self.num_features[i]).permute(
                        0, 3, 1, 2).contiguous())
            if stage.downsample is not None and not self.out_after_downsample:
                x, hw_shape = stage.downsample(x, hw_shape)
        return tuple(outs)
