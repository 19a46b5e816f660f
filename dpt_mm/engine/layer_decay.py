# Copyright (c) dpt-mm contributors. All rights reserved.
"""Layer-wise learning-rate decay with the depth given by the backbone."""
from functools import partial
from typing import Callable, List, Optional

from mmpretrain.engine.optimizers import \
    LearningRateDecayOptimWrapperConstructor
from torch import nn

from dpt_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BackboneLayerDecayOptimWrapperConstructor(
        LearningRateDecayOptimWrapperConstructor):
    """mmpretrain's layer-wise learning-rate decay for a model whose
    backbone (``model.backbone``) has ``get_layer_depth(name, prefix)``.

    A parameter at depth ``d`` of ``D`` gets the learning rate
    ``lr * layer_decay_rate ** (D - 1 - d)``; ``paramwise_cfg`` is
    mmpretrain's (``layer_decay_rate``, ``norm_decay_mult``,
    ``custom_keys`` with ``decay_mult``, ...).
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   get_layer_depth: Optional[Callable] = None,
                   **kwargs) -> None:
        """Add the parameters of ``module`` (see mmpretrain's constructor);
        at the top level the depth comes from ``module.backbone``."""
        if get_layer_depth is None and not hasattr(module, 'get_layer_depth'):
            backbone = getattr(module, 'backbone', None)
            if not hasattr(backbone, 'get_layer_depth'):
                raise TypeError(
                    f'{type(module).__name__} has no backbone with '
                    'get_layer_depth(); layer-wise decay cannot rank its '
                    'parameters')
            get_layer_depth = partial(
                backbone.get_layer_depth, prefix='backbone.')
        super().add_params(
            params, module, prefix=prefix, get_layer_depth=get_layer_depth)


__all__ = ['BackboneLayerDecayOptimWrapperConstructor']
