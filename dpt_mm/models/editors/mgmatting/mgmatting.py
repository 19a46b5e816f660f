# Copyright (c) dpt-mm contributors. All rights reserved.
"""MG Matting (Yu et al., CVPR 2021) with a one-hot trimap as guidance.

mmagic has no MG Matting; this mattor keeps mmagic's ``BaseMattor`` test
path (pad to a multiple of 32, restore size, trimap masking) and adds MG
Matting's progressive refinement (PRM) in training and test.
"""
from typing import Dict, Optional, Sequence

import torch
from mmagic.models.base_models import BaseMattor
from mmengine.logging import MessageHub
from torch import Tensor

from dpt_mm.models.editors.matteformer.prm import progressive_refinement
from dpt_mm.registry import MODELS

_TEST_DEFAULTS = dict(
    resize_method='pad', resize_mode='reflect', size_divisor=32)


@MODELS.register_module()
class MGMatting(BaseMattor):
    """MG Matting with a 3-channel one-hot trimap input (DPT paper §4.5).

    Network: ``backbone`` (ResNet-34-D, ``MattingResNetEnc``, five levels at
    strides 2..32) -> optional ``neck`` on the OS32 level (MG Matting's ASPP,
    ``MGMattingASPP``) -> ``head`` (the shared ``MattingHead``) on
    ``[input, *levels]``, giving ``alpha_os1`` / ``alpha_os4`` /
    ``alpha_os8``.

    Training (MG Matting's trainer; ``it`` = the runner's iteration, ``T`` =
    ``train_cfg.prm_warmup_iters``):

    - ``alpha_os8`` is supervised on the whole image;
    - ``it < T``: ``alpha_os4`` and ``alpha_os1`` on the trimap's unknown
      region; ``T <= it < 3T``: that or PRM, chosen with probability 1/2 per
      batch; ``it >= 3T``: PRM (``progressive_refinement``, shared with
      MatteFormer) with a random elliptic dilation per sample, size
      ``k ~ U{1, width - 1}`` for ``train_cfg.refine_widths = (30, 15)``;
      the fused outputs are supervised on their refined regions;
    - each of the alpha L1, composition and Laplacian losses is
      ``sum_k v_k L(os_k)`` with ``output_weights`` ``v`` used as given;
      the default ``(0.4, 0.2, 0.2)`` is the official
      ``(2 L(os1) + L(os4) + L(os8)) / 5``. The composition term is
      mmagic's ``L1CompositionLoss`` on [0, 1] RGB, i.e. the mean over
      pixels and channels; the official code composes ImageNet-normalised
      images and divides the 3-channel sum by the 1-channel weight sum,
      which is ``sum_c 1 / std_c`` (about 13.28) times larger for an error
      spread evenly over the channels. The configs therefore set
      ``loss_comp.loss_weight = 1 / 0.229 + 1 / 0.224 + 1 / 0.225``.

    Test: PRM with the fixed ellipse sizes ``width // 2`` (15 and 7 for
    ``test_cfg.refine_widths = (30, 15)``), then ``BaseMattor`` restores
    the size and copies the known trimap regions.

    Args:
        data_preprocessor (dict): ``MattorPreprocessor`` config.
        backbone (dict): Encoder config returning five levels.
        head (dict): ``MattingHead`` config.
        neck (dict, optional): Module applied to the last level (ASPP).
        loss_alpha (dict): Alpha loss. Default mmagic ``L1Loss``.
        loss_comp (dict, optional): Composition loss. Default mmagic
            ``L1CompositionLoss``.
        loss_lap (dict, optional): Laplacian loss. Default ``LaplacianLoss``.
        output_weights (Sequence[float]): Positive weights of os1 / os4 /
            os8, used as given. Default ``(0.4, 0.2, 0.2)``, i.e.
            ``(2, 1, 1) / 5``.
        init_cfg (dict, optional): Initialisation config.
        train_cfg (dict, optional): ``prm_warmup_iters`` (default 0: PRM
            from the first iteration) and ``refine_widths`` (default
            ``(30, 15)``).
        test_cfg (dict, optional): ``BaseMattor``'s resize options (default
            pad reflect to 32), ``refine_widths`` (default ``(30, 15)``)
            and ``fuse`` (default True; False returns ``alpha_os1``).
    """

    def __init__(self,
                 data_preprocessor: dict,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 loss_alpha: dict = dict(type='L1Loss'),
                 loss_comp: Optional[dict] = dict(type='L1CompositionLoss'),
                 loss_lap: Optional[dict] = dict(type='LaplacianLoss'),
                 output_weights: Sequence[float] = (0.4, 0.2, 0.2),
                 init_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        test_cfg = dict(_TEST_DEFAULTS, **(test_cfg or {}))
        super().__init__(
            data_preprocessor=data_preprocessor,
            backbone=backbone,
            init_cfg=init_cfg,
            train_cfg=train_cfg,
            test_cfg=test_cfg)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.loss_alpha = MODELS.build(loss_alpha)
        self.loss_comp = MODELS.build(loss_comp) if loss_comp else None
        self.loss_lap = MODELS.build(loss_lap) if loss_lap else None
        if len(output_weights) != 3 or min(output_weights) <= 0:
            raise ValueError('output_weights needs 3 positive weights (os1, '
                             f'os4, os8), got {output_weights}')
        self.output_weights = dict(
            zip(('alpha_os1', 'alpha_os4', 'alpha_os8'),
                map(float, output_weights)))
        self._local_iter = 0

    def _forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Raw network outputs.

        Args:
            inputs (Tensor): Nx6xHxW, H and W divisible by 32.

        Returns:
            dict[str, Tensor]: ``alpha_os1/os4/os8``, Nx1xHxW in [0, 1].
        """
        if inputs.dim() != 4 or inputs.shape[1] != 6:
            raise ValueError('MGMatting expects Nx6xHxW inputs (RGB + one-hot '
                             f'trimap), got {tuple(inputs.shape)}')
        feats = list(self.backbone(inputs))
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
        return self.head([inputs] + feats)

    def _forward_test(self, inputs: Tensor) -> Tensor:
        """Fused alpha (progressive refinement), Nx1xHxW."""
        outputs = self._forward(inputs)
        if not self.test_cfg.get('fuse', True):
            return outputs['alpha_os1']
        widths = tuple(self.test_cfg.get('refine_widths', (30, 15)))
        return progressive_refinement(outputs, widths, random_widths=False)[1]

    def _current_iter(self) -> int:
        """The runner's iteration if a runner is active, else a counter."""
        hub = MessageHub.get_current_instance()
        it = hub.get_info('iter')
        return self._local_iter if it is None else int(it)

    def _use_trimap_regions(self) -> bool:
        """Whether this iteration supervises os4 / os1 on the trimap."""
        warmup = int(self.train_cfg.get('prm_warmup_iters', 0))
        it = self._current_iter()
        if it < warmup:
            return True
        if it < 3 * warmup:
            return bool(torch.randint(0, 2, ()).item() == 0)
        return False

    def _forward_train(self, inputs: Tensor,
                       data_samples) -> Dict[str, Tensor]:
        """PRM losses (see the class docstring).

        Args:
            inputs (Tensor): Nx6xHxW from ``MattorPreprocessor``.
            data_samples: Stacked data samples with ``gt_alpha`` and, for
                the composition loss, ``gt_fg`` / ``gt_bg`` / ``gt_merged``.

        Returns:
            dict[str, Tensor]: ``loss_alpha``, ``loss_comp``, ``loss_lap``.
        """
        outputs = self._forward(inputs)
        unknown = (inputs[:, 4:5] > 0.5).to(inputs.dtype)
        ones = torch.ones_like(unknown)
        if self._use_trimap_regions():
            weights = dict(alpha_os1=unknown, alpha_os4=unknown)
        else:
            widths = tuple(self.train_cfg.get('refine_widths', (30, 15)))
            os4, os1, w4, w1 = progressive_refinement(
                outputs, widths, random_widths=True)
            outputs = dict(outputs, alpha_os4=os4, alpha_os1=os1)
            weights = dict(alpha_os1=w1, alpha_os4=w4)
        weights['alpha_os8'] = ones
        self._local_iter += 1

        gt_alpha = data_samples.gt_alpha
        losses: Dict[str, Tensor] = {}
        for key, s in self.output_weights.items():
            pred, w = outputs[key], weights[key]
            terms = [('loss_alpha', self.loss_alpha(pred, gt_alpha, w))]
            if self.loss_comp is not None:
                terms.append(('loss_comp',
                              self.loss_comp(pred, data_samples.gt_fg,
                                             data_samples.gt_bg,
                                             data_samples.gt_merged, w)))
            if self.loss_lap is not None:
                terms.append(('loss_lap', self.loss_lap(pred, gt_alpha, w)))
            for name, value in terms:
                losses[name] = losses.get(name, 0.) + s * value
        return losses
