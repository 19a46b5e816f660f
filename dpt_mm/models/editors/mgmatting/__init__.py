# Copyright (c) dpt-mm contributors. All rights reserved.
from .aspp import MGMattingASPP
from .resgca_bottleneck_enc import ResGCABottleneckEncoder

__all__ = ['MGMattingASPP', 'ResGCABottleneckEncoder']
