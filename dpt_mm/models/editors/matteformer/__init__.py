# Copyright (c) dpt-mm contributors. All rights reserved.
from .matteformer import MatteFormer
from .past_encoder import (MatteFormerEncoder, PASTBlock, PASTStage,
                           PriorShiftWindowMSA, PriorWindowMSA)
from .prm import progressive_refinement, uncertain_region

__all__ = [
    'MatteFormer', 'MatteFormerEncoder', 'PASTBlock', 'PASTStage',
    'PriorShiftWindowMSA', 'PriorWindowMSA', 'progressive_refinement',
    'uncertain_region'
]
