# Copyright (c) dpt-mm contributors. All rights reserved.
"""The input of plain-ViT matting models: normalised image + one trimap
channel in [0, 1]."""
from typing import Sequence

import torch
from mmagic.models.data_preprocessors import MattorPreprocessor

from dpt_mm.registry import MODELS


@MODELS.register_module()
class UnitTrimapPreprocessor(MattorPreprocessor):
    """mmagic's ``MattorPreprocessor`` with the trimap as one [0, 1]
    channel (``trimap / 255``), snapped to 0 / 0.5 / 1 in training.

    ViTMatte's ``preprocess_inputs``: at test time the 8-bit trimap divided
    by 255 (0, 128 / 255, 1, and any other value as it is); in training it
    is thresholded, below ``thresholds[0]`` to 0, from ``thresholds[1]`` to
    1, and 0.5 between. ``data_samples.trimap`` keeps its 0 / 128 / 255
    values for the loss.

    Args:
        mean (sequence[float]): Image mean, 0-255 scale.
        std (sequence[float]): Image std, 0-255 scale.
        thresholds (sequence[int]): Training thresholds on the 8-bit
            trimap. Defaults to ViTMatte's ``(85, 170)``.
        **kwargs: Other ``MattorPreprocessor`` arguments
            (``proc_trimap`` is fixed to ``'rescale_to_zero_one'``).
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 thresholds: Sequence[int] = (85, 170),
                 **kwargs) -> None:
        if kwargs.pop('proc_trimap', 'rescale_to_zero_one') != \
                'rescale_to_zero_one':
            raise ValueError(f'{type(self).__name__} takes the trimap as '
                             "trimap / 255 (proc_trimap='rescale_to_zero_one')")
        super().__init__(
            mean=list(mean),
            std=list(std),
            proc_trimap='rescale_to_zero_one',
            **kwargs)
        low, high = thresholds
        if not 0 < low < high <= 255:
            raise ValueError(f'thresholds must be 0 < low < high <= 255, got '
                             f'{tuple(thresholds)}')
        self.thresholds = (int(low), int(high))

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise and concatenate (mmagic), then snap the trimap channel
        to 0 / 0.5 / 1 in training.

        Args:
            data (dict): ``inputs`` and ``data_samples`` of the loader.
            training (bool): Whether this is a training batch.

        Returns:
            dict: ``inputs`` (Nx4xHxW) and ``data_samples``.
        """
        data = super().forward(data, training)
        if training:
            inputs = data['inputs']
            gray = inputs[:, 3:] * 255
            low, high = self.thresholds
            inputs[:, 3:] = torch.where(
                gray < low - 0.5, torch.zeros_like(gray),
                torch.where(gray >= high - 0.5, torch.ones_like(gray),
                            torch.full_like(gray, 0.5)))
        return data


__all__ = ['UnitTrimapPreprocessor']
