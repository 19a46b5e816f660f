# Copyright (c) dpt-mm contributors. All rights reserved.
"""Laplacian-pyramid loss (mmagic has none; written here)."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.models.losses.pixelwise_loss import l1_loss
from torch import Tensor

from dpt_mm.registry import MODELS


def gaussian_kernel_5x5(dtype=torch.float32, device=None) -> Tensor:
    """The 5x5 binomial Gaussian ``outer([1, 4, 6, 4, 1]) / 256``."""
    k = torch.tensor([1., 4., 6., 4., 1.], dtype=dtype, device=device)
    return torch.outer(k, k) / 256.


def _blur(x: Tensor, kernel: Tensor) -> Tensor:
    """Depth-wise 5x5 filtering with reflect padding of 2."""
    c = x.shape[1]
    x = F.pad(x, (2, 2, 2, 2), mode='reflect')
    return F.conv2d(x, kernel.expand(c, 1, 5, 5), groups=c)


def pyr_down(x: Tensor, kernel: Tensor) -> Tensor:
    """Blur then keep every second row and column."""
    return _blur(x, kernel)[..., ::2, ::2]


def pyr_up(x: Tensor, kernel: Tensor, size) -> Tensor:
    """Insert zeros between pixels (x2), blur with ``4 * kernel``, crop to
    ``size``."""
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[..., ::2, ::2] = x
    return _blur(up, 4. * kernel)[..., :size[0], :size[1]]


def laplacian_pyramid(x: Tensor, levels: int = 5) -> List[Tensor]:
    """Laplacian pyramid ``L_l = G_l - up(G_{l+1})``, ``G_0 = x``,
    ``G_{l+1} = down(G_l)``, for ``l = 0 .. levels - 1``.

    Args:
        x (Tensor): NxCxHxW input; H and W must be at least
            ``3 * 2 ** (levels - 1)`` (48 for 5 levels) so that the coarsest
            level is wide enough for the reflect padding.
        levels (int): Number of levels. Default 5.

    Returns:
        list[Tensor]: ``levels`` band-pass images, finest first.
    """
    min_size = 3 * 2**(levels - 1)
    if min(x.shape[-2:]) < min_size:
        raise ValueError(f'laplacian_pyramid with {levels} levels needs '
                         f'inputs of at least {min_size}x{min_size}, got '
                         f'{tuple(x.shape[-2:])}')
    kernel = gaussian_kernel_5x5(x.dtype, x.device)
    pyr, cur = [], x
    for _ in range(levels):
        down = pyr_down(cur, kernel)
        pyr.append(cur - pyr_up(down, kernel, cur.shape[-2:]))
        cur = down
    return pyr


@MODELS.register_module()
class LaplacianLoss(nn.Module):
    """Laplacian-pyramid L1 loss, as in FBA / MG Matting / MatteFormer.

    Definition: with ``L_l(.)`` the ``l``-th level of a ``levels``-level
    Laplacian pyramid (5x5 binomial Gaussian ``outer([1,4,6,4,1]) / 256``,
    reflect padding, down = blur then every second pixel, up = zero
    insertion then blur with 4x the kernel; see :func:`laplacian_pyramid`)
    and ``w_l`` the weight map subsampled ``l`` times by taking every second
    pixel (``w_0 = weight``)::

        loss = loss_weight * sum_l 2**l * sum(|L_l(pred) - L_l(gt)| * w_l)
                                          / (sum(w_l) + 1e-12)

    Without ``weight`` each level is a plain mean. Each level term is
    mmagic's masked ``l1_loss``.

    Args:
        loss_weight (float): Weight of the loss. Default 1.0.
        levels (int): Pyramid levels. Default 5.
    """

    def __init__(self, loss_weight: float = 1.0, levels: int = 5) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.levels = levels

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): NxCxHxW prediction.
            target (Tensor): NxCxHxW target.
            weight (Tensor, optional): Nx1xHxW or NxCxHxW weight map.

        Returns:
            Tensor: Scalar loss.
        """
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        pyr_p = laplacian_pyramid(pred, self.levels)
        pyr_t = laplacian_pyramid(target, self.levels)
        loss = pred.new_zeros(())
        for lvl, (p, t) in enumerate(zip(pyr_p, pyr_t)):
            w = None if weight is None else weight[..., ::2**lvl, ::2**lvl]
            loss = loss + 2**lvl * l1_loss(p, t, w, reduction='mean')
        return self.loss_weight * loss
