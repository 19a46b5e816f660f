# Copyright (c) dpt-mm contributors. All rights reserved.
from . import matteformer  # noqa: F401
from . import mgmatting  # noqa: F401
