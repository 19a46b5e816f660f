# Copyright (c) dpt-mm contributors. All rights reserved.
"""The mattor of MG Matting and MatteFormer: network wiring, PRM training
and test, and the official test-time padding (mmagic's ``BaseMattor`` pads
only at the bottom / right and rounds the alpha)."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmagic.models.base_models import BaseMattor
from mmagic.structures import DataSample
from mmengine.logging import MessageHub
from torch import Tensor

from dpt_mm.models.heads.prm import (PRM_WIDTHS, PRM_WORK_SIZE,
                                     progressive_refinement)
from dpt_mm.models.losses import MattingOutputsLoss
from dpt_mm.registry import MODELS

#: decoder outputs, finest first
OUTPUT_KEYS = ('alpha_os1', 'alpha_os4', 'alpha_os8')

#: test-time defaults: the official MG Matting / MatteFormer inference.py
TEST_DEFAULTS = dict(
    resize_method='pad',
    resize_mode='reflect',
    size_divisor=32,
    pad_border=32,
    alpha_rounding='floor')


def reflect_indices(size: int, before: int, after: int,
                    device=None) -> Tensor:
    """Source indices of ``numpy.pad(mode='reflect')`` along one axis.

    Computed by ``numpy.pad`` itself on ``arange(size)``, so the official
    padding is reproduced for any pad width, also one larger than the axis
    (which ``F.pad`` refuses and numpy reflects repeatedly).

    Args:
        size (int): Axis length (>= 1).
        before (int): Pixels added before index 0.
        after (int): Pixels added after the last index.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: int64 indices of length ``before + size + after``.
    """
    idx = np.pad(np.arange(size), (before, after), mode='reflect')
    return torch.from_numpy(idx).to(device=device, dtype=torch.long)


def border_pad(batch: Tensor, border: int, divisor: int) -> Tensor:
    """The official test-time padding of MG Matting / MatteFormer.

    ``border`` reflected pixels on the top and left, and on the bottom and
    right ``border`` plus what brings the image size to the next multiple
    of ``divisor`` (none if it already is one).

    Args:
        batch (Tensor): NxCxHxW images (and trimaps).
        border (int): Border on every side (the official 32).
        divisor (int): Size divisor (32).

    Returns:
        Tensor: NxCx(H + pad_h + 2 border)x(W + pad_w + 2 border).
    """
    h, w = batch.shape[-2:]
    pad_h = -h % divisor
    pad_w = -w % divisor
    rows = reflect_indices(h, border, border + pad_h, batch.device)
    cols = reflect_indices(w, border, border + pad_w, batch.device)
    return batch.index_select(-2, rows).index_select(-1, cols)


class OfficialTestResize:
    """Test-time padding, cropping and uint8 rounding of the official
    ``inference.py`` scripts, for a ``BaseMattor`` (``PRMMattor`` and
    ``DPT``): ``test_cfg.pad_border`` (reflected border on every side
    before padding to ``size_divisor``; 0 is mmagic's bottom / right
    padding) and ``test_cfg.alpha_rounding`` (``'floor'``: the official
    truncation, ``'round'``: mmagic's).
    """

    def _check_test_cfg(self) -> None:
        """Refuse unknown ``alpha_rounding`` / negative ``pad_border``."""
        if self.test_cfg.get('alpha_rounding', 'round') not in ('floor',
                                                               'round'):
            raise ValueError(
                'test_cfg.alpha_rounding must be \'floor\' or \'round\', '
                f'got {self.test_cfg.alpha_rounding!r}')
        if int(self.test_cfg.get('pad_border', 0)) < 0:
            raise ValueError('test_cfg.pad_border must be >= 0, got '
                             f'{self.test_cfg.pad_border}')

    def _border(self) -> int:
        """The reflected border of the test-time padding (0: mmagic's)."""
        if self.test_cfg['resize_method'] != 'pad':
            return 0
        return int(self.test_cfg.get('pad_border', 0))

    def resize_inputs(self, batch_inputs: Tensor) -> Tensor:
        """Pad (``pad_border > 0``: the official way) or use mmagic's."""
        border = self._border()
        if border == 0:
            return super().resize_inputs(batch_inputs)
        if self.test_cfg['resize_mode'] != 'reflect':
            raise ValueError('test_cfg.pad_border needs resize_mode='
                             f'\'reflect\', got {self.test_cfg.resize_mode!r}')
        return border_pad(batch_inputs, border,
                          int(self.test_cfg['size_divisor']))

    def restore_size(self, pred_alpha: Tensor,
                     data_sample: DataSample) -> Tensor:
        """Crop the border and the padding (or mmagic's restore)."""
        border = self._border()
        if border == 0:
            return super().restore_size(pred_alpha, data_sample)
        h, w = data_sample.ori_merged_shape[:2]
        return pred_alpha[:, border:border + h, border:border + w]

    def postprocess(self, batch_pred_alpha: Tensor,
                    data_samples: DataSample) -> List[DataSample]:
        """mmagic's post-processing, with the official truncation to uint8
        when ``alpha_rounding='floor'``."""
        if self.test_cfg.get('alpha_rounding', 'round') == 'floor':
            # k / 255 * 255 rounds back to k in mmagic's postprocess
            batch_pred_alpha = torch.floor(
                batch_pred_alpha.clamp(0, 1) * 255) / 255
        return super().postprocess(batch_pred_alpha, data_samples)


class PRMMattor(OfficialTestResize, BaseMattor):
    """``BaseMattor`` with progressive refinement (PRM) in training and
    test and the official test-time padding.

    Network: ``backbone`` (five or six levels) -> optional ``neck`` on the
    deepest level -> ``head`` (``MattingHead``) on the levels, preceded by
    the input itself when :attr:`head_takes_input`; subclasses set the
    class attributes below.

    Training (the official trainers; ``it`` = the runner's iteration,
    ``T`` = ``train_cfg.prm_warmup_iters``): ``alpha_os8`` is supervised on
    the whole image; ``it < T``: ``alpha_os4`` / ``alpha_os1`` on the
    trimap's unknown region; ``T <= it < 3T``: that or PRM with
    probability 1/2 per batch; later PRM: ``alpha_os4`` fused with
    ``alpha_os8`` outside the uncertain region of ``alpha_os8`` dilated by
    a random ellipse (size in ``[1, width1 - 1]``), ``alpha_os1`` likewise
    against the fused OS4 with ``width2``, each supervised on its region.
    The losses are one :class:`MattingOutputsLoss` (``self.loss_module``).

    Test: ``alpha_os8`` refined by OS4 then OS1 (ellipse sizes
    ``width // 2``), see
    :func:`~dpt_mm.models.heads.prm.progressive_refinement`.

    ``train_cfg`` / ``test_cfg`` keys: ``refine_widths`` (or
    ``self_refine_width1`` / ``self_refine_width2``, the official names;
    default ``(30, 15)``), ``prm_work_size`` (``(640, 640)`` or None for
    the output's size; default :attr:`default_prm_work_size`);
    ``train_cfg.prm_warmup_iters`` (default
    :attr:`default_prm_warmup_iters`); ``test_cfg.fuse`` (default True;
    False returns ``alpha_os1``) and mmagic's resize options plus:

    - ``pad_border`` (default 32): with ``resize_method='pad'``, the
      official ``inference.py`` padding: 32 reflected pixels on every side,
      then to a multiple of ``size_divisor`` at the bottom / right, cropped
      back after the network. 0 is mmagic's padding (bottom / right only),
      which the DPT authors' ``inference.py`` also uses;
    - ``alpha_rounding`` (default ``'floor'``): the official
      ``(alpha * 255).astype(uint8)`` truncation of the saved alpha;
      ``'round'`` is mmagic's rounding.

    Args:
        data_preprocessor (dict): ``MattorPreprocessor`` config
            (``proc_trimap='as_is'`` with one-hot trimaps).
        backbone (dict): Encoder config.
        head (dict): Decoder config (``MattingHead``).
        neck (dict, optional): Module applied to the deepest level (MG
            Matting's ASPP). Defaults to None.
        loss_alpha (dict, optional): Alpha loss. Defaults to ``L1Loss``.
        loss_comp (dict, optional): Composition loss. Defaults to
            ``L1CompositionLoss``.
        loss_lap (dict, optional): Laplacian loss. Defaults to
            ``LaplacianLoss``.
        output_weights (Sequence[float]): Positive weights of OS1 / OS4 /
            OS8, used as given. Defaults to ``(0.4, 0.2, 0.2)``, the
            official ``(2, 1, 1) / 5``.
        train_cfg (dict, optional): See above.
        test_cfg (dict, optional): See above.
        init_cfg (dict, optional): Initialisation config.
    """

    #: ``train_cfg.prm_warmup_iters`` when not given
    default_prm_warmup_iters = 0
    #: ``prm_work_size`` when not given
    default_prm_work_size: Optional[Tuple[int, int]] = PRM_WORK_SIZE
    #: whether the head gets ``[inputs, *levels]`` (the backbone returns
    #: five levels) rather than the backbone's six levels
    head_takes_input = False

    def __init__(self,
                 data_preprocessor: dict,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 loss_alpha: Optional[dict] = dict(type='L1Loss'),
                 loss_comp: Optional[dict] = dict(type='L1CompositionLoss'),
                 loss_lap: Optional[dict] = dict(type='LaplacianLoss'),
                 output_weights: Sequence[float] = (0.4, 0.2, 0.2),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor,
            backbone=backbone,
            init_cfg=init_cfg,
            train_cfg=train_cfg,
            test_cfg=dict(TEST_DEFAULTS, **(test_cfg or {})))
        self._check_test_cfg()
        self.head = MODELS.build(head)
        self.neck = MODELS.build(neck) if neck is not None else None
        if len(output_weights) != len(OUTPUT_KEYS) or min(output_weights) <= 0:
            raise ValueError('output_weights needs 3 positive weights (os1, '
                             f'os4, os8), got {output_weights}')
        self.loss_module = MattingOutputsLoss(
            loss_alpha=loss_alpha,
            loss_comp=loss_comp,
            loss_lap=loss_lap,
            output_weights=dict(zip(OUTPUT_KEYS, output_weights)))
        self._local_iter = 0  # when no runner's MessageHub holds 'iter'

    @property
    def output_weights(self) -> Dict[str, float]:
        """The weight of each output (``alpha_os1 / os4 / os8``)."""
        return self.loss_module.output_weights

    # ------------------------------------------------------------ PRM

    @staticmethod
    def refine_widths(cfg: dict) -> Tuple[int, int]:
        """``refine_widths`` or the official ``self_refine_width1 / 2``."""
        if 'refine_widths' in cfg:
            widths = tuple(int(w) for w in cfg['refine_widths'])
        else:
            widths = (int(cfg.get('self_refine_width1', PRM_WIDTHS[0])),
                      int(cfg.get('self_refine_width2', PRM_WIDTHS[1])))
        if len(widths) != 2:
            raise ValueError(f'refine_widths needs 2 values, got {widths}')
        return widths

    def prm_work_size(self, cfg: dict) -> Optional[Tuple[int, int]]:
        """``prm_work_size`` of ``cfg`` (None: the output's size)."""
        size = cfg.get('prm_work_size', self.default_prm_work_size)
        return None if size is None else tuple(int(s) for s in size)

    def _forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Raw decoder outputs.

        Args:
            inputs (Tensor): Nx6xHxW image + one-hot trimap, H and W
                divisible by 32.

        Returns:
            dict[str, Tensor]: ``alpha_os1/os4/os8``, Nx1xHxW in [0, 1].
        """
        if inputs.dim() != 4 or inputs.shape[1] != 6:
            raise ValueError(f'{type(self).__name__} expects Nx6xHxW inputs '
                             '(RGB + one-hot trimap), got '
                             f'{tuple(inputs.shape)}')
        feats = list(self.backbone(inputs))
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
        return self.head([inputs] + feats if self.head_takes_input else feats)

    def _forward_test(self, inputs: Tensor) -> Tensor:
        """Progressively refined alpha (Nx1xHxW, in [0, 1])."""
        outputs = self._forward(inputs)
        if not self.test_cfg.get('fuse', True):
            return outputs['alpha_os1']
        return progressive_refinement(
            outputs,
            self.refine_widths(self.test_cfg),
            random_widths=False,
            work_size=self.prm_work_size(self.test_cfg))[1]

    def _current_iter(self) -> int:
        """The runner's iteration if a runner is active, else a counter."""
        it = MessageHub.get_current_instance().get_info('iter', None)
        return self._local_iter if it is None else int(it)

    def _use_trimap_regions(self) -> bool:
        """Whether this iteration supervises OS4 / OS1 on the trimap."""
        warmup = int(
            self.train_cfg.get('prm_warmup_iters',
                               self.default_prm_warmup_iters))
        it = self._current_iter()
        if it < warmup:
            return True
        if it < 3 * warmup:
            return bool(torch.randint(0, 2, ()).item() == 0)
        return False

    def _forward_train(self, inputs: Tensor,
                       data_samples) -> Dict[str, Tensor]:
        """Losses on the (progressively refined) outputs.

        Args:
            inputs (Tensor): ``(N, 6, H, W)`` image + one-hot trimap.
            data_samples: Stacked ``DataSample`` with ``gt_alpha``
                (Nx1xHxW) and ``gt_fg`` / ``gt_bg`` / ``gt_merged``
                (Nx3xHxW), all in [0, 1].

        Returns:
            dict[str, Tensor]: ``loss_alpha``, ``loss_comp``, ``loss_lap``.
        """
        outputs = self._forward(inputs)
        unknown = (inputs[:, 4:5] > 0.5).to(inputs.dtype)  # one-hot plane 1
        if self._use_trimap_regions():
            weights = dict(alpha_os1=unknown, alpha_os4=unknown)
        else:
            os4, os1, w4, w1 = progressive_refinement(
                outputs,
                self.refine_widths(self.train_cfg),
                random_widths=True,
                work_size=self.prm_work_size(self.train_cfg))
            outputs = dict(outputs, alpha_os4=os4, alpha_os1=os1)
            weights = dict(alpha_os1=w1, alpha_os4=w4)
        weights['alpha_os8'] = torch.ones_like(unknown)
        self._local_iter += 1
        return self.loss_module(outputs, data_samples, weights)
