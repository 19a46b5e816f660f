# Copyright (c) dpt-mm contributors. All rights reserved.
"""The loss module of every mattor: L1 + composition + Laplacian over the
named decoder outputs, each with its own pixel weights (mmagic's mattors
compute one loss inline on one alpha)."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from dpt_mm.registry import MODELS
from dpt_mm.structures import trimap


@MODELS.register_module()
class MattingOutputsLoss(nn.Module):
    """L1 + composition + Laplacian loss summed over decoder outputs.

    For each decoder output ``k`` in ``output_weights`` (``alpha_os1``,
    ``alpha_os4``, ``alpha_os8``) with pixel weights ``W_k``::

        loss_alpha = sum_k v_k * L1(alpha_k, gt_alpha; W_k)
        loss_comp  = sum_k v_k * L1(alpha_k F + (1 - alpha_k) B,
                                    gt_merged; W_k)
        loss_lap   = sum_k v_k * Lap(alpha_k, gt_alpha; W_k)

    where ``L1(.; W)`` is the weighted mean absolute error (mmagic's
    ``L1Loss`` / ``L1CompositionLoss`` with ``weight=W``), ``Lap`` is
    :class:`LaplacianLoss` and each term's ``loss_weight`` multiplies it.
    The ``v_k`` are used as given (not renormalised); the default
    ``(0.4, 0.2, 0.2) = (2, 1, 1) / 5`` for OS1 / OS4 / OS8 is the
    combination of the MG Matting, MatteFormer and DPT authors' trainers. A
    term whose config is None is skipped.

    ``W_k`` is what the caller passes in ``weights`` (the mattor's PRM
    regions); an output without one is weighted by the unknown region of
    ``data_samples.trimap`` in ``trimap_encoding`` (DPT pre-training: every
    output), or by the whole image if ``whole_image_outputs`` names it
    (fine-tuning and the DPT authors' trainer: ``alpha_os8``).

    ``fuse_outside_unknown`` (the DPT authors' trainer,
    ``configs/dpt_swin-t_in1k_authors.py``) is
    a coarse-to-fine chain (the authors: ``alpha_os8, alpha_os4,
    alpha_os1``) in which each output after the first takes the previous
    (fused) one outside the trimap's unknown region before the loss. The
    L1 and composition terms of an output weighted by the unknown region
    do not see that fusion; its Laplacian term, whose pyramids span the
    whole image, does, and its gradient then reaches the coarser output.

    Two optional terms serve ViTMatte's criterion: ``loss_known``, an
    alpha loss on the trimap's known region (``1 - unknown``), and
    ``loss_grad`` (e.g. :class:`MattingGradientPenaltyLoss`) on ``W_k``;
    ``whole_image_terms`` names terms computed on every pixel whatever
    ``W_k`` (ViTMatte: ``loss_lap``).

    The configs scale the composition weight to the official trainers'
    ImageNet-normalised composition (``sum_c 1 / std_c``, about 13.28):
    docs/pretraining.md, row "loss".

    Args:
        loss_alpha (dict, optional): Alpha loss config.
            Defaults to ``dict(type='L1Loss', loss_weight=1.0)``.
        loss_comp (dict, optional): Composition loss config.
            Defaults to ``dict(type='L1CompositionLoss', loss_weight=1.0)``
            (the configs pass the ImageNet-scaled weight, see above).
        loss_lap (dict, optional): Laplacian loss config.
            Defaults to ``dict(type='LaplacianLoss', loss_weight=1.0)``.
        output_weights (dict): Weight ``v_k`` of each decoder output, used
            as given; all must be positive. Defaults to
            ``dict(alpha_os1=0.4, alpha_os4=0.2, alpha_os8=0.2)``.
        trimap_encoding (str): Encoding of ``data_samples.trimap``, one of
            :data:`dpt_mm.structures.trimap.ENCODINGS`. Defaults to
            ``'onehot'``.
        whole_image_outputs (Sequence[str]): Outputs supervised on every
            pixel when ``weights`` has none for them. Defaults to ``()``.
        fuse_outside_unknown (Sequence[str]): Coarse-to-fine outputs fused
            outside the unknown region before the loss (see above); empty
            or at least two names. Defaults to ``()``.
        loss_known (dict, optional): Alpha loss on the known region.
            Defaults to None.
        loss_grad (dict, optional): Gradient loss on ``W_k``. Defaults to
            None.
        whole_image_terms (Sequence[str]): Terms (``'loss_alpha'``,
            ``'loss_comp'``, ``'loss_lap'``, ``'loss_grad'``) on every pixel.
            Defaults to ``()``.
    """

    def __init__(
        self,
        loss_alpha: Optional[dict] = dict(type='L1Loss', loss_weight=1.0),
        loss_comp: Optional[dict] = dict(
            type='L1CompositionLoss', loss_weight=1.0),
        loss_lap: Optional[dict] = dict(type='LaplacianLoss', loss_weight=1.0),
        output_weights: Dict[str, float] = dict(
            alpha_os1=0.4, alpha_os4=0.2, alpha_os8=0.2),
        trimap_encoding: str = 'onehot',
        whole_image_outputs: Sequence[str] = (),
        fuse_outside_unknown: Sequence[str] = (),
        loss_known: Optional[dict] = None,
        loss_grad: Optional[dict] = None,
        whole_image_terms: Sequence[str] = ()
    ) -> None:
        super().__init__()
        if not output_weights or min(output_weights.values()) <= 0:
            raise ValueError(f'output_weights must be non-empty and '
                             f'positive, got {output_weights}')
        if trimap_encoding not in trimap.ENCODINGS:
            raise ValueError(f'trimap encoding must be one of '
                             f'{sorted(trimap.ENCODINGS)}, got '
                             f'{trimap_encoding!r}')
        self.output_weights = {k: float(v) for k, v in output_weights.items()}
        self.whole_image_outputs = tuple(whole_image_outputs)
        self.fuse_outside_unknown = tuple(fuse_outside_unknown)
        for name, keys in (('whole_image_outputs', self.whole_image_outputs),
                           ('fuse_outside_unknown',
                            self.fuse_outside_unknown)):
            unknown_keys = [k for k in keys if k not in self.output_weights]
            if unknown_keys:
                raise ValueError(f'{name} names {unknown_keys}, which are '
                                 f'not in output_weights '
                                 f'{sorted(self.output_weights)}')
        if len(self.fuse_outside_unknown) == 1:
            raise ValueError('fuse_outside_unknown needs at least two '
                             'outputs (coarse to fine), got '
                             f'{list(self.fuse_outside_unknown)}')
        self.trimap_encoding = trimap_encoding
        self.loss_alpha = MODELS.build(loss_alpha) if loss_alpha else None
        self.loss_comp = MODELS.build(loss_comp) if loss_comp else None
        self.loss_lap = MODELS.build(loss_lap) if loss_lap else None
        self.loss_known = MODELS.build(loss_known) if loss_known else None
        self.loss_grad = MODELS.build(loss_grad) if loss_grad else None
        terms = ('loss_alpha', 'loss_comp', 'loss_lap', 'loss_grad')
        if set(whole_image_terms) - set(terms):
            raise ValueError(f'whole_image_terms must be among {terms}, got '
                             f'{list(whole_image_terms)}')
        self.whole_image_terms = tuple(whole_image_terms)
        if not (self.loss_alpha or self.loss_comp or self.loss_lap
                or self.loss_known or self.loss_grad):
            raise ValueError(f'{type(self).__name__} needs at least one loss '
                             'term')

    def forward(self,
                outputs: Dict[str, Tensor],
                data_samples,
                weights: Optional[Dict[str, Tensor]] = None
                ) -> Dict[str, Tensor]:
        """Compute the loss terms.

        Args:
            outputs (dict[str, Tensor]): Decoder outputs, each Nx1xHxW.
            data_samples: Stacked ``DataSample`` with ``gt_alpha``
                (Nx1xHxW), ``gt_fg`` / ``gt_bg`` / ``gt_merged`` (Nx3xHxW, in
                [0, 1]) and, for outputs without ``weights``, ``trimap``.
            weights (dict[str, Tensor], optional): Nx1xHxW pixel weights of
                some or all outputs.

        Returns:
            dict[str, Tensor]: ``loss_alpha`` / ``loss_comp`` / ``loss_lap``
            (/ ``loss_known`` / ``loss_grad``), the configured ones.
        """
        missing = [k for k in self.output_weights if k not in outputs]
        if missing:
            raise KeyError(f'decoder outputs lack {missing}; got '
                           f'{sorted(outputs)}')
        weights = dict(weights or {})
        gt_alpha = data_samples.gt_alpha
        unknown = None
        if self.fuse_outside_unknown or self.loss_known or any(
                k not in weights for k in self.output_weights):
            unknown = trimap.unknown_mask(data_samples.trimap,
                                          self.trimap_encoding).to(gt_alpha)
        if self.fuse_outside_unknown:
            outputs = dict(outputs)
            chain = self.fuse_outside_unknown
            fused = outputs[chain[0]]
            for key in chain[1:]:
                fused = torch.where(unknown > 0, outputs[key], fused)
                outputs[key] = fused
        for key in self.output_weights:
            if key not in weights:
                weights[key] = (
                    torch.ones_like(unknown)
                    if key in self.whole_image_outputs else unknown)
        losses: Dict[str, Tensor] = {}

        def add(name: str, value: Tensor) -> None:
            losses[name] = losses.get(name, 0.) + value

        for key, scale in self.output_weights.items():
            pred, out_mask = outputs[key], weights[key]

            def mask(term: str) -> Optional[Tensor]:
                return None if term in self.whole_image_terms else out_mask

            if self.loss_alpha is not None:
                add('loss_alpha', scale * self.loss_alpha(
                    pred, gt_alpha, mask('loss_alpha')))
            if self.loss_comp is not None:
                add(
                    'loss_comp',
                    scale * self.loss_comp(pred, data_samples.gt_fg,
                                           data_samples.gt_bg,
                                           data_samples.gt_merged,
                                           mask('loss_comp')))
            if self.loss_lap is not None:
                add('loss_lap', scale * self.loss_lap(pred, gt_alpha,
                                                      mask('loss_lap')))
            if self.loss_known is not None:
                add('loss_known', scale * self.loss_known(
                    pred, gt_alpha, 1 - unknown))
            if self.loss_grad is not None:
                add('loss_grad', scale * self.loss_grad(pred, gt_alpha,
                                                        mask('loss_grad')))
        return {k: torch.as_tensor(v) for k, v in losses.items()}
