# Copyright (c) dpt-mm contributors. All rights reserved.
"""MatteFormer (Park et al., CVPR 2022) as an mmagic ``BaseMattor``.

mmagic has no MatteFormer; test-time padding, size restore and trimap
masking come from ``BaseMattor``, the decoder is the shared
:class:`~dpt_mm.models.heads.MattingHead`.
"""
from typing import Dict, Optional, Sequence

import torch
from mmagic.models.base_models import BaseMattor
from mmengine.logging import MessageHub
from torch import Tensor

from dpt_mm.registry import MODELS
from .prm import progressive_refinement

#: decoder outputs, finest first
OUTPUT_KEYS = ('alpha_os1', 'alpha_os4', 'alpha_os8')


@MODELS.register_module()
class MatteFormer(BaseMattor):
    """MatteFormer: PAST-Swin encoder + ResShortcut decoder with progressive
    refinement (PRM).

    Training (as MatteFormer's ``trainers/trainer.py``): with
    ``w_os8 = 1`` everywhere,

    - iteration ``< prm_warmup_iters``: ``w_os4 = w_os1 =`` the trimap's
      unknown region, no fusion;
    - ``< 3 * prm_warmup_iters``: that or PRM, with probability 1/2 each;
    - later: PRM. ``alpha_os4`` is fused with ``alpha_os8`` outside
      ``w_os4`` = the uncertain region of ``alpha_os8`` dilated by a random
      ellipse of size in ``[1, self_refine_width1)``; ``alpha_os1`` likewise
      against the fused OS4 with ``self_refine_width2``.

    Each of L1 (``loss_alpha``), composition (``loss_comp``) and Laplacian
    (``loss_lap``) losses is ``sum_k v_k * loss(alpha_k, w_k)`` with
    ``output_weights`` ``v`` used as given, by default
    ``(0.4, 0.2, 0.2) = (2, 1, 1) / 5`` for OS1 / OS4 / OS8 (the official
    weighting). The composition loss is mmagic's ``L1CompositionLoss`` on
    RGB in [0, 1], the mean over pixels and channels. The official trainer
    composes ImageNet-normalised images and divides the 3-channel L1 sum by
    the 1-channel weight sum, which is ``sum_c 1 / std_c`` (about 13.28)
    times that for an error spread evenly over the channels, so the configs
    set ``loss_comp.loss_weight = 1 / 0.229 + 1 / 0.224 + 1 / 0.225``.

    Test: ``alpha_os8`` refined by OS4 then OS1 with ellipse sizes
    ``width // 2`` (15 and 7), then ``BaseMattor`` restores the size and
    sets the trimap's known regions.

    Args:
        data_preprocessor (dict): ``MattorPreprocessor`` config
            (``proc_trimap='as_is'`` with one-hot trimaps).
        backbone (dict): Encoder config, e.g. ``MatteFormerEncoder``.
        head (dict): Decoder config, e.g. ``MattingHead``.
        loss_alpha (dict, optional): Alpha loss. Defaults to ``L1Loss``.
        loss_comp (dict, optional): Composition loss. Defaults to
            ``L1CompositionLoss``.
        loss_lap (dict, optional): Laplacian loss. Defaults to
            ``LaplacianLoss``.
        output_weights (Sequence[float]): ``v`` for OS1 / OS4 / OS8, used
            as given. Defaults to ``(0.4, 0.2, 0.2)``.
        train_cfg (dict, optional): ``prm_warmup_iters`` (default 5000),
            ``self_refine_width1`` (30), ``self_refine_width2`` (15).
        test_cfg (dict, optional): ``BaseMattor``'s resize settings plus
            ``self_refine_width1`` / ``self_refine_width2`` and ``fuse``
            (default True; False returns ``alpha_os1``).
        init_cfg (dict, optional): Initialisation config (e.g. a
            ``Pretrained`` converted checkpoint).
    """

    def __init__(self,
                 data_preprocessor: dict,
                 backbone: dict,
                 head: dict,
                 loss_alpha: Optional[dict] = dict(type='L1Loss'),
                 loss_comp: Optional[dict] = dict(type='L1CompositionLoss'),
                 loss_lap: Optional[dict] = dict(type='LaplacianLoss'),
                 output_weights: Sequence[float] = (0.4, 0.2, 0.2),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        test_defaults = dict(
            resize_method='pad', resize_mode='reflect', size_divisor=32)
        test_defaults.update(test_cfg or {})
        super().__init__(
            data_preprocessor=data_preprocessor,
            backbone=backbone,
            init_cfg=init_cfg,
            train_cfg=train_cfg,
            test_cfg=test_defaults)
        self.head = MODELS.build(head)
        self.loss_alpha = MODELS.build(loss_alpha) if loss_alpha else None
        self.loss_comp = MODELS.build(loss_comp) if loss_comp else None
        self.loss_lap = MODELS.build(loss_lap) if loss_lap else None
        if not (self.loss_alpha or self.loss_comp or self.loss_lap):
            raise ValueError('MatteFormer needs at least one loss')
        if len(output_weights) != len(OUTPUT_KEYS):
            raise ValueError(f'output_weights needs {len(OUTPUT_KEYS)} '
                             f'values, got {output_weights}')
        self.output_weights = tuple(float(v) for v in output_weights)
        self._iter = 0  # fallback when no runner's MessageHub holds 'iter'

    def _forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Raw decoder outputs ``alpha_os1 / os4 / os8``, each Nx1xHxW."""
        return self.head(self.backbone(inputs))

    def _forward_test(self, inputs: Tensor) -> Tensor:
        """Progressively refined alpha (Nx1xHxW, in [0, 1])."""
        outputs = self._forward(inputs)
        if not self.test_cfg.get('fuse', True):
            return outputs['alpha_os1']
        widths = (self.test_cfg.get('self_refine_width1', 30),
                  self.test_cfg.get('self_refine_width2', 15))
        return progressive_refinement(outputs, widths, random_widths=False)[1]

    def _current_iter(self) -> int:
        hub = MessageHub.get_current_instance()
        it = hub.get_info('iter', None)
        return self._iter if it is None else int(it)

    def _forward_train(self, inputs: Tensor,
                       data_samples) -> Dict[str, Tensor]:
        """Losses on the progressively refined outputs.

        Args:
            inputs (Tensor): ``(N, 6, H, W)`` image + one-hot trimap.
            data_samples: Stacked ``DataSample`` with ``gt_alpha``
                (Nx1xHxW) and ``gt_fg`` / ``gt_bg`` / ``gt_merged``
                (Nx3xHxW), all in [0, 1].

        Returns:
            dict[str, Tensor]: ``loss_alpha``, ``loss_comp``, ``loss_lap``.
        """
        outputs = self._forward(inputs)
        gt_alpha = data_samples.gt_alpha
        unknown = (inputs[:, -2:-1] > 0.5).to(gt_alpha.dtype)  # channel 1
        it = self._current_iter()
        self._iter += 1
        warmup = self.train_cfg.get('prm_warmup_iters', 5000)
        if it < warmup:
            use_prm = False
        elif it < 3 * warmup:
            use_prm = bool(torch.randint(0, 2, (1, )).item())
        else:
            use_prm = True
        os1, os4, os8 = (outputs[k] for k in OUTPUT_KEYS)
        if use_prm:
            widths = (self.train_cfg.get('self_refine_width1', 30),
                      self.train_cfg.get('self_refine_width2', 15))
            os4, os1, w4, w1 = progressive_refinement(
                outputs, widths, random_widths=True)
        else:
            w4 = w1 = unknown
        w8 = torch.ones_like(unknown)
        losses: Dict[str, Tensor] = {}
        for pred, weight, v in zip((os1, os4, os8), (w1, w4, w8),
                                   self.output_weights):
            terms = {}
            if self.loss_alpha is not None:
                terms['loss_alpha'] = self.loss_alpha(pred, gt_alpha, weight)
            if self.loss_comp is not None:
                terms['loss_comp'] = self.loss_comp(pred, data_samples.gt_fg,
                                                    data_samples.gt_bg,
                                                    data_samples.gt_merged,
                                                    weight)
            if self.loss_lap is not None:
                terms['loss_lap'] = self.loss_lap(pred, gt_alpha, weight)
            for name, value in terms.items():
                losses[name] = losses.get(name, 0.) + v * value
        return losses
