# Copyright (c) dpt-mm contributors. All rights reserved.
"""DPT: Disentangled Pre-training for Image Matting (Li et al., WACV 2024)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmagic.models.base_models import BaseMattor
from mmagic.structures import DataSample
from torch import Tensor

from dpt_mm.registry import MODELS
from ..editors.prm_mattor import TEST_DEFAULTS, OfficialTestResize
from ..heads.matting_head import init_spectral_norm_vectors


@MODELS.register_module()
class DPT(OfficialTestResize, BaseMattor):
    """Self-supervised matting pre-training: encoder + matting decoder.

    ``inputs`` (from ``MattorPreprocessor(proc_trimap='as_is')``) are the
    normalised RGB composite and the one-hot trimap (6 channels). The
    backbone is either

    - an encoder returning the six decoder levels (``MatteFormerEncoder``:
      the input itself first) or five (strides 2..32,
      ``MattingSwinTransformer`` / ``MattingResNetEnc``; the network input
      is then prepended as level 0), optionally followed by a ``neck`` on
      the deepest level (MG Matting's ASPP), decoded by
      :class:`MattingHead`; or
    - a whole matting network returning the raw Nx1xHxW alpha (mmagic's
      ``SimpleEncoderDecoder``, GCA's), with :class:`AlphaLossHead` adding
      the mattor's output activation.

    The head owns the loss (``DPTMattingLoss``: L1 + composition +
    Laplacian on the unknown region). The configs build the fine-tuning
    network itself (MatteFormer, GCA, MG Matting), so the pre-trained state
    dict is the fine-tuning one and transferring encoder + decoder is an
    identity mapping.

    The pre-trained network is also a matting model as it is (zero-shot
    matting): on test-pipeline samples ``predict`` pads, restores and masks
    the known regions through mmagic's ``BaseMattor``, so ``tools/test.py``
    and ``tools/infer.py`` take a DPT config and checkpoint.

    Args:
        backbone (dict): Encoder config returning 6 decoder levels (the
            input first) or 5 feature levels (strides 2..32), or an
            encoder-decoder returning the raw alpha.
        head (dict): ``MattingHead`` (levels) or ``AlphaLossHead`` (raw
            alpha) config, with its ``loss``.
        neck (dict, optional): Module applied to the deepest level only
            (e.g. MG Matting's ASPP); not with an encoder-decoder backbone.
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to
            ``dict(type='MattorPreprocessor', proc_trimap='as_is')``.
        with_trimap (bool): If False (Table 7, without trimap) only the
            3 image channels are fed to the network; the loss still uses the
            trimap's unknown region. Defaults to True.
        test_cfg (dict, optional): ``BaseMattor``'s test-time resizing
            plus ``pad_border`` / ``alpha_rounding``
            (:class:`~dpt_mm.models.editors.prm_mattor.OfficialTestResize`).
            Defaults to the DPT authors' ``inference.py``: reflect padding
            to a multiple of 32 at the bottom / right, rounded alpha
            (``pad_border=32, alpha_rounding='floor'`` is MatteFormer's).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 with_trimap: bool = True,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MattorPreprocessor', proc_trimap='as_is')
        # the DPT authors' inference.py: no border, alpha not truncated
        test_defaults = dict(
            TEST_DEFAULTS, pad_border=0, alpha_rounding='round')
        test_defaults.update(test_cfg or {})
        super().__init__(
            data_preprocessor=data_preprocessor,
            backbone=backbone,
            init_cfg=init_cfg,
            test_cfg=test_defaults)
        self._check_test_cfg()
        self.with_trimap = with_trimap
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        # sane eval outputs before any training step (see the function)
        init_spectral_norm_vectors(self)

    def extract_feat(self, inputs: Tensor) -> Union[Tensor, List[Tensor]]:
        """The six decoder levels (the input first), or the raw alpha of an
        encoder-decoder backbone."""
        x = inputs if self.with_trimap else inputs[:, :3]
        feats = self.backbone(x)
        if isinstance(feats, Tensor):  # a whole network: its raw alpha
            if self.neck is not None:
                raise ValueError('DPT: a neck needs feature levels; the '
                                 'backbone returns one alpha tensor')
            return feats
        feats = list(feats)
        if len(feats) == 5:
            feats = [x] + feats
        elif len(feats) != 6:
            raise ValueError(f'DPT backbone must return 6 decoder levels or '
                             f'5 feature levels (strides 2..32), got '
                             f'{len(feats)}')
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
        return feats

    def _forward(self, inputs: Tensor) -> Tensor:
        """The progressively refined alpha, Nx1xHxW in [0, 1]."""
        return self.head.predict(self.extract_feat(inputs))

    _forward_test = _forward

    def _forward_train(self, inputs: Tensor,
                       data_samples: DataSample) -> Dict[str, Tensor]:
        """Loss of the head on the unknown region."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[DataSample] = None,
                mode: str = 'tensor'):
        """Dispatch to ``loss`` / ``predict`` / ``tensor`` mode.

        ``predict`` on test-pipeline samples (with ``ori_trimap``) is
        ``BaseMattor``'s: pad, refine, restore the size, set the known
        regions, uint8 ``output.pred_alpha``. On pretext batches (no
        original trimap) each sample gets the raw 1xHxW float
        ``pred_alpha``.

        Args:
            inputs (Tensor): Nx6xHxW (image + one-hot trimap).
            data_samples (DataSample, optional): Stacked data samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            dict | list[DataSample] | Tensor: Losses, data samples with
            predictions, or the Nx1xHxW alpha in [0, 1].
        """
        if mode not in ('loss', 'predict', 'tensor'):
            raise RuntimeError(f'Invalid mode "{mode}"; expected loss, '
                               'predict or tensor')
        if mode == 'predict' and not (data_samples is not None and isinstance(
                data_samples, DataSample) and 'ori_trimap' in data_samples):
            return self._predict_raw(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def _predict_raw(
        self,
        inputs: Tensor,
        data_samples: Optional[Union[DataSample, Sequence[DataSample]]] = None
    ) -> List[DataSample]:
        """Per-sample float ``pred_alpha`` (1xHxW) of a pretext batch."""
        with torch.no_grad():
            alpha = self._forward(inputs)
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
