# Copyright (c) dpt-mm contributors. All rights reserved.
"""MG Matting (Yu et al., CVPR 2021) with a one-hot trimap as guidance: the
ResNet-34 encoder, optional ASPP and the shared ``MattingHead`` on the PRM
mattor."""
from dpt_mm.registry import MODELS
from ..prm_mattor import PRMMattor


@MODELS.register_module()
class MGMatting(PRMMattor):
    """MG Matting with a 3-channel one-hot trimap input (DPT paper §4.5).

    Network: ``backbone`` (ResNet-34-D, ``MattingResNetEnc``, five levels at
    strides 2..32) -> optional ``neck`` on the OS32 level (``MGMattingASPP``)
    -> ``head`` (``MattingHead``) on ``[input, *levels]``.

    Training and test as MG Matting's trainer and ``infer.py`` (see
    :class:`PRMMattor`): PRM from the first iteration (warm-up default 0),
    widths (30, 15), the uncertain region dilated at the output's own size
    (no 640x640 resize, unlike MatteFormer: ``prm_work_size`` None), a 32 px
    reflected border at test time and the alpha truncated to uint8.
    Composition-loss scale: see docs/pretraining.md (the ``loss`` row).

    Args:
        **kwargs: Those of :class:`PRMMattor` (``neck`` e.g.
            ``MGMattingASPP``).
    """

    default_prm_warmup_iters = 0
    default_prm_work_size = None
    head_takes_input = True
