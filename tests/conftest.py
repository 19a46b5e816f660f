# Copyright (c) dpt-mm contributors. All rights reserved.
"""Make ``tests/`` and its sub-folders importable: the shared helpers
(``pretext_helpers``) and the tiny model configs that several test modules
reuse (e.g. ``from test_mgmatting import tiny_mg_cfg``). Test file names
are unique across the folders, as pytest's default import mode needs."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for root, dirs, _ in os.walk(HERE):
    dirs[:] = sorted(d for d in dirs if d not in ('data', '__pycache__'))
    if root not in sys.path:
        sys.path.append(root)
