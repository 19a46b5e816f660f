# Copyright (c) dpt-mm contributors. All rights reserved.
"""The one mattor of dpt-mm: DPT pre-training, fine-tuning and inference."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmagic.models.base_models import BaseMattor
from mmagic.structures import DataSample
from mmengine.logging import MessageHub
from torch import Tensor

from dpt_mm.registry import MODELS
from ..utils.prm import PRM_WIDTHS, PRM_WORK_SIZE, progressive_refinement
from ..utils.spectral_norm import init_spectral_norm_vectors

#: outputs of a progressive-refinement decoder, finest first
PRM_OUTPUTS = ('alpha_os1', 'alpha_os4', 'alpha_os8')

#: ``test_cfg`` defaults: mmagic's padding and rounding
TEST_DEFAULTS = dict(
    resize_method='pad',
    resize_mode='reflect',
    size_divisor=32,
    pad_border=0,
    alpha_rounding='round')


def border_pad(batch: Tensor, border: int, divisor: int) -> Tensor:
    """The test-time padding of the official MG Matting / MatteFormer code.

    ``border`` reflected pixels on the top and left, and on the bottom and
    right ``border`` plus what brings the size to a multiple of ``divisor``.
    The indices come from ``numpy.pad(mode='reflect')``, which, unlike
    ``F.pad``, also reflects pads wider than the image.

    Args:
        batch (Tensor): NxCxHxW images (and trimaps).
        border (int): Border on every side.
        divisor (int): Size divisor.

    Returns:
        Tensor: NxCx(H + pad_h + 2 border)x(W + pad_w + 2 border).
    """
    idx = []
    for size in batch.shape[-2:]:
        i = np.pad(np.arange(size), (border, border + -size % divisor),
                   mode='reflect')
        idx.append(torch.from_numpy(i).to(batch.device))
    return batch.index_select(-2, idx[0]).index_select(-1, idx[1])


def vitmatte_pad(batch: Tensor, divisor: int) -> Tensor:
    """The test-time padding of ViTMatte's ``preprocess_inputs``.

    Zeros at the bottom / right; once either side is not a multiple of
    ``divisor``, both sides get ``divisor - size % divisor``, so a side that
    is already a multiple grows by ``divisor`` (643x960 -> 672x992).

    Args:
        batch (Tensor): NxCxHxW normalised inputs.
        divisor (int): Size divisor (32).

    Returns:
        Tensor: The padded batch (the same tensor if nothing is padded).
    """
    h, w = batch.shape[-2:]
    if h % divisor == 0 and w % divisor == 0:
        return batch
    return torch.nn.functional.pad(
        batch, (0, divisor - w % divisor, 0, divisor - h % divisor))


@MODELS.register_module()
class Mattor(BaseMattor):
    """Backbone -> optional neck -> decoder head -> named outputs -> loss.

    The backbone returns the feature levels, finest first; when the first
    level is not at the input's size, the network input is prepended as
    level 0. A backbone that is a whole network may return one raw Nx1xHxW
    tensor instead, which goes to the head as it is. The neck, if any,
    replaces the deepest level. The head
    (:class:`~dpt_mm.models.base_models.BaseMattingHead`) returns
    ``{'alpha'}`` or ``{'alpha_os1', 'alpha_os4', 'alpha_os8'}`` and owns
    the loss.

    ``train_cfg``:

    - ``prm_warmup_iters`` (int, optional): PRM-guided supervision
      (MG Matting / MatteFormer): before this iteration ``alpha_os4`` /
      ``alpha_os1`` are supervised as the loss weighs them (the trimap's
      unknown region), up to 3x it on a coin flip per batch, then on the
      PRM regions (:func:`~dpt_mm.models.utils.progressive_refinement`
      with random ellipse sizes). None (default): every output as the loss
      weighs it (DPT pre-training);
    - ``refine_widths`` / ``prm_work_size``: see ``test_cfg``.

    ``test_cfg``: mmagic's ``resize_method`` / ``resize_mode`` /
    ``size_divisor`` and

    - ``pad_border`` (default 0): with ``resize_method='pad'``, a reflected
      border on every side before padding to ``size_divisor`` (the official
      MG Matting / MatteFormer ``inference.py``: 32); 0 is mmagic's
      bottom / right padding;
    - ``pad_rule`` (default ``'next_multiple'``): ``'vitmatte'`` zero-pads
      as ViTMatte's ``preprocess_inputs`` (:func:`vitmatte_pad`), with
      ``resize_method='pad'`` and ``pad_border=0``;
    - ``alpha_rounding`` (default ``'round'``): ``'floor'`` truncates the
      uint8 alpha as ``(alpha * 255).astype(uint8)``;
    - ``fuse`` (default True): PRM fusion of ``alpha_os8 -> os4 -> os1``;
      False returns ``alpha_os1``;
    - ``refine_widths`` (default ``(30, 15)``) and ``prm_work_size``
      (default ``(640, 640)``; None works at the output's size) of PRM.

    Args:
        backbone (dict): Encoder (or whole-network) config.
        head (dict): Decoder head config with its ``loss``.
        neck (dict, optional): Module on the deepest level. Defaults to
            None.
        data_preprocessor (dict, optional): Defaults to
            ``dict(type='MattorPreprocessor', proc_trimap='as_is')``.
        with_trimap (bool): If False only the 3 image channels reach the
            network (the loss still sees the trimap). Defaults to True.
        train_cfg (dict, optional): See above.
        test_cfg (dict, optional): See above.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 with_trimap: bool = True,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MattorPreprocessor', proc_trimap='as_is')
        super().__init__(
            data_preprocessor=data_preprocessor,
            backbone=backbone,
            init_cfg=init_cfg,
            train_cfg=train_cfg,
            test_cfg=dict(TEST_DEFAULTS, **(test_cfg or {})))
        rounding = self.test_cfg.alpha_rounding
        if rounding not in ('floor', 'round'):
            raise ValueError('test_cfg.alpha_rounding must be \'floor\' or '
                             f'\'round\', got {rounding!r}')
        if self.test_cfg.get('pad_rule', 'next_multiple') not in (
                'next_multiple', 'vitmatte'):
            raise ValueError(
                'test_cfg.pad_rule must be \'next_multiple\' or '
                f'\'vitmatte\', got {self.test_cfg.pad_rule!r}')
        if int(self.test_cfg.pad_border) < 0:
            raise ValueError('test_cfg.pad_border must be >= 0, got '
                             f'{self.test_cfg.pad_border}')
        for cfg in (self.train_cfg, self.test_cfg):
            if len(cfg.get('refine_widths', PRM_WIDTHS)) != 2:
                raise ValueError('refine_widths needs 2 values, got '
                                 f'{cfg.refine_widths}')
        self.with_trimap = with_trimap
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self._local_iter = 0  # when no runner's MessageHub holds 'iter'
        # sane eval outputs before any training step (see the function)
        init_spectral_norm_vectors(self)

    # ------------------------------------------------------------ network

    def extract_feat(self, inputs: Tensor) -> Union[Tensor, List[Tensor]]:
        """The decoder levels (the input first), or a whole network's raw
        output."""
        if inputs.dim() != 4 or inputs.shape[1] < 4:
            raise ValueError(f'{type(self).__name__} expects NxCxHxW inputs '
                             '(3 image channels + the trimap), got '
                             f'{tuple(inputs.shape)}')
        x = inputs if self.with_trimap else inputs[:, :3]
        feats = self.backbone(x)
        if isinstance(feats, Tensor):
            if self.neck is not None:
                raise ValueError('a neck needs feature levels; the backbone '
                                 'returns one tensor')
            return feats
        feats = list(feats)
        if tuple(feats[0].shape[-2:]) != tuple(x.shape[-2:]):
            feats = [x] + feats
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
        return feats

    def _forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """The head's named outputs (``mode='tensor'``)."""
        return self.head(self.extract_feat(inputs))

    def predict_alpha(self, inputs: Tensor) -> Tensor:
        """The alpha of a batch as ``test_cfg`` fuses it; no resizing.

        Args:
            inputs (Tensor): NxCxHxW image + trimap, at a size the network
                takes (see :meth:`resize_inputs`).

        Returns:
            Tensor: Nx1xHxW alpha in [0, 1].
        """
        outputs = self._forward(inputs)
        if set(outputs) == {'alpha'}:
            return outputs['alpha']
        if not self.test_cfg.get('fuse', True):
            return outputs['alpha_os1']
        return progressive_refinement(
            outputs,
            self.test_cfg.get('refine_widths', PRM_WIDTHS),
            random_widths=False,
            work_size=self._work_size(self.test_cfg))[1]

    def _forward_test(self, inputs: Tensor) -> Tensor:
        """``BaseMattor``'s test-time network call: :meth:`predict_alpha`."""
        return self.predict_alpha(inputs)

    # ------------------------------------------------------------ training

    @staticmethod
    def _work_size(cfg: dict) -> Optional[Tuple[int, int]]:
        size = cfg.get('prm_work_size', PRM_WORK_SIZE)
        return None if size is None else tuple(int(s) for s in size)

    def _current_iter(self) -> int:
        """The runner's iteration if a runner is active, else a counter."""
        it = MessageHub.get_current_instance().get_info('iter', None)
        return self._local_iter if it is None else int(it)

    def _prm_guided(self) -> bool:
        """Whether this iteration supervises on the PRM regions."""
        warmup = self.train_cfg.get('prm_warmup_iters')
        if warmup is None:
            return False
        it = self._current_iter()
        if it < warmup:
            return False
        if it < 3 * warmup:
            return bool(torch.randint(0, 2, ()).item() != 0)
        return True

    def _forward_train(self, inputs: Tensor,
                       data_samples: DataSample) -> Dict[str, Tensor]:
        """The head's loss on the (PRM-refined) outputs."""
        outputs = self._forward(inputs)
        weights = None
        if self._prm_guided():
            os4, os1, w4, w1 = progressive_refinement(
                outputs,
                self.train_cfg.get('refine_widths', PRM_WIDTHS),
                random_widths=True,
                work_size=self._work_size(self.train_cfg))
            outputs = dict(outputs, alpha_os4=os4, alpha_os1=os1)
            weights = dict(alpha_os4=w4, alpha_os1=w1)
        self._local_iter += 1
        return self.head.loss(outputs, data_samples, weights)

    # ------------------------------------------------------------ test

    def _border(self) -> int:
        """The reflected border of the test-time padding."""
        if self.test_cfg.resize_method != 'pad':
            return 0
        return int(self.test_cfg.pad_border)

    def resize_inputs(self, batch_inputs: Tensor) -> Tensor:
        """Pad with ``pad_border`` (see above), or mmagic's resizing."""
        border = self._border()
        if self.test_cfg.get('pad_rule') == 'vitmatte':
            if border or self.test_cfg.resize_method != 'pad':
                raise ValueError('test_cfg.pad_rule=\'vitmatte\' needs '
                                 'resize_method=\'pad\' and pad_border=0')
            return vitmatte_pad(batch_inputs, int(self.test_cfg.size_divisor))
        if border == 0:
            return super().resize_inputs(batch_inputs)
        if self.test_cfg.resize_mode != 'reflect':
            raise ValueError('test_cfg.pad_border needs resize_mode='
                             f'\'reflect\', got {self.test_cfg.resize_mode!r}')
        return border_pad(batch_inputs, border,
                          int(self.test_cfg.size_divisor))

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
        """mmagic's post-processing, truncating with
        ``alpha_rounding='floor'``."""
        if self.test_cfg.alpha_rounding == 'floor':
            # k / 255 * 255 rounds back to k in mmagic's postprocess
            batch_pred_alpha = torch.floor(
                batch_pred_alpha.clamp(0, 1) * 255) / 255
        return super().postprocess(batch_pred_alpha, data_samples)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[DataSample] = None,
                mode: str = 'tensor'):
        """``loss`` / ``predict`` / ``tensor`` as mmagic's ``BaseMattor``.

        ``predict`` on samples without ``ori_trimap`` (pretext batches)
        gives each sample the float 1xHxW ``pred_alpha`` of
        :meth:`predict_alpha`, without resizing.

        Args:
            inputs (Tensor): NxCxHxW image + trimap.
            data_samples (DataSample, optional): Stacked data samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            dict | list[DataSample]: Losses, data samples with predictions,
            or the head's named outputs.
        """
        if mode not in ('loss', 'predict', 'tensor'):
            raise RuntimeError(f'Invalid mode "{mode}"; expected loss, '
                               'predict or tensor')
        if mode == 'predict' and not (isinstance(data_samples, DataSample)
                                      and 'ori_trimap' in data_samples):
            return self._predict_raw(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def _predict_raw(
        self,
        inputs: Tensor,
        data_samples: Optional[Union[DataSample, Sequence[DataSample]]] = None
    ) -> List[DataSample]:
        """Per-sample float ``pred_alpha`` (1xHxW) of a pretext batch."""
        with torch.no_grad():
            alpha = self.predict_alpha(inputs)
        if data_samples is None:
            samples = [DataSample() for _ in range(len(alpha))]
        elif isinstance(data_samples, DataSample):
            samples = data_samples.split(allow_nonseq_value=True)
            if len(samples) != len(alpha):
                samples = [data_samples] if len(alpha) == 1 else [
                    DataSample() for _ in range(len(alpha))
                ]
        else:
            samples = list(data_samples)
        for sample, a in zip(samples, alpha):
            sample.pred_alpha = a
        return samples
