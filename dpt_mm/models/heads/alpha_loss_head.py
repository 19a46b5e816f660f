# Copyright (c) dpt-mm contributors. All rights reserved.
"""A layer-free DPT head for backbones that are whole matting networks.

mmagic's GCA keeps its encoder and decoder in one ``SimpleEncoderDecoder``
backbone that returns the raw alpha and applies ``(tanh + 1) / 2`` in the
mattor. With that backbone inside ``DPT`` the pre-trained state dict is
GCA's own; this head adds only the mattor's output activation and the loss.
"""
from typing import Callable, Dict, List, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor

from dpt_mm.registry import MODELS


def _tanh_alpha(x: Tensor) -> Tensor:
    return (torch.tanh(x) + 1.0) / 2.0


#: output activations of the fine-tuning mattors (GCA: ``'tanh'``)
ACTIVATIONS: Dict[str, Callable[[Tensor], Tensor]] = {
    'tanh': _tanh_alpha,
    'sigmoid': torch.sigmoid,
    'none': lambda x: x,
}


@MODELS.register_module()
class AlphaLossHead(BaseModule):
    """Output activation + loss for an encoder-decoder ``DPT`` backbone.

    ``alpha = activation(raw)`` as ``output_key`` (GCA: ``'tanh'``, i.e.
    ``(tanh(raw) + 1) / 2`` as mmagic's ``GCA._forward``), supervised by
    ``loss`` (``DPTMattingLoss`` with ``output_weights`` naming exactly
    ``output_key``). The head has no parameters, so the pre-trained state
    dict is the backbone's, i.e. the fine-tuning mattor's.

    Args:
        loss (dict): Loss config (``DPTMattingLoss``).
        activation (str): One of ``ACTIVATIONS``. Defaults to ``'tanh'``.
        output_key (str): Name of the single output. Defaults to
            ``'alpha'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 loss: dict,
                 activation: str = 'tanh',
                 output_key: str = 'alpha',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if activation not in ACTIVATIONS:
            raise ValueError(f'activation must be one of '
                             f'{sorted(ACTIVATIONS)}, got {activation!r}')
        self.activation = activation
        self.output_key = output_key
        self.loss_module = MODELS.build(loss)
        keys = set(getattr(self.loss_module, 'output_weights', {}))
        if keys != {output_key}:
            raise ValueError(f'AlphaLossHead has the one output '
                             f'{output_key!r}; its loss weighs '
                             f'{sorted(keys)}')

    def forward(self, raw: Tensor) -> Dict[str, Tensor]:
        """The activated alpha.

        Args:
            raw (Tensor): Nx1xHxW raw network output.

        Returns:
            dict[str, Tensor]: ``{output_key: alpha}``.
        """
        if not isinstance(raw, Tensor) or raw.dim() != 4 or raw.shape[1] != 1:
            shape = tuple(raw.shape) if isinstance(raw, Tensor) else type(raw)
            raise ValueError('AlphaLossHead expects the Nx1xHxW raw alpha of '
                             f'an encoder-decoder backbone, got {shape}')
        return {self.output_key: ACTIVATIONS[self.activation](raw)}

    def loss(self, raw: Tensor, data_samples) -> Dict[str, Tensor]:
        """The configured loss of the activated alpha.

        Args:
            raw (Tensor): Nx1xHxW raw network output.
            data_samples: Stacked ``DataSample`` (see
                :class:`~dpt_mm.models.losses.MattingOutputsLoss`).

        Returns:
            dict[str, Tensor]: The loss terms.
        """
        return self.loss_module(self(raw), data_samples)

    def predict(self, raw: Tensor) -> Tensor:
        """The activated Nx1xHxW alpha."""
        return self(raw)[self.output_key]
