# Copyright (c) dpt-mm contributors. All rights reserved.
"""The head of a backbone that is a whole matting network (GCA's)."""
from typing import Dict, List, Optional, Union

import torch
from torch import Tensor

from dpt_mm.registry import MODELS
from ..base_models.base_head import BaseMattingHead


@MODELS.register_module()
class AlphaLossHead(BaseMattingHead):
    """``alpha = (tanh(raw) + 1) / 2`` of a whole network's raw output.

    mmagic's ``SimpleEncoderDecoder`` (GCA) returns the raw Nx1xHxW alpha;
    this head adds GCA's output activation and the loss, and has no
    parameters, so the mattor's state dict is the network's.

    Args:
        loss (dict, optional): Loss config, weighing the one output
            ``'alpha'``. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(loss=loss, init_cfg=init_cfg)
        keys = set(getattr(self.loss_module, 'output_weights', {'alpha'}))
        if keys != {'alpha'}:
            raise ValueError('AlphaLossHead has the one output \'alpha\'; '
                             f'its loss weighs {sorted(keys)}')

    def forward(self, raw: Tensor) -> Dict[str, Tensor]:
        """The activated alpha.

        Args:
            raw (Tensor): Nx1xHxW raw network output.

        Returns:
            dict[str, Tensor]: ``{'alpha': alpha}``.
        """
        if not isinstance(raw, Tensor) or raw.dim() != 4 or raw.shape[1] != 1:
            shape = tuple(raw.shape) if isinstance(raw, Tensor) else type(raw)
            raise ValueError('AlphaLossHead expects the Nx1xHxW raw alpha of '
                             f'an encoder-decoder backbone, got {shape}')
        return {'alpha': (torch.tanh(raw) + 1.0) / 2.0}
