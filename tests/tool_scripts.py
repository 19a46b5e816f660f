# Copyright (c) dpt-mm contributors. All rights reserved.
"""Import the repository's scripts (``tools/*.py``: not a package) as modules,
so that tests can call their ``main`` and helpers in-process."""
import importlib.util
import os
import os.path as osp
import sys
from types import ModuleType
from typing import Optional, Union

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(path: Union[str, os.PathLike],
              name: Optional[str] = None,
              register: bool = False) -> ModuleType:
    """Import a script of the repository as a module.

    Each call executes the script afresh and returns a new module object.

    Args:
        path: The script, relative to the repository root (e.g.
            ``'tools/infer.py'``) or absolute.
        name: The module's ``__name__``; the file's name without ``.py`` when
            None. Give each caller its own name where two tests load the same
            script differently.
        register: Put the module in ``sys.modules`` under ``name`` before
            executing it, for code that looks it up by name (worker processes
            unpickling its functions, dataclasses, ...).

    Returns:
        The executed module.
    """
    path = osp.join(ROOT, os.fspath(path))  # an absolute path stays as it is
    if name is None:
        name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
