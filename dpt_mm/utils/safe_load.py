"""The weights-only allow-list of MMEngine checkpoints, and its loader.

Runner checkpoints hold :class:`mmengine.logging.HistoryBuffer` objects and
numpy arrays / scalars, which torch's weights-only unpickler refuses; this
allow-lists exactly those types (nothing that can run code when unpickled).
:func:`dpt_mm.utils.io.read_checkpoint` uses the list for one load; the
``register_*`` functions, run by the opt-in module
:mod:`dpt_mm.engine.safe_io`, make it process-wide. The ``HistoryBuffer``
pickling patch it needs is in :mod:`dpt_mm.utils.patches`.
"""
from typing import List

import numpy as np
import torch


def _numpy_globals() -> List[object]:
    """Numpy objects that pickled arrays, scalars and dtypes refer to."""
    try:  # numpy >= 1.25
        from numpy import dtypes as np_dtypes
        dtype_classes = [
            getattr(np_dtypes, name) for name in dir(np_dtypes)
            if name.endswith('DType')
        ]
    except ImportError:  # pragma: no cover - older numpy
        dtype_classes = []
    multiarray = np.core.multiarray  # dpt_mm.utils.patches.PRIVATE_USES
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype
            ] + dtype_classes


def safe_globals() -> List[object]:
    """Return the objects that dpt-mm allow-lists for ``torch.load``."""
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer] + _numpy_globals()


def register_safe_globals() -> None:
    """Allow-list the types MMEngine checkpoints contain (idempotent)."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4 loads without weights_only by default
        return
    add(safe_globals())


def _load_from_local(filename: str, map_location=None) -> dict:
    """MMEngine's local checkpoint loader, with dpt-mm's clear errors."""
    import os.path as osp

    from .io import read_checkpoint
    return read_checkpoint(osp.expanduser(filename), map_location)


def register_checkpoint_loader() -> None:
    """Make MMEngine's runner load local checkpoints with
    :func:`dpt_mm.utils.io.read_checkpoint` (idempotent).

    Loading is the same weights-only ``torch.load``; failures become a
    :class:`~dpt_mm.utils.io.CheckpointError` that names the file and the
    reason (e.g. the refused ``GLOBAL posix.system``) instead of torch's
    advice to turn safe loading off, and a missing file a
    ``CheckpointNotFoundError`` (a ``FileNotFoundError``, as MMEngine's
    loader raises).
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)
