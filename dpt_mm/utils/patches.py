"""Every change dpt-mm makes to its libraries, and every private API it uses.

The patches are applied only by the opt-in module
:mod:`dpt_mm.engine.safe_io` that the project's configs list in
``custom_imports``; ``import dpt_mm`` only checks :data:`PRIVATE_USES`.
Each entry says what it works around and is checked against the pinned
versions (``requirements/constraints.txt``), failing with a clear message
when a library changed. ``DPT_MM_NO_PATCHES=1`` leaves the libraries
unpatched even when opted in (docs/reliability.md).
"""
import inspect
import os
import pickle
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .fault import fault_armed, fault_point
from .io import atomic_write, atomic_write_text

PATCHES_ENV = 'DPT_MM_NO_PATCHES'


class PatchCheckError(RuntimeError):
    """A library no longer looks the way a dpt-mm patch expects."""


def patches_enabled() -> bool:
    """Whether dpt-mm may patch its libraries: ``DPT_MM_NO_PATCHES`` unset,
    empty or one of ``0``, ``false``, ``no``, ``off``."""
    value = os.environ.get(PATCHES_ENV, '').strip().lower()
    return value in ('', '0', 'false', 'no', 'off')


def _expect_params(owner: Any,
                   name: str,
                   params: Sequence[str],
                   why: str,
                   patch: bool = True) -> Callable:
    """Return ``owner.name`` after checking its parameter names.

    Args:
        owner (Any): Class or module holding the attribute.
        name (str): Attribute name.
        params (Sequence[str]): Expected parameter names.
        why (str): What dpt-mm uses it for (for the message).
        patch (bool): Whether it belongs to a patch that
            ``DPT_MM_NO_PATCHES=1`` switches off (then the message says
            so); private APIs used without a patch cannot be switched off.

    Raises:
        PatchCheckError: The attribute is missing or its signature changed.
    """
    where = f'{getattr(owner, "__module__", "")}.' \
        f'{getattr(owner, "__qualname__", owner)}.{name}'
    advice = 'install the versions pinned in requirements/constraints.txt'
    if patch:
        advice += f' or set {PATCHES_ENV}=1 to run without this patch'
    fn = inspect.getattr_static(owner, name, None)
    if isinstance(fn, (staticmethod, classmethod)):
        fn = fn.__func__
    if fn is None:
        raise PatchCheckError(
            f'dpt-mm expects {where} ({why}); it is gone: {advice}')
    got = list(inspect.signature(fn).parameters)
    if got != list(params):
        raise PatchCheckError(
            f'dpt-mm expects {where}{tuple(params)} ({why}), found '
            f'{tuple(got)}: {advice}')
    return fn


# ---------------------------------------------------------------------------
# 1. mmengine LocalBackend.put / put_text: atomic writes.
# mmengine 0.10.7 opens the target and writes into it; a job killed while
# saving leaves a truncated checkpoint under the real name, which --resume
# then picks up (no upstream fix as of mmengine 0.10.7).
# ---------------------------------------------------------------------------
def _atomic_put(self, obj: bytes, filepath: Union[str, Path]) -> None:
    """``LocalBackend.put`` through a temporary file and a rename."""

    def _write(f) -> None:
        if fault_armed('write'):  # die with half of the bytes written
            view = memoryview(obj)
            f.write(view[:len(view) // 2])
            f.flush()
            fault_point('write', str(filepath))
            f.write(view[len(view) // 2:])
        else:
            f.write(obj)

    atomic_write(str(filepath), _write)


def _atomic_put_text(self,
                     obj: str,
                     filepath: Union[str, Path],
                     encoding: str = 'utf-8') -> None:
    """``LocalBackend.put_text`` through a temporary file and a rename."""
    atomic_write_text(str(filepath), obj, encoding)


def _patch_local_backend() -> None:
    from mmengine.fileio.backends import LocalBackend
    why = 'its local writes are made atomic'
    _expect_params(LocalBackend, 'put', ('self', 'obj', 'filepath'), why)
    _expect_params(LocalBackend, 'put_text',
                   ('self', 'obj', 'filepath', 'encoding'), why)
    LocalBackend.put = _atomic_put
    LocalBackend.put_text = _atomic_put_text


# ---------------------------------------------------------------------------
# 2. mmengine HistoryBuffer.__getstate__: no built-in statistics in the
# pickled state. torch >= 2.6 loads with weights_only=True; mmengine 0.10.7
# pickles HistoryBuffer.min/max/... as getattr(cls, name), which a safe load
# refuses (allow-listing getattr would open it to arbitrary attributes).
# __setstate__ restores the built-ins anyway.
# ---------------------------------------------------------------------------
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getstate(self) -> dict:
    """Pickle state of a HistoryBuffer without its built-in statistics."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    custom = {
        name: fn
        for name, fn in self._statistics_methods.items()
        if name not in _DEFAULT_STATISTICS
    }
    if custom:  # user-registered statistics still need a trusted load
        state['statistics_methods'] = custom
    return state


def _patch_history_buffer() -> None:
    from mmengine.logging import HistoryBuffer
    why = 'runner checkpoints must load with weights_only=True'
    _expect_params(HistoryBuffer, '__getstate__', ('self', ), why)
    _expect_params(HistoryBuffer, '__setstate__', ('self', 'state'), why)
    if not isinstance(getattr(HistoryBuffer, '_statistics_methods', None),
                      dict):
        raise PatchCheckError(
            'dpt-mm expects mmengine HistoryBuffer._statistics_methods (a '
            f'dict) ({why}): check the pinned versions or set '
            f'{PATCHES_ENV}=1')
    HistoryBuffer.__getstate__ = _history_buffer_getstate


# ---------------------------------------------------------------------------
# 3. mmengine BaseDataset._serialize_data (private; overridden by
# UnlabeledImageDataset): mmengine 0.10.7 ends it with gc.collect(), over a
# second per build in a process holding torch, freeing nothing here.
# ---------------------------------------------------------------------------
def serialize_without_gc(dataset) -> Tuple[np.ndarray, np.ndarray]:
    """``BaseDataset._serialize_data`` without its final ``gc.collect``.

    With patches off, MMEngine's own method runs.

    Args:
        dataset (mmengine.dataset.BaseDataset): The dataset.

    Returns:
        Tuple[np.ndarray, np.ndarray]: Bytes and end addresses.
    """
    if not patches_enabled():
        from mmengine.dataset import BaseDataset
        return BaseDataset._serialize_data(dataset)
    chunks = [pickle.dumps(x, protocol=4) for x in dataset.data_list]
    address = np.cumsum(
        np.fromiter((len(c) for c in chunks), np.int64, len(chunks)))
    data_bytes = np.frombuffer(b''.join(chunks), dtype=np.uint8)
    dataset.data_list.clear()
    return data_bytes, address


# ---------------------------------------------------------------------------
# Private APIs used (no patch; checked so a library change fails here).
# ---------------------------------------------------------------------------
def inverse_affine_matrix(center: Tuple[float, float], angle: float,
                          translate: Tuple[float, float],
                          scale: Tuple[float, float], shear: float,
                          flip: Tuple[int, int]) -> List[float]:
    """mmagic 1.2.0's ``RandomAffine._get_inverse_affine_matrix``.

    ``ResizeCropAffine`` composes its crop with the exact affine map of
    mmagic's ``RandomAffine``, which has no public accessor for it.

    Returns:
        list[float]: The six entries of the 2x3 inverse map.
    """
    from mmagic.datasets.transforms import RandomAffine
    return RandomAffine._get_inverse_affine_matrix(center, angle, translate,
                                                   scale, shear, flip)


#: Every private attribute of a library that dpt-mm uses without a patch:
#: (module, class, attribute, expected parameters, what uses it).
#: ``parameters`` None: the attribute only has to exist.
PRIVATE_USES: Tuple[Tuple[str, str, str, Optional[Tuple[str, ...]], str],
                    ...] = (
    ('mmagic.datasets.transforms', 'RandomAffine',
     '_get_inverse_affine_matrix',
     ('center', 'angle', 'translate', 'scale', 'shear', 'flip'),
     'ResizeCropAffine uses it'),
    ('mmengine.dataset', 'BaseDataset', '_serialize_data', ('self', ),
     'UnlabeledImageDataset overrides it'),
    ('mmengine.hooks', 'CheckpointHook', '_save_checkpoint_with_step',
     ('self', 'runner', 'step', 'meta'), 'SafeCheckpointHook overrides it'),
    ('mmagic.models.editors.gca.gca_module', 'GCAModule',
     'process_unknown_mask', ('self', 'unknown', 'img_feat',
                              'softmax_scale'),
     'dpt_mm.apis.onnx_export replaces it on instances (matched by the '
     'class name GCAModule)'),
    ('mmagic.models.editors.gca.gca_module', 'GCAModule',
     'get_self_correlation_mask', ('self', 'img_feat'),
     'dpt_mm.apis.onnx_export replaces it on instances (matched by the '
     'class name GCAModule)'),
    ('numpy.core.multiarray', None, '_reconstruct', None,
     'the weights-only allow-list names how numpy arrays are pickled '
     '(numpy 2 renames the module numpy._core)'),
    ('numpy.core.multiarray', None, 'scalar', None,
     'the weights-only allow-list names how numpy scalars are pickled'),
)


def check_private_uses() -> None:
    """Check every entry of :data:`PRIVATE_USES` against the libraries.

    Raises:
        PatchCheckError: An attribute is gone or its signature changed.
    """
    import importlib

    import torch
    for module, cls, name, params, why in PRIVATE_USES:
        owner = importlib.import_module(module)
        if cls is not None:
            owner = getattr(owner, cls)
        if params is None:
            if getattr(owner, name, None) is None:
                raise PatchCheckError(
                    f'dpt-mm expects {module}.{name} ({why}); it is gone: '
                    'install the versions pinned in '
                    'requirements/constraints.txt')
            continue
        _expect_params(owner, name, params, why, patch=False)
    # models/heads/matting_head.py reads the spectral-norm pre-hooks
    if not isinstance(
            getattr(torch.nn.Module(), '_forward_pre_hooks', None), dict):
        raise PatchCheckError(
            'dpt-mm expects torch.nn.Module._forward_pre_hooks (a dict; '
            'the spectral-norm warm-up of the matting heads reads it)')


def check_and_apply() -> None:
    """Check every library expectation; apply the patches unless disabled.

    Run by the opt-in module :mod:`dpt_mm.engine.safe_io` (idempotent);
    ``import dpt_mm`` runs :func:`check_private_uses` only.

    Raises:
        PatchCheckError: A library differs from what dpt-mm expects.
    """
    check_private_uses()
    if not patches_enabled():
        return
    _patch_local_backend()
    _patch_history_buffer()
