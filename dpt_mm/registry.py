"""Registries of dpt-mm: mmagic's own, plus an inferencer registry.

dpt-mm registers into mmagic's registries (scope ``mmagic``), so a config
with ``default_scope = 'mmagic'`` and ``custom_imports =
dict(imports=['dpt_mm'])`` builds dpt-mm types beside mmagic's, and
mmpretrain's through the ``mmpretrain.`` prefix
(``type='mmpretrain.SwinTransformer'``).
"""
from mmagic.registry import (DATA_SAMPLERS, DATASETS, EVALUATORS, HOOKS,
                             LOG_PROCESSORS, LOOPS, METRICS, MODEL_WRAPPERS,
                             MODELS, OPTIM_WRAPPER_CONSTRUCTORS,
                             OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS,
                             TRANSFORMS, VISBACKENDS, VISUALIZERS)
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import Registry

# mmagic keeps no inferencer registry, so INFERENCERS is a child of MMEngine's
# root inferencer registry in the ``mmagic`` scope. Its one type is
# registered lazily: ``import dpt_mm`` does not import the inferencer (its
# base class pulls in ``mmagic.apis``, several seconds); the first
# ``INFERENCERS.get`` / ``build`` imports its module (the location).
INFERENCERS = Registry(
    'inferencer',
    parent=MMENGINE_INFERENCERS,
    scope='mmagic',
    locations=['dpt_mm.apis.matting_inferencer'])

EVALUATOR = EVALUATORS  # MMEngine's singular spelling

__all__ = [
    'DATA_SAMPLERS', 'DATASETS', 'EVALUATOR', 'EVALUATORS', 'HOOKS',
    'INFERENCERS', 'LOG_PROCESSORS', 'LOOPS', 'METRICS', 'MODEL_WRAPPERS',
    'MODELS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS', 'OPTIMIZERS',
    'PARAM_SCHEDULERS', 'TRANSFORMS', 'VISBACKENDS', 'VISUALIZERS'
]
