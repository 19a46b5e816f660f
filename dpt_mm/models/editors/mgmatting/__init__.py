# Copyright (c) dpt-mm contributors. All rights reserved.
from .aspp import MGMattingASPP
from .mgmatting import MGMatting
from .resgca_bottleneck_enc import ResGCABottleneckEncoder

__all__ = ['MGMatting', 'MGMattingASPP', 'ResGCABottleneckEncoder']
