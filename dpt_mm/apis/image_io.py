"""Strict image reading, atomic image writing and input pairing for matting.

mmcv's ``imread`` silently converts whatever it gets (it drops an alpha
channel, returns ``None`` or raises a generic error for an unreadable file),
which is right for training data but not for a user's photos: here every
problem becomes a :class:`MattingInputError` whose message starts with the
offending file. Results are written with
:func:`dpt_mm.utils.io.atomic_imwrite`.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import scandir

from dpt_mm.utils.io import IMG_EXTENSIONS



class MattingInputError(ValueError):
    """A user input for matting is unusable; the message names the file."""


def _read_bytes(path: str) -> np.ndarray:
    """Read a file into a uint8 buffer, failing with a clear message."""
    if not osp.exists(path):
        raise MattingInputError(f'{path}: file does not exist')
    if not osp.isfile(path):
        raise MattingInputError(f'{path}: not a regular file')
    try:
        return np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise MattingInputError(f'{path}: cannot read file ({err})') from err


def _decode(path: str, buf: np.ndarray, flag: int) -> np.ndarray:
    """Decode ``buf`` with OpenCV ``flag`` or raise naming ``path``."""
    img = cv2.imdecode(buf, flag) if buf.size else None
    if img is None:
        raise MattingInputError(
            f'{path}: cannot decode the file as an image (unreadable, '
            'empty or corrupt)')
    return img


def _probe(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Return the raw bytes and the undecorated decode (all channels)."""
    buf = _read_bytes(path)
    raw = _decode(path, buf, cv2.IMREAD_UNCHANGED)
    if raw.dtype != np.uint8:
        raise MattingInputError(
            f'{path}: {raw.dtype} pixels are not supported; save the image '
            'with 8 bits per channel')
    return buf, raw


def read_image(path: str) -> np.ndarray:
    """Read an opaque colour image as uint8 HxWx3 BGR.

    Pixels are decoded exactly like mmagic's ``LoadImageFromFile`` with
    ``color_type='color'`` (OpenCV ``IMREAD_COLOR``, EXIF orientation
    applied); grey images are expanded to three channels.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: The image, HxWx3 uint8 in BGR order.

    Raises:
        MattingInputError: When the file is missing, cannot be decoded, is
            not 8-bit, or has an alpha channel (matting needs the opaque
            photo; a 4-channel input is most likely already a cut-out).
    """
    buf, raw = _probe(path)
    channels = 1 if raw.ndim == 2 else raw.shape[2]
    if channels in (2, 4):
        raise MattingInputError(
            f'{path}: the image has an alpha channel ({channels} channels); '
            'matting needs an opaque RGB photo - flatten it or save it '
            'without transparency')
    if channels not in (1, 3):
        raise MattingInputError(
            f'{path}: unsupported number of channels ({channels})')
    return _decode(path, buf, cv2.IMREAD_COLOR)


def read_gray_map(path: str, what: str = 'trimap') -> np.ndarray:
    """Read a trimap or mask as uint8 HxW.

    Decoded like mmagic's ``LoadImageFromFile(color_type='grayscale')``; a
    colour file with three equal channels therefore keeps its values.

    Args:
        path (str): Map file.
        what (str): Name used in error messages. Defaults to 'trimap'.

    Returns:
        np.ndarray: HxW uint8 map.

    Raises:
        MattingInputError: When the file is missing, not an 8-bit image, or
            has an alpha channel (ambiguous: which channel is the map?).
    """
    buf, raw = _probe(path)
    channels = 1 if raw.ndim == 2 else raw.shape[2]
    if channels in (2, 4):
        raise MattingInputError(
            f'{path}: the {what} has an alpha channel ({channels} channels); '
            f'save the {what} as a single-channel grey image')
    return _decode(path, buf, cv2.IMREAD_GRAYSCALE)


def _list_images(folder: str) -> Dict[str, str]:
    """Map file stem -> path for the images directly inside ``folder``."""
    found: Dict[str, str] = {}
    for name in sorted(
            scandir(folder, IMG_EXTENSIONS, case_sensitive=False)):
        stem = osp.splitext(name)[0]
        path = osp.join(folder, name)
        if stem in found:
            raise MattingInputError(
                f'{path}: two files in {folder} share the name {stem!r} '
                f'({osp.basename(found[stem])}); outputs would collide')
        found[stem] = path
    return found


def collect_pairs(img: str,
                  guide: str,
                  guide_kind: str = 'trimap') -> List[Tuple[str, str]]:
    """Pair input images with their trimaps (or masks).

    ``img`` is a file or a folder. A folder's images are matched to files of
    the same stem (any image extension) in ``guide``, which must then be a
    folder too. A single image takes ``guide`` as a file, or looks its stem
    up when ``guide`` is a folder.

    Args:
        img (str): Image file or folder.
        guide (str): Trimap/mask file or folder.
        guide_kind (str): 'trimap' or 'mask', for messages.

    Returns:
        list[tuple[str, str]]: ``(image_path, guide_path)`` sorted by name.

    Raises:
        MattingInputError: Missing paths, empty folders, missing or
            ambiguous partners.
    """
    if not osp.exists(img):
        raise MattingInputError(f'{img}: image path does not exist')
    if not osp.exists(guide):
        raise MattingInputError(f'{guide}: {guide_kind} path does not exist')
    if osp.isdir(img):
        if not osp.isdir(guide):
            raise MattingInputError(
                f'{guide}: --img is a folder, so the {guide_kind} must be a '
                'folder of files named like the images')
        images = _list_images(img)
        if not images:
            raise MattingInputError(
                f'{img}: no images ({", ".join(IMG_EXTENSIONS)}) in folder')
        guides = _list_images(guide)
        pairs = []
        for stem, path in images.items():
            if stem not in guides:
                raise MattingInputError(
                    f'{path}: no {guide_kind} named {stem}.* in {guide}')
            pairs.append((path, guides[stem]))
        return pairs
    if osp.isdir(guide):
        stem = osp.splitext(osp.basename(img))[0]
        guides = _list_images(guide)
        if stem not in guides:
            raise MattingInputError(
                f'{img}: no {guide_kind} named {stem}.* in {guide}')
        return [(img, guides[stem])]
    return [(img, guide)]


def output_paths(out_dir: str, name: str,
                 kinds: Sequence[str]) -> Dict[str, str]:
    """Where the results of one image go: ``out_dir/<kind>/<name>.png``.

    Args:
        out_dir (str): Output root.
        name (str): Result name (the input's file stem).
        kinds (Sequence[str]): Result kinds, e.g. ('alpha', 'fg', 'cutout').

    Returns:
        dict[str, str]: Kind -> PNG path.
    """
    return {k: osp.join(out_dir, k, f'{name}.png') for k in kinds}


def result_name(path: Optional[str], default: str = 'result') -> str:
    """File stem of ``path``, or ``default`` for in-memory inputs."""
    if isinstance(path, str):
        return osp.splitext(osp.basename(path))[0]
    return default
