"""Atomic file writing: a file is written whole or not at all.

The one implementation used across dpt-mm (checkpoints through MMEngine's
local backend, saved alphas, inference outputs, JSON results). The tools
under ``tools/dataset_converters/`` keep a small copy so that they start
without importing torch / mmagic.
"""
import os
import os.path as osp
import tempfile
from typing import Callable

import cv2
import numpy as np


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)``, flush it to disk, then move it onto ``path``.

    The temporary file lives in the target folder, so ``os.replace`` is an
    atomic rename; on any error the temporary file is removed and ``path``
    is left as it was.

    Args:
        path (str): Final file path; its folder is created if needed.
        write (Callable[[str], None]): Writes the content to the given path.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_imwrite(img: np.ndarray, path: str) -> None:
    """Encode an image in memory, then write it atomically.

    Args:
        img (np.ndarray): uint8 image in OpenCV layout (HxW, HxWx3 BGR or
            HxWx4 BGRA).
        path (str): Output path; its extension selects the format.

    Raises:
        ValueError: When OpenCV cannot encode the image in that format
            (nothing is written then).
    """
    ext = osp.splitext(path)[1]
    try:
        ok, encoded = cv2.imencode(ext, img)
    except cv2.error as err:
        raise ValueError(f'{path}: cannot encode the image ({err})') from err
    if not ok:
        raise ValueError(f'{path}: cannot encode the image as {ext!r}')

    def _write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            f.write(encoded.tobytes())

    atomic_write(path, _write)
