# Copyright (c) dpt-mm contributors. All rights reserved.
"""The decoder head of :class:`~dpt_mm.models.base_models.Mattor`."""
from typing import Dict, List, Optional, Union

from mmengine.model import BaseModule
from torch import Tensor

from dpt_mm.registry import MODELS


class BaseMattingHead(BaseModule):
    """A decoder head: feature levels in, named alpha outputs out, and the
    loss on those outputs.

    Subclasses implement :meth:`forward`, returning ``{'alpha': ...}`` for a
    single-output network or ``alpha_os1 / alpha_os4 / alpha_os8`` for a
    progressive-refinement network, each Nx1xHxW in [0, 1].

    Args:
        loss (dict, optional): Config of the loss module (e.g.
            ``MattingOutputsLoss``), built into ``self.loss_module``; needed
            only for training. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss) if loss is not None else None

    def loss(self,
             outputs: Dict[str, Tensor],
             data_samples,
             weights: Optional[Dict[str, Tensor]] = None
             ) -> Dict[str, Tensor]:
        """The loss module on ``outputs`` (of :meth:`forward`, possibly
        refined by the mattor), with the pixel ``weights`` the mattor gives
        for some of them, against the ground truth in ``data_samples``;
        returns the loss terms."""
        if self.loss_module is None:
            raise RuntimeError(f'{type(self).__name__}.loss needs a `loss` '
                               'config')
        return self.loss_module(outputs, data_samples, weights)
