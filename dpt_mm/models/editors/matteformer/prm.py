# Copyright (c) dpt-mm contributors. All rights reserved.
"""Progressive refinement (PRM) of MG Matting / MatteFormer.

The shared head's :func:`~dpt_mm.models.heads.progressive_fusion` dilates
with a square window and a fixed width; MatteFormer's training needs a random
elliptic dilation per sample, so the two fusion steps are written here.
"""
from functools import lru_cache
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


@lru_cache(maxsize=64)
def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def dilate_ellipse(mask: Tensor, size: int) -> Tensor:
    """Binary dilation with OpenCV's ``MORPH_ELLIPSE`` element of
    ``size x size`` (anchor at its centre, as ``cv2.dilate``).

    Args:
        mask (Tensor): ``(N, 1, H, W)`` binary float mask.
        size (int): Element size (>= 1).

    Returns:
        Tensor: The dilated mask, same shape and dtype.
    """
    if size <= 1:
        return mask
    kernel = torch.from_numpy(_ellipse(size)).to(mask)[None, None]
    lo = size // 2
    hi = size - 1 - lo
    padded = F.pad(mask, (lo, hi, lo, hi))
    return (F.conv2d(padded, kernel) > 0.5).to(mask.dtype)


def uncertain_region(alpha: Tensor, sizes: Sequence[int]) -> Tensor:
    """Pixels with ``1/255 <= alpha <= 1 - 1/255``, dilated per sample.

    Args:
        alpha (Tensor): ``(N, 1, H, W)`` predicted alpha in [0, 1].
        sizes (Sequence[int]): Ellipse size for each sample.

    Returns:
        Tensor: ``(N, 1, H, W)`` float mask (1 = refine here).
    """
    if len(sizes) != alpha.shape[0]:
        raise ValueError(f'{len(sizes)} dilation sizes for a batch of '
                         f'{alpha.shape[0]}')
    mask = ((alpha >= 1. / 255) & (alpha <= 1. - 1. / 255)).to(alpha.dtype)
    return torch.cat([
        dilate_ellipse(m[None], int(s)) for m, s in zip(mask, sizes)
    ])


def progressive_refinement(
    outputs: dict,
    widths: Tuple[int, int],
    random_widths: bool,
    generator: Optional[torch.Generator] = None
) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Fuse OS8 -> OS4 -> OS1 where the coarser output is uncertain.

    ``alpha_os4`` keeps its value where ``alpha_os8`` is uncertain (dilated)
    and takes ``alpha_os8`` elsewhere; ``alpha_os1`` likewise against the
    fused OS4. In training (``random_widths``) each sample's ellipse size is
    drawn from ``[1, width)`` as in MatteFormer's trainer; at test time the
    sizes are ``width // 2`` (15 and 7 for the official 30 / 15). The
    official code dilates on a 640x640 nearest-resized map; here it is done
    at the output resolution.

    Args:
        outputs (dict): ``alpha_os1``, ``alpha_os4``, ``alpha_os8``.
        widths (tuple[int, int]): ``self_refine_width1`` / ``width2``.
        random_widths (bool): Draw sizes per sample (training).
        generator (torch.Generator, optional): RNG for the sizes.

    Returns:
        tuple: fused ``alpha_os4``, fused ``alpha_os1`` and their weight
        masks ``weight_os4``, ``weight_os1`` (all ``(N, 1, H, W)``).
    """
    os8, os4, os1 = (outputs['alpha_os8'], outputs['alpha_os4'],
                     outputs['alpha_os1'])
    n = os8.shape[0]

    def sizes(width: int) -> Sequence[int]:
        if not random_widths:
            return [width // 2] * n
        if width <= 1:
            return [1] * n
        return torch.randint(1, width, (n, ), generator=generator).tolist()

    weight_os4 = uncertain_region(os8.detach(), sizes(widths[0]))
    fused_os4 = torch.where(weight_os4 > 0, os4, os8)
    weight_os1 = uncertain_region(fused_os4.detach(), sizes(widths[1]))
    fused_os1 = torch.where(weight_os1 > 0, os1, fused_os4)
    return fused_os4, fused_os1, weight_os4, weight_os1
