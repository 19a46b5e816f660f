"""Atomic writes for MMEngine's local file backend.

MMEngine's ``LocalBackend.put`` opens the target and writes into it, so a
job killed while saving (pre-emption, out of disk) leaves a truncated
checkpoint under the real name, which ``--resume`` then picks up and fails
on. Runner checkpoints, logs of metrics and dumped results all go through
``put`` / ``put_text``; making those two write to a temporary file in the
same folder and rename it into place means a file is complete or absent.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend

from .fault import fault_armed, fault_point
from .io import atomic_write, atomic_write_text

_ORIGINAL_PUT = LocalBackend.put
_ORIGINAL_PUT_TEXT = LocalBackend.put_text


def _atomic_put(self: LocalBackend, obj: bytes, filepath: Union[str,
                                                                 Path]) -> None:
    """Write bytes to ``filepath`` via a temporary file and a rename."""

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


def _atomic_put_text(self: LocalBackend,
                     obj: str,
                     filepath: Union[str, Path],
                     encoding: str = 'utf-8') -> None:
    """Write text to ``filepath`` via a temporary file and a rename."""

    atomic_write_text(str(filepath), obj, encoding)


def enable_atomic_local_writes() -> None:
    """Make ``LocalBackend.put`` / ``put_text`` atomic (idempotent)."""
    LocalBackend.put = _atomic_put
    LocalBackend.put_text = _atomic_put_text
