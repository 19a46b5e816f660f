# Copyright (c) dpt-mm contributors. All rights reserved.
"""MatteFormer (Park et al., CVPR 2022) as an mmagic ``BaseMattor``: the
PAST-Swin encoder and the shared ``MattingHead`` on the PRM mattor."""
from dpt_mm.registry import MODELS
from ..prm_mattor import OUTPUT_KEYS, PRMMattor  # noqa: F401


@MODELS.register_module()
class MatteFormer(PRMMattor):
    """MatteFormer: PAST-Swin encoder + ResShortcut decoder with progressive
    refinement (PRM).

    Training and test as MatteFormer's ``trainers/trainer.py`` and
    ``inference.py`` (see :class:`PRMMattor`): PRM warm-up
    ``train_cfg.prm_warmup_iters`` (default 5000), widths (30, 15), the
    uncertain region found and dilated on a 640x640 nearest resize
    (``prm_work_size``), a 32 px reflected border at test time and the
    alpha truncated to uint8. Composition-loss scale: see
    docs/pretraining.md (the ``loss`` row).

    Args:
        **kwargs: Those of :class:`PRMMattor` (``backbone`` e.g.
            ``MatteFormerEncoder``, ``head`` ``MattingHead``).
    """

    default_prm_warmup_iters = 5000
