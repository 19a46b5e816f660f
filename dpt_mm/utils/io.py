"""Atomic file writing: a file is written whole or not at all."""
import os
import os.path as osp
import tempfile
from typing import Callable

import cv2
import numpy as np


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then move the result onto ``path``.

    The temporary file lives in the target folder, so ``os.replace`` is an
    atomic rename; on any error the temporary file is removed and ``path``
    is left as it was.

    Args:
        path (str): Final file path.
        write (Callable[[str], None]): Writes the content to the given path.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = osp.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_imwrite(img: np.ndarray, path: str) -> None:
    """Write an image with OpenCV atomically; raise if encoding fails.

    Args:
        img (np.ndarray): Image (HxW, HxWx3 BGR or HxWx4 BGRA).
        path (str): Output path; its suffix selects the format.
    """

    def _write(tmp: str) -> None:
        if not cv2.imwrite(tmp, img):
            raise IOError(f'could not encode image for {path}')

    atomic_write(path, _write)
