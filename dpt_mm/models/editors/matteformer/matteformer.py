# Copyright (c) dpt-mm contributors. All rights reserved.
"""MatteFormer (Park et al., CVPR 2022) as an mmagic ``BaseMattor``.

mmagic has no MatteFormer; PRM, the losses and the official test-time
padding come from :class:`~dpt_mm.models.editors.prm_mattor.PRMMattor`
(shared with MG Matting), size restore and trimap masking from mmagic's
``BaseMattor``, the decoder is the shared
:class:`~dpt_mm.models.heads.MattingHead`.
"""
from typing import Dict

from torch import Tensor

from dpt_mm.registry import MODELS
from ..prm_mattor import OUTPUT_KEYS, PRMMattor  # noqa: F401


@MODELS.register_module()
class MatteFormer(PRMMattor):
    """MatteFormer: PAST-Swin encoder + ResShortcut decoder with progressive
    refinement (PRM).

    Training and test as MatteFormer's ``trainers/trainer.py`` and
    ``inference.py`` (see :class:`PRMMattor`): PRM warm-up
    ``train_cfg.prm_warmup_iters`` (default 5000), widths
    ``self_refine_width1`` / ``width2`` (30 / 15), the uncertain region
    found and dilated on a 640x640 nearest resize (``prm_work_size``), a
    32 px reflected border at test time (``test_cfg.pad_border``) and the
    alpha truncated to uint8 (``test_cfg.alpha_rounding='floor'``).

    Each of L1 (``loss_alpha``), composition (``loss_comp``) and Laplacian
    (``loss_lap``) losses is ``sum_k v_k * loss(alpha_k, w_k)`` with
    ``output_weights`` ``v`` used as given, by default
    ``(0.4, 0.2, 0.2) = (2, 1, 1) / 5`` for OS1 / OS4 / OS8 (the official
    weighting), in one :class:`~dpt_mm.models.losses.MattingOutputsLoss`.
    The composition loss is mmagic's ``L1CompositionLoss`` on RGB in
    [0, 1], the mean over pixels and channels. The official trainer
    composes ImageNet-normalised images and divides the 3-channel L1 sum by
    the 1-channel weight sum, which is ``sum_c 1 / std_c`` (about 13.28)
    times that for an error spread evenly over the channels, so the configs
    set ``loss_comp.loss_weight = 1 / 0.229 + 1 / 0.224 + 1 / 0.225``.

    Args:
        **kwargs: Those of :class:`PRMMattor` (``backbone`` e.g.
            ``MatteFormerEncoder``, ``head`` ``MattingHead``).
    """

    default_prm_warmup_iters = 5000

    def _forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Raw decoder outputs ``alpha_os1 / os4 / os8``, each Nx1xHxW."""
        return self.head(self.backbone(inputs))
