# Copyright (c) dpt-mm contributors. All rights reserved.
"""ViTMatte's gradient penalty loss (mmagic has none; written here)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.models.losses.pixelwise_loss import l1_loss
from torch import Tensor

from dpt_mm.registry import MODELS


def sobel(x: Tensor) -> tuple:
    """Horizontal and vertical 3x3 Sobel responses (zero padding 1) of an
    Nx1xHxW map."""
    kx = x.new_tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]])
    kx = kx.view(1, 1, 3, 3)
    return (F.conv2d(x, kx, padding=1),
            F.conv2d(x, kx.transpose(-1, -2), padding=1))


@MODELS.register_module()
class MattingGradientPenaltyLoss(nn.Module):
    """Sobel-gradient L1 plus a sparsity penalty on the predicted gradient
    (ViTMatte's ``loss_gradient_penalty``; mmagic's ``GradientPenaltyLoss`` is
    the GAN one).

    With ``(gx, gy)`` the Sobel responses and ``mean_w`` the weighted mean
    (mmagic's masked ``l1_loss``, the whole image without ``weight``)::

        loss = loss_weight * (mean_w |gx(pred) - gx(gt)|
                              + mean_w |gy(pred) - gy(gt)|
                              + penalty * (mean_w |gx(pred)|
                                           + mean_w |gy(pred)|))

    ViTMatte weights it by the unknown region; its per-batch scale
    ``N * 512**2 / sum(mask)`` on a plain mean is this weighted mean at its
    512x512 crops.

    Args:
        loss_weight (float): Weight of the loss. Default 1.0.
        penalty (float): Weight of the gradient-magnitude penalty.
            Default 0.01.
    """

    def __init__(self, loss_weight: float = 1.0, penalty: float = 0.01):
        super().__init__()
        self.loss_weight = loss_weight
        self.penalty = penalty

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Nx1xHxW predicted alpha.
            target (Tensor): Nx1xHxW ground-truth alpha.
            weight (Tensor, optional): Nx1xHxW pixel weights.

        Returns:
            Tensor: Scalar loss.
        """
        if pred.shape != target.shape or pred.shape[1] != 1:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} must both be Nx1xHxW')
        px, py = sobel(pred)
        tx, ty = sobel(target)
        zero = torch.zeros_like(px)
        loss = (l1_loss(px, tx, weight, reduction='mean') +
                l1_loss(py, ty, weight, reduction='mean') + self.penalty *
                (l1_loss(px, zero, weight, reduction='mean') +
                 l1_loss(py, zero, weight, reduction='mean')))
        return self.loss_weight * loss


__all__ = ['MattingGradientPenaltyLoss', 'sobel']
