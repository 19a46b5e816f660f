# Copyright (c) dpt-mm contributors. All rights reserved.
"""Adaptive gradient clipping of the DPT / MG Matting / MatteFormer
trainers, as an MMEngine optimizer wrapper.

The official trainers clip the global gradient norm to twice a moving
maximum of the norms seen so far (first step: clip at 1e6, i.e. not at
all, and start the moving value at that step's norm; then
``moving = 0.999 * moving + 0.001 * norm``). MMEngine's ``clip_grad`` only
takes a fixed ``max_norm``, so the adaptive rule is written here.
"""
from typing import List, Optional

import torch
from mmengine.optim import OptimWrapper
from torch.nn.utils import clip_grad_norm_

from dpt_mm.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AdaptiveGradClipOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that clips the gradient norm to ``factor`` times a
    moving average of the norms before each step.

    Step 1: the norm ``g`` is measured (clipped at ``first_max_norm``) and
    becomes the moving value ``m``. Later steps: clip at ``factor * m``,
    then ``m = momentum * m + (1 - momentum) * g`` with ``g`` the norm
    before clipping. ``m`` is saved with the optimizer state, so a resumed
    run continues it. The norm is logged as ``train/grad_norm``.

    Args:
        optimizer (Optimizer): The optimizer.
        factor (float): Clip at ``factor`` times the moving value. Defaults
            to 2 (the official trainers').
        momentum (float): Momentum of the moving value. Defaults to 0.999.
        first_max_norm (float): Clip value of the first step. Defaults to
            1e6.
        **kwargs: Other ``OptimWrapper`` arguments (``clip_grad`` is
            refused: this wrapper does the clipping).
    """

    def __init__(self,
                 optimizer,
                 factor: float = 2.0,
                 momentum: float = 0.999,
                 first_max_norm: float = 1e6,
                 **kwargs) -> None:
        if kwargs.get('clip_grad'):
            raise ValueError('AdaptiveGradClipOptimWrapper clips by itself; '
                             'do not set clip_grad')
        if factor <= 0 or not 0 <= momentum < 1:
            raise ValueError(f'need factor > 0 and 0 <= momentum < 1, got '
                             f'{factor}, {momentum}')
        super().__init__(optimizer, **kwargs)
        self.factor = float(factor)
        self.momentum = float(momentum)
        self.first_max_norm = float(first_max_norm)
        self.moving_max_norm: Optional[float] = None

    def _params(self) -> List[torch.Tensor]:
        return [
            p for group in self.optimizer.param_groups
            for p in group['params']
            if p.requires_grad and p.grad is not None
        ]

    def clip_adaptively(self) -> Optional[float]:
        """Clip the gradients in place; return their norm before clipping
        (None when no parameter has a gradient)."""
        params = self._params()
        if not params:
            return None
        if self.moving_max_norm is None:
            norm = float(clip_grad_norm_(params, self.first_max_norm))
            self.moving_max_norm = norm
        else:
            norm = float(
                clip_grad_norm_(params, self.factor * self.moving_max_norm))
            self.moving_max_norm = (self.momentum * self.moving_max_norm +
                                    (1 - self.momentum) * norm)
        self.message_hub.update_scalar('train/grad_norm', norm)
        return norm

    def step(self, **kwargs) -> None:
        """Clip adaptively, then ``optimizer.step``."""
        self.clip_adaptively()
        self.optimizer.step(**kwargs)

    def state_dict(self) -> dict:
        """The optimizer state plus the moving norm (``adaptive_clip``)."""
        state = super().state_dict()
        state['adaptive_clip'] = dict(moving_max_norm=self.moving_max_norm)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the optimizer state and the moving norm, if saved."""
        state_dict = dict(state_dict)
        clip = state_dict.pop('adaptive_clip', None)
        if clip is not None:
            self.moving_max_norm = clip['moving_max_norm']
        super().load_state_dict(state_dict)
