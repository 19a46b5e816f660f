# Copyright (c) dpt-mm contributors. All rights reserved.
from .unit_trimap_preprocessor import UnitTrimapPreprocessor

__all__ = ['UnitTrimapPreprocessor']
