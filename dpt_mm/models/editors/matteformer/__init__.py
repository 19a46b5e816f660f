# Copyright (c) dpt-mm contributors. All rights reserved.
from .past_encoder import (MatteFormerEncoder, PASTBlock, PASTStage,
                           PriorShiftWindowMSA, PriorWindowMSA)

__all__ = [
    'MatteFormerEncoder', 'PASTBlock', 'PASTStage', 'PriorShiftWindowMSA',
    'PriorWindowMSA'
]
