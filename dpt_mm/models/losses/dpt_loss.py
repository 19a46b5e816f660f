# Copyright (c) dpt-mm contributors. All rights reserved.
"""The DPT pre-training loss (the configs' ``DPTMattingLoss``)."""
from dpt_mm.registry import MODELS
from .matting_outputs_loss import MattingOutputsLoss


@MODELS.register_module()
class DPTMattingLoss(MattingOutputsLoss):
    """:class:`MattingOutputsLoss` with every output on the trimap's
    unknown region, the name the DPT configs use.

    By default (the paper) all outputs are supervised on the unknown
    region: the pseudo alpha there is per-pixel noise, so the
    prediction-driven uncertain region of MG Matting's training-time
    progressive refinement is not used in pre-training (the heads pass no
    ``weights``). ``whole_image_outputs=('alpha_os8', )`` with
    ``fuse_outside_unknown=('alpha_os8', 'alpha_os4', 'alpha_os1')`` is
    the DPT authors' trainer (``configs/dpt_swin-t_in1k_authors.py``). The
    arguments are :class:`MattingOutputsLoss`'s.
    """
