# Copyright (c) dpt-mm contributors. All rights reserved.
"""Progressive refinement (PRM) of MG Matting / MatteFormer / DPT, training
and test, with the official arithmetic (:func:`uncertain_region`).

mmagic and mmcv have none (mmcv's morphology is CPU-only on numpy); the
dilation is a convolution, on the model's device.
"""
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: work size of MatteFormer's / the DPT authors' PRM (h, w)
PRM_WORK_SIZE = (640, 640)
#: the official ``self_refine_width1`` / ``self_refine_width2``
PRM_WIDTHS = (30, 15)


@lru_cache(maxsize=64)
def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def dilate_ellipse(mask: Tensor, size: int) -> Tensor:
    """Binary dilation with OpenCV's ``MORPH_ELLIPSE`` element of
    ``size x size`` (anchor at ``size // 2``, as ``cv2.dilate``; outside the
    image counts as 0).

    Args:
        mask (Tensor): ``(N, 1, H, W)`` binary mask.
        size (int): Element size (>= 1; 1 leaves the mask unchanged).

    Returns:
        Tensor: The dilated mask, same shape and dtype.
    """
    if size < 1:
        raise ValueError(f'ellipse size must be >= 1, got {size}')
    if size == 1:
        return mask
    kernel = torch.from_numpy(_ellipse(size)).to(mask.device,
                                                 torch.float32)[None, None]
    lo = size // 2
    hi = size - 1 - lo
    padded = F.pad(mask.to(torch.float32), (lo, hi, lo, hi))
    # 0 / 1 products summed: exact in float32 (and in TF32 / fp16)
    return (F.conv2d(padded, kernel) > 0.5).to(mask.dtype)


def refine_kernel_sizes(width: int,
                        num: int,
                        random_sizes: bool,
                        generator: Optional[torch.Generator] = None
                        ) -> List[int]:
    """Ellipse sizes of one PRM step for ``num`` samples.

    Args:
        width (int): ``self_refine_width`` (>= 2).
        num (int): Batch size.
        random_sizes (bool): Training: each size uniform in
            ``[1, width - 1]`` (``np.random.randint(1, width)``). Test:
            ``width // 2`` for all.
        generator (torch.Generator, optional): RNG of the random sizes.

    Returns:
        list[int]: One size per sample.
    """
    if width < 2:
        raise ValueError(f'PRM width must be >= 2, got {width}')
    if not random_sizes:
        return [width // 2] * num
    return torch.randint(1, width, (num, ), generator=generator).tolist()


def uncertain_region(alpha: Tensor,
                     sizes: Sequence[int],
                     work_size: Optional[Sequence[int]] = PRM_WORK_SIZE
                     ) -> Tensor:
    """The dilated uncertain region of ``alpha``.

    The arithmetic of the official ``get_unknown_tensor_from_pred`` (MG
    Matting, MatteFormer and the DPT authors' code):

    1. MatteFormer / DPT only: resize the prediction to ``640 x 640``
       (``F.interpolate``, ``mode='nearest'``); MG Matting works at the
       prediction's own size;
    2. uncertain = ``1/255 <= alpha <= 1 - 1/255`` (the pixels are zeroed
       where ``alpha < 1/255`` or ``alpha > 1 - 1/255``);
    3. dilate each sample with ``cv2.MORPH_ELLIPSE`` of ``size x size``, the
       official ``Kernels[size]``; ``size`` is drawn from ``[1, width - 1]``
       per sample in training and is ``width // 2`` at test time (15 and 7
       for the official widths 30 / 15), see :func:`refine_kernel_sizes`;
    4. resize the mask back to the prediction's size (nearest).

    Args:
        alpha (Tensor): ``(N, 1, H, W)`` predicted alpha in [0, 1].
        sizes (Sequence[int]): Ellipse size for each sample.
        work_size (Sequence[int], optional): ``(h, w)`` at which the
            region is found and dilated (nearest resizing there and back);
            None works at ``H x W``. Defaults to ``(640, 640)``.

    Returns:
        Tensor: ``(N, 1, H, W)`` 0 / 1 mask of ``alpha``'s dtype.
    """
    if alpha.dim() != 4 or alpha.shape[1] != 1:
        raise ValueError(f'alpha must be Nx1xHxW, got {tuple(alpha.shape)}')
    if len(sizes) != alpha.shape[0]:
        raise ValueError(f'{len(sizes)} dilation sizes for a batch of '
                         f'{alpha.shape[0]}')
    alpha = alpha.detach()
    size = tuple(alpha.shape[-2:])
    if work_size is not None:
        alpha = F.interpolate(
            alpha, size=tuple(int(s) for s in work_size), mode='nearest')
    mask = ((alpha >= 1. / 255) & (alpha <= 1. - 1. / 255)).to(alpha.dtype)
    mask = torch.cat(
        [dilate_ellipse(m[None], int(s)) for m, s in zip(mask, sizes)])
    if work_size is not None:
        mask = F.interpolate(mask, size=size, mode='nearest')
    return mask


def progressive_refinement(
    outputs: Dict[str, Tensor],
    widths: Sequence[int] = PRM_WIDTHS,
    random_widths: bool = False,
    generator: Optional[torch.Generator] = None,
    work_size: Optional[Sequence[int]] = PRM_WORK_SIZE
) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Fuse OS8 -> OS4 -> OS1 where the coarser output is uncertain.

    ``alpha_os4`` keeps its value where ``alpha_os8`` is uncertain
    (:func:`uncertain_region`) and takes ``alpha_os8`` elsewhere;
    ``alpha_os1`` likewise against that fused OS4.

    Args:
        outputs (dict): ``alpha_os1``, ``alpha_os4``, ``alpha_os8``, each
            ``(N, 1, H, W)``.
        widths (Sequence[int]): ``self_refine_width1`` / ``width2``.
            Defaults to ``(30, 15)``.
        random_widths (bool): Random sizes per sample (training) instead of
            ``width // 2`` (test). Defaults to False.
        generator (torch.Generator, optional): RNG for the sizes.
        work_size (Sequence[int], optional): See
            :func:`uncertain_region`; ``(640, 640)`` for MatteFormer and
            DPT, None (the output's size) for MG Matting.

    Returns:
        tuple: fused ``alpha_os4``, fused ``alpha_os1`` and their weight
        masks ``weight_os4``, ``weight_os1`` (all ``(N, 1, H, W)``).
    """
    if len(widths) != 2:
        raise ValueError(f'PRM needs 2 widths (OS4, OS1 steps), got {widths}')
    os8, os4, os1 = (outputs['alpha_os8'], outputs['alpha_os4'],
                     outputs['alpha_os1'])
    n = os8.shape[0]
    sizes4 = refine_kernel_sizes(int(widths[0]), n, random_widths, generator)
    weight_os4 = uncertain_region(os8, sizes4, work_size)
    fused_os4 = torch.where(weight_os4 > 0, os4, os8)
    sizes1 = refine_kernel_sizes(int(widths[1]), n, random_widths, generator)
    weight_os1 = uncertain_region(fused_os4, sizes1, work_size)
    fused_os1 = torch.where(weight_os1 > 0, os1, fused_os4)
    return fused_os4, fused_os1, weight_os4, weight_os1
