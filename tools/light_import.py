"""Import torch-free modules of ``dpt_mm`` without ``dpt_mm/__init__``.

``import dpt_mm`` registers every dpt-mm type in mmagic's registries, which
imports torch, mmengine and mmagic. The light tools (``evaluate_mattes.py``,
the dataset converters) need only modules that import numpy and OpenCV
(the DIM metrics, the atomic writers, the shard format), so they load them
with :func:`import_light` and start in under a second.
"""
import importlib
import importlib.util
import os
import os.path as osp
import sys
from types import ModuleType


def _light_package() -> str:
    """Register ``_dpt_mm_light`` and every sub-package of ``dpt_mm`` as
    empty packages over dpt_mm's folders (their ``__init__`` files are not
    run), so that relative imports between torch-free modules resolve."""
    root = '_dpt_mm_light'
    if root in sys.modules:
        return root
    package = importlib.util.find_spec('dpt_mm')  # does not run __init__
    if package is None or not package.submodule_search_locations:
        raise ImportError('dpt_mm is not installed and not on PYTHONPATH')
    top = package.submodule_search_locations[0]
    for folder, _, files in os.walk(top):
        if '__init__.py' not in files:
            continue
        rel = osp.relpath(folder, top)
        name = root if rel == '.' else '.'.join([root] + rel.split(os.sep))
        stub = ModuleType(name)
        stub.__path__ = [folder]
        sys.modules[name] = stub
    return root


def import_light(module: str) -> ModuleType:
    """Import a torch-free module of ``dpt_mm`` without ``dpt_mm/__init__``.

    The module is imported under a private package whose sub-packages run
    no ``__init__`` (Python's import system cannot import a sub-module
    without running its package's ``__init__``); relative imports between
    torch-free modules work. When ``dpt_mm`` is already imported, its own
    module is returned.

    Args:
        module (str): Dotted path inside ``dpt_mm``, e.g. ``'utils.io'``.

    Returns:
        ModuleType: The module.
    """
    if 'dpt_mm' in sys.modules:
        return importlib.import_module(f'dpt_mm.{module}')
    return importlib.import_module(f'{_light_package()}.{module}')
