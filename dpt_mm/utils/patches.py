"""Every change dpt-mm makes to its libraries, and every private API it uses.

Each entry says what it works around, the versions it was checked against
(``requirements/constraints.txt``: torch 2.14.1, mmengine 0.10.7, mmagic
1.2.0) and checks at import that the attribute it relies on is still what
it expects, failing with a clear message when a library changed. Setting
``DPT_MM_NO_PATCHES=1`` leaves the libraries unpatched (docs/reliability.md).
"""
import inspect
import os
import pickle
from pathlib import Path
from typing import Any, Callable, List, Sequence, Tuple, Union

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


def _check_serialize_data() -> None:
    from mmengine.dataset import BaseDataset
    _expect_params(BaseDataset, '_serialize_data', ('self', ),
                   'UnlabeledImageDataset overrides it')


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


def mmengine_metric_evaluate(metric, size: int) -> dict:
    """``mmengine.evaluator.BaseMetric.evaluate(metric, size)``.

    mmagic 1.2.0's ``BaseSampleWiseMetric.evaluate()`` takes no ``size``
    (it reads ``self.size`` from its ``prepare``), so a metric that also
    runs under MMEngine's evaluator calls MMEngine's method directly.
    """
    from mmengine.evaluator import BaseMetric
    return BaseMetric.evaluate(metric, size)


def _check_private_uses() -> None:
    import torch
    from mmagic.datasets.transforms import RandomAffine
    from mmagic.evaluation.metrics.base_sample_wise_metric import \
        BaseSampleWiseMetric
    from mmengine.evaluator import BaseMetric
    _expect_params(RandomAffine, '_get_inverse_affine_matrix',
                   ('center', 'angle', 'translate', 'scale', 'shear', 'flip'),
                   'ResizeCropAffine uses it',
                   patch=False)
    _expect_params(
        BaseSampleWiseMetric,
        'evaluate', ('self', ),
        'DIMMattingMetrics bypasses it',
        patch=False)
    _expect_params(
        BaseMetric,
        'evaluate', ('self', 'size'),
        'DIMMattingMetrics calls it',
        patch=False)
    # models/heads/matting_head.py reads the spectral-norm pre-hooks
    if not isinstance(
            getattr(torch.nn.Module(), '_forward_pre_hooks', None), dict):
        raise PatchCheckError(
            'dpt-mm expects torch.nn.Module._forward_pre_hooks (a dict; '
            'the spectral-norm warm-up of the matting heads reads it)')


def check_and_apply() -> None:
    """Check every library expectation; apply the patches unless disabled.

    Run once by ``import dpt_mm`` (idempotent).

    Raises:
        PatchCheckError: A library differs from what a patch expects.
    """
    _check_private_uses()
    if not patches_enabled():
        return
    _check_serialize_data()
    _patch_local_backend()
    _patch_history_buffer()
