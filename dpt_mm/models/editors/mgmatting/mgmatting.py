# Copyright (c) dpt-mm contributors. All rights reserved.
"""MG Matting (Yu et al., CVPR 2021) with a one-hot trimap as guidance.

mmagic has no MG Matting; this mattor keeps mmagic's ``BaseMattor`` test
path (size restore, trimap masking) and takes MG Matting's progressive
refinement (PRM), losses and official test-time padding from
:class:`~dpt_mm.models.editors.prm_mattor.PRMMattor` (shared with
MatteFormer).
"""
from typing import Dict, Optional, Sequence

from torch import Tensor

from dpt_mm.registry import MODELS
from ..prm_mattor import PRMMattor


@MODELS.register_module()
class MGMatting(PRMMattor):
    """MG Matting with a 3-channel one-hot trimap input (DPT paper §4.5).

    Network: ``backbone`` (ResNet-34-D, ``MattingResNetEnc``, five levels at
    strides 2..32) -> optional ``neck`` on the OS32 level (MG Matting's ASPP,
    ``MGMattingASPP``) -> ``head`` (the shared ``MattingHead``) on
    ``[input, *levels]``, giving ``alpha_os1`` / ``alpha_os4`` /
    ``alpha_os8``.

    Training and test as MG Matting's trainer and ``infer.py`` (see
    :class:`PRMMattor`): PRM warm-up ``train_cfg.prm_warmup_iters``
    (default 0: PRM from the first iteration), ``refine_widths`` (30, 15),
    the uncertain region dilated at the output's own size (MG Matting's
    ``get_unknown_tensor_from_pred`` has no 640x640 resize, unlike
    MatteFormer's: ``prm_work_size`` None), a 32 px reflected border at test
    time and the alpha truncated to uint8. The losses are the alpha L1,
    composition and Laplacian terms, each ``sum_k v_k L(os_k)`` with
    ``output_weights`` ``v`` used as given; the default
    ``(0.4, 0.2, 0.2)`` is the official ``(2 L(os1) + L(os4) + L(os8)) / 5``.
    The composition term is mmagic's ``L1CompositionLoss`` on [0, 1] RGB,
    i.e. the mean over pixels and channels; the official code composes
    ImageNet-normalised images and divides the 3-channel sum by the
    1-channel weight sum, which is ``sum_c 1 / std_c`` (about 13.28) times
    larger for an error spread evenly over the channels. The configs
    therefore set ``loss_comp.loss_weight = 1 / 0.229 + 1 / 0.224 +
    1 / 0.225``.

    Args:
        data_preprocessor (dict): ``MattorPreprocessor`` config.
        backbone (dict): Encoder config returning five levels.
        head (dict): ``MattingHead`` config.
        neck (dict, optional): Module applied to the last level (ASPP).
        loss_alpha (dict, optional): Alpha loss. Default mmagic ``L1Loss``.
        loss_comp (dict, optional): Composition loss. Default mmagic
            ``L1CompositionLoss``.
        loss_lap (dict, optional): Laplacian loss. Default ``LaplacianLoss``.
        output_weights (Sequence[float]): Positive weights of os1 / os4 /
            os8, used as given. Default ``(0.4, 0.2, 0.2)``, i.e.
            ``(2, 1, 1) / 5``.
        init_cfg (dict, optional): Initialisation config.
        train_cfg (dict, optional): See :class:`PRMMattor`.
        test_cfg (dict, optional): See :class:`PRMMattor`.
    """

    default_prm_warmup_iters = 0
    default_prm_work_size = None

    def __init__(self,
                 data_preprocessor: dict,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 loss_alpha: Optional[dict] = dict(type='L1Loss'),
                 loss_comp: Optional[dict] = dict(type='L1CompositionLoss'),
                 loss_lap: Optional[dict] = dict(type='LaplacianLoss'),
                 output_weights: Sequence[float] = (0.4, 0.2, 0.2),
                 init_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor,
            backbone=backbone,
            head=head,
            loss_alpha=loss_alpha,
            loss_comp=loss_comp,
            loss_lap=loss_lap,
            output_weights=output_weights,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg)
        self.neck = MODELS.build(neck) if neck is not None else None

    def _forward(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Raw network outputs.

        Args:
            inputs (Tensor): Nx6xHxW, H and W divisible by 32.

        Returns:
            dict[str, Tensor]: ``alpha_os1/os4/os8``, Nx1xHxW in [0, 1].
        """
        if inputs.dim() != 4 or inputs.shape[1] != 6:
            raise ValueError('MGMatting expects Nx6xHxW inputs (RGB + one-hot '
                             f'trimap), got {tuple(inputs.shape)}')
        feats = list(self.backbone(inputs))
        if self.neck is not None:
            feats[-1] = self.neck(feats[-1])
        return self.head([inputs] + feats)
