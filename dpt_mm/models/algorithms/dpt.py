# Copyright (c) dpt-mm contributors. All rights reserved.
"""DPT: Disentangled Pre-training for Image Matting (Li et al., WACV 2024)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmagic.structures import DataSample
from mmengine.model import BaseModel
from torch import Tensor

from dpt_mm.registry import MODELS
from ..heads.matting_head import init_spectral_norm_vectors


@MODELS.register_module()
class DPT(BaseModel):
    """Self-supervised matting pre-training: encoder + matting decoder.

    ``inputs`` (from ``MattorPreprocessor(proc_trimap='as_is')``) are the
    normalised RGB composite and the one-hot trimap (6 channels). The backbone
    returns five levels (strides 2..32, see ``MattingSwinTransformer`` /
    ``MattingResNetEnc``); the network input is prepended as level 0 and
    :class:`MattingHead` decodes them. The head owns the loss (e.g.
    ``DPTMattingLoss``: L1 + composition + Laplacian on the unknown region).

    Args:
        backbone (dict): Encoder config returning 5 feature levels.
        head (dict): ``MattingHead`` config, with its ``loss``.
        neck (dict, optional): Module applied to the deepest level only
            (e.g. MG Matting's ASPP). Defaults to None.
        data_preprocessor (dict, optional): Defaults to
            ``dict(type='MattorPreprocessor', proc_trimap='as_is')``.
        with_trimap (bool): If False (Table 7, without trimap) only the
            3 image channels are fed to the network; the loss still uses the
            trimap's unknown region. Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 with_trimap: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MattorPreprocessor', proc_trimap='as_is')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.with_trimap = with_trimap
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        # sane eval outputs before any training step (see the function)
        init_spectral_norm_vectors(self)

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Return the six decoder levels ``[input, *backbone(input)]``."""
        x = inputs if self.with_trimap else inputs[:, :3]
        feats = list(self.backbone(x))
        if len(feats) != 5:
            raise ValueError(f'DPT backbone must return 5 feature levels '
                             f'(strides 2..32), got {len(feats)}')
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
        return [x] + feats

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[DataSample] = None,
                mode: str = 'tensor'):
        """Dispatch to ``loss`` / ``predict`` / ``tensor`` mode.

        Args:
            inputs (Tensor): Nx6xHxW (image + one-hot trimap).
            data_samples (DataSample, optional): Stacked data samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            dict | list[DataSample] | Tensor: Losses, data samples with
            ``pred_alpha``, or the Nx1xHxW alpha in [0, 1].
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.head.predict(self.extract_feat(inputs))
        raise RuntimeError(f'Invalid mode "{mode}"; expected loss, predict '
                           'or tensor')

    def loss(self, inputs: Tensor,
             data_samples: DataSample) -> Dict[str, Tensor]:
        """Loss of the head on the unknown region."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self,
                inputs: Tensor,
                data_samples: Optional[Union[DataSample,
                                             Sequence[DataSample]]] = None
                ) -> List[DataSample]:
        """Predict alpha; each returned sample gets a 1xHxW ``pred_alpha``."""
        with torch.no_grad():
            alpha = self.head.predict(self.extract_feat(inputs))
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
