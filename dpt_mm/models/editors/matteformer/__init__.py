# Copyright (c) dpt-mm contributors. All rights reserved.
from dpt_mm.models.heads.prm import progressive_refinement, uncertain_region
from .matteformer import MatteFormer
from .past_encoder import (MatteFormerEncoder, PASTBlock, PASTStage,
                           PriorShiftWindowMSA, PriorWindowMSA)

__all__ = [
    'MatteFormer', 'MatteFormerEncoder', 'PASTBlock', 'PASTStage',
    'PriorShiftWindowMSA', 'PriorWindowMSA', 'progressive_refinement',
    'uncertain_region'
]
