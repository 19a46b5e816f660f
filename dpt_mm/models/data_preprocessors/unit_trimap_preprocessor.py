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
    1, and 0.5 between, and ``data_samples.trimap`` is snapped the same way
    to 0 / 128 / 255, so that the loss's unknown region (``trimap == 128``)
    is the network's (ViTMatte's ``sample_map``: ``trimap == 0.5``).

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
            raise ValueError(
                f'{type(self).__name__} takes the trimap as trimap / 255 '
                "(proc_trimap='rescale_to_zero_one')")
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
        # a float64 trimap of the pipeline (GenerateTrimap's) would make
        # mmagic's concatenation float64
        data['inputs'] = data['inputs'].float()
        if training:
            inputs, samples = data['inputs'], data['data_samples']
            low, high = self.thresholds
            # as float 0 / 0.5 / 1 (0.5: unknown); the .5 margins make the
            # thresholds exact on the integer values
            gray = inputs[:, 3:] * 255
            unit = torch.where(gray < low - 0.5, 0.,
                               torch.where(gray >= high - 0.5, 1., 0.5))
            inputs[:, 3:] = unit
            samples.trimap = (unit * 255).round().clamp(max=255).where(
                unit != 0.5, torch.full_like(unit, 128.)).to(
                    samples.trimap.dtype)
        return data


__all__ = ['UnitTrimapPreprocessor']
