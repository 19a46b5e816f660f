"""Import torch-free modules of ``dpt_mm`` without ``dpt_mm/__init__``.

``import dpt_mm`` registers every dpt-mm type in mmagic's registries, which
imports torch, mmengine and mmagic. The light tools (``evaluate_mattes.py``,
the dataset converters) need only modules that import numpy and OpenCV
(the DIM metrics, the atomic writers, the shard format), so they load them
with :func:`import_light` and start in under a second.
"""
import importlib
import importlib.util
import os.path as osp
import sys
from types import ModuleType


def import_light(module: str) -> ModuleType:
    """Import a torch-free module of ``dpt_mm`` without ``dpt_mm/__init__``.

    The module is loaded from its file under a private name (Python's import
    system has no way to import a sub-module without running its package's
    ``__init__``). When ``dpt_mm`` is already imported, its own module is
    returned.

    Args:
        module (str): Dotted path inside ``dpt_mm``, e.g. ``'utils.io'``.

    Returns:
        ModuleType: The module.
    """
    if 'dpt_mm' in sys.modules:
        return importlib.import_module(f'dpt_mm.{module}')
    name = f'_dpt_mm_light.{module}'
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec('dpt_mm')  # does not run __init__
    if package is None or not package.submodule_search_locations:
        raise ImportError('dpt_mm is not installed and not on PYTHONPATH')
    path = osp.join(package.submodule_search_locations[0],
                    *module.split('.')) + '.py'
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded
