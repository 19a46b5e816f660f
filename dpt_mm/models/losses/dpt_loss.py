# Copyright (c) dpt-mm contributors. All rights reserved.
"""The DPT pre-training loss over the progressive-refinement outputs.

mmagic's mattors compute their losses inline on a single alpha; DPT needs
the same three terms on three decoder outputs, so the combination lives here
and reuses mmagic's ``L1Loss`` / ``L1CompositionLoss``.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from torch import Tensor

from dpt_mm.registry import MODELS


def unknown_mask(trimap: Tensor) -> Tensor:
    """Nx1xHxW float mask of the unknown region of a batched trimap.

    Args:
        trimap (Tensor): Either one-hot Nx3xHxW (channel 1 = unknown, as
            given by ``FormatTrimap(to_onehot=True)``) or Nx1xHxW with
            values 0 / 128 / 255 (or 0 / 0.5 / 1 after rescaling).

    Returns:
        Tensor: 1 in the unknown region, 0 elsewhere.
    """
    if trimap.dim() != 4:
        raise ValueError(f'trimap must be NxCxHxW, got {tuple(trimap.shape)}')
    if trimap.shape[1] == 3:
        return (trimap[:, 1:2] > 0.5).float()
    if trimap.shape[1] == 1:
        t = trimap.float()
        if t.max() > 1:
            return (t == 128).float()
        return ((t > 0.25) & (t < 0.75)).float()
    raise ValueError(
        f'trimap must have 1 or 3 channels, got {trimap.shape[1]}')


@MODELS.register_module()
class DPTMattingLoss(nn.Module):
    """L1 + composition + Laplacian loss on the unknown region.

    For each decoder output ``k`` in ``output_weights`` (``alpha_os1``,
    ``alpha_os4``, ``alpha_os8``) and ``U`` the trimap's unknown region::

        loss_alpha = sum_k v_k * L1(alpha_k, gt_alpha; U)
        loss_comp  = sum_k v_k * L1(alpha_k F + (1 - alpha_k) B,
                                    gt_merged; U)
        loss_lap   = sum_k v_k * Lap(alpha_k, gt_alpha; U)

    where ``L1(.; U)`` is the mean absolute error over ``U`` (mmagic's
    ``L1Loss`` / ``L1CompositionLoss`` with ``weight=U``), ``Lap`` is
    :class:`LaplacianLoss` and the ``loss_weight`` of each term multiplies
    it. The weights ``v_k`` are used as given (not renormalised); the
    default ``v = (0.4, 0.2, 0.2) = (2, 1, 1) / 5`` for OS1 / OS4 / OS8 is
    the combination of the MG Matting, MatteFormer and DPT authors'
    trainers. All outputs are supervised on the trimap's unknown region:
    the pseudo alpha there is per-pixel noise, so the prediction-driven
    uncertain region of MG Matting's training-time progressive refinement
    is not used in pre-training. A term whose config is None is skipped.

    The composition term of those trainers composes ImageNet-normalised
    ``F`` / ``B`` against the normalised image and divides the 3-channel
    L1 sum by the 1-channel mask sum, i.e. ``sum_c S_c / (std_c * |U|)``
    for the per-channel [0, 1] error sums ``S_c``. mmagic's
    ``L1CompositionLoss`` on [0, 1] RGB gives ``sum_c S_c / (3 |U|)``, so
    the configs set its ``loss_weight`` to ``sum_c 1 / std_c`` (about
    13.28) to match; the two are equal when the error is the same in every
    channel and within about 1.5 % otherwise.

    Args:
        loss_alpha (dict, optional): Alpha loss config.
            Defaults to ``dict(type='L1Loss', loss_weight=1.0)``.
        loss_comp (dict, optional): Composition loss config.
            Defaults to ``dict(type='L1CompositionLoss', loss_weight=1.0)``
            (the configs pass the ImageNet-scaled weight described above).
        loss_lap (dict, optional): Laplacian loss config.
            Defaults to ``dict(type='LaplacianLoss', loss_weight=1.0)``.
        output_weights (dict): Weight ``v_k`` of each decoder output, used
            as given; all must be positive. Defaults to
            ``dict(alpha_os1=0.4, alpha_os4=0.2, alpha_os8=0.2)``.
    """

    def __init__(
        self,
        loss_alpha: Optional[dict] = dict(type='L1Loss', loss_weight=1.0),
        loss_comp: Optional[dict] = dict(
            type='L1CompositionLoss', loss_weight=1.0),
        loss_lap: Optional[dict] = dict(type='LaplacianLoss', loss_weight=1.0),
        output_weights: Dict[str, float] = dict(
            alpha_os1=0.4, alpha_os4=0.2, alpha_os8=0.2)
    ) -> None:
        super().__init__()
        if not output_weights or min(output_weights.values()) <= 0:
            raise ValueError(f'output_weights must be non-empty and '
                             f'positive, got {output_weights}')
        self.output_weights = dict(output_weights)
        self.loss_alpha = MODELS.build(loss_alpha) if loss_alpha else None
        self.loss_comp = MODELS.build(loss_comp) if loss_comp else None
        self.loss_lap = MODELS.build(loss_lap) if loss_lap else None
        if not (self.loss_alpha or self.loss_comp or self.loss_lap):
            raise ValueError('DPTMattingLoss needs at least one loss term')

    def forward(self, outputs: Dict[str, Tensor],
                data_samples) -> Dict[str, Tensor]:
        """Compute the loss terms.

        Args:
            outputs (dict[str, Tensor]): Decoder outputs, each Nx1xHxW.
            data_samples: Stacked ``DataSample`` with ``gt_alpha``
                (Nx1xHxW), ``gt_fg`` / ``gt_bg`` / ``gt_merged`` (Nx3xHxW, in
                [0, 1]) and ``trimap``.

        Returns:
            dict[str, Tensor]: ``loss_alpha`` / ``loss_comp`` / ``loss_lap``.
        """
        missing = [k for k in self.output_weights if k not in outputs]
        if missing:
            raise KeyError(f'decoder outputs lack {missing}; got '
                           f'{sorted(outputs)}')
        gt_alpha = data_samples.gt_alpha
        mask = unknown_mask(data_samples.trimap).to(gt_alpha)
        losses: Dict[str, Tensor] = {}

        def add(name: str, value: Tensor) -> None:
            losses[name] = losses.get(name, 0.) + value

        for key, scale in self.output_weights.items():
            pred = outputs[key]
            if self.loss_alpha is not None:
                add('loss_alpha', scale * self.loss_alpha(pred, gt_alpha,
                                                          mask))
            if self.loss_comp is not None:
                add(
                    'loss_comp',
                    scale * self.loss_comp(pred, data_samples.gt_fg,
                                           data_samples.gt_bg,
                                           data_samples.gt_merged, mask))
            if self.loss_lap is not None:
                add('loss_lap', scale * self.loss_lap(pred, gt_alpha, mask))
        return {k: torch.as_tensor(v) for k, v in losses.items()}
