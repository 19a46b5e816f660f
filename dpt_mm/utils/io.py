"""File I/O of dpt-mm: atomic writes and checkpoint reading.

:func:`atomic_write` is the one writer of dpt-mm and its tools: a file is
complete or absent, with the mode a plain ``open()`` gives it. The module
imports no torch at import time, so torch-free tools load it with
``tools/light_import.py``.
"""
import os
import os.path as osp
import re
import secrets
import struct
import tempfile
import zipfile
from collections import OrderedDict
from typing import (BinaryIO, Callable, Dict, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import cv2
import numpy as np

from .fault import fault_point

#: Image file extensions that dpt-mm and its tools read (lower case).
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')

# start-of-frame markers that carry the image size (not DHT / JPG / DAC)
_SOF_MARKERS = frozenset(
    (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
     0xCF))


def jpeg_size(data: bytes) -> Optional[Tuple[int, int]]:
    """Read ``(height, width)`` from a JPEG header without decoding it.

    Args:
        data (bytes): The encoded file.

    Returns:
        Tuple[int, int] | None: The stored size, or None when ``data`` is
        not a JPEG or its header cannot be parsed.
    """
    n = len(data)
    if n < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return None
    i = 2
    while i + 9 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no payload
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan
            return None
        if marker in _SOF_MARKERS:
            h, w = struct.unpack_from('>HH', data, i + 5)
            return (h, w) if h > 0 and w > 0 else None
        (seg_len, ) = struct.unpack_from('>H', data, i + 2)
        i += 2 + seg_len
    return None


def image_size(data: Union[bytes, BinaryIO]) -> Optional[Tuple[int, int]]:
    """Read ``(height, width)`` from an encoded image's header, undecoded.

    JPEG and PNG bytes are parsed directly (:func:`jpeg_size`, the IHDR
    chunk); other formats and binary files are opened lazily by Pillow,
    which reads the header only.

    Args:
        data (bytes | BinaryIO): The encoded file, as bytes or as a seekable
            binary file (read from its start and rewound afterwards).

    Returns:
        Tuple[int, int] | None: The stored size, or None when the format is
        unknown or the header cannot be parsed.
    """
    head = data
    if not isinstance(data, (bytes, bytearray)):
        data.seek(0)
        head = data.read(24)
        data.seek(0)
    if head[:8] == b'\x89PNG\r\n\x1a\n' and head[12:16] == b'IHDR':
        # the IHDR chunk, read directly: Pillow refuses to open images
        # above its decompression-bomb limit, whose size matters most
        w, h = struct.unpack('>II', head[16:24])
        return h, w
    if isinstance(data, (bytes, bytearray)):
        if data[:2] == b'\xff\xd8':
            return jpeg_size(bytes(data))
    import io

    from PIL import Image
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        stream.seek(0)
        with Image.open(stream) as img:
            w, h = img.size
    except Exception:  # noqa: B902 (any file Pillow cannot identify)
        return None
    finally:
        stream.seek(0)
    return h, w


def _create_temporary(path: str) -> tuple:
    """Create ``.<name>.<8 chars>.tmp`` next to ``path``; return (fd, tmp).

    ``O_CREAT | O_EXCL`` with mode ``0o666`` lets the OS apply the umask,
    as for a plain ``open()`` (no process-wide ``os.umask`` call, which
    would race with other threads).
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    while True:
        tmp = osp.join(folder,
                       f'.{osp.basename(path)}.{secrets.token_hex(4)}.tmp')
        try:
            return os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY,
                           0o666), tmp
        except FileExistsError:
            continue


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # e.g. file systems that refuse fsync on a folder
    finally:
        os.close(fd)


def atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a temporary file, fsync it, rename it to ``path``.

    The temporary file lives in the target folder, so ``os.replace`` is an
    atomic rename; on any error it is removed and ``path`` is left as it
    was. ``write`` gets a binary file object (``torch.save(obj, f)``,
    ``f.write(data)``, ``fig.savefig(f, format='png')`` all accept one).

    Args:
        path (str): Final file path; its folder is created if needed.
        write (Callable[[BinaryIO], None]): Writes the content to ``f``.
    """
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        fault_point('rename', path)
        os.replace(tmp, path)
        _fsync_folder(osp.dirname(osp.abspath(path)))
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str, text: str, encoding: str = 'utf-8') -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write_bytes(path, text.encode(encoding))


def writable_path_error(path: str, folder: bool = False) -> Optional[str]:
    """Why ``path`` cannot be written, checked without creating anything.

    For a file, its folder must be creatable / writable and ``path`` must
    not be a folder; for a folder (``folder=True``), ``path`` must not be a
    file and the folder or its nearest existing parent must be writable.
    Writability is probed with an unnamed temporary file (``O_TMPFILE``
    where available), so read-only file systems and ACLs are caught too.

    Args:
        path (str): File or folder to be written later.
        folder (bool): Whether ``path`` is an output folder. Defaults to
            False.

    Returns:
        str or None: e.g. ``'cannot be written (Permission denied)'``;
        None when writing should work.
    """
    path = osp.abspath(path)
    if folder and osp.exists(path) and not osp.isdir(path):
        return 'is an existing file, not a folder'
    if not folder and osp.isdir(path):
        return 'is a folder, not a file'
    parent = path if folder else osp.dirname(path)
    while not osp.exists(parent):
        parent = osp.dirname(parent)
    if not osp.isdir(parent):
        return f'cannot be written ({parent} is a file, not a folder)'
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as err:
        return f'cannot be written ({err.strerror or err})'
    if not folder and osp.exists(path) and not os.access(path, os.W_OK):
        return 'cannot be written (Permission denied)'
    return None


def atomic_imwrite(img: np.ndarray,
                   path: str,
                   params: Optional[Sequence[int]] = None) -> None:
    """Encode an image in memory, then write it atomically.

    The one image writer of dpt-mm and its tools (``mmcv.imwrite``'s
    argument order).

    Args:
        img (np.ndarray): uint8 image in OpenCV layout (HxW, HxWx3 BGR or
            HxWx4 BGRA).
        path (str): Output path; its extension selects the format and its
            folder is created if needed.
        params (Sequence[int], optional): OpenCV encoder parameters, e.g.
            ``(cv2.IMWRITE_JPEG_QUALITY, 95)``.

    Raises:
        ValueError: When OpenCV cannot encode the image in that format
            (nothing is written then).
    """
    ext = osp.splitext(path)[1]
    try:
        ok, encoded = cv2.imencode(ext, img, list(params or ()))
    except cv2.error as err:
        raise ValueError(f'{path}: cannot encode the image ({err})') from err
    if not ok:
        raise ValueError(f'{path}: cannot encode the image as {ext!r}')
    atomic_write_bytes(path, encoded.tobytes())


class CheckpointError(ValueError):
    """A checkpoint file cannot be read, or does not fit the model."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A checkpoint file does not exist."""


def _looks_like_torch_file(path: str) -> Optional[str]:
    """Why ``path`` cannot be a ``torch.save`` file, or None if it may be."""
    with open(path, 'rb') as f:
        head = f.read(2)
    if not head:
        return 'the file is empty'
    if zipfile.is_zipfile(path) or head[:1] == b'\x80':
        return None  # torch's zip format, or a (legacy) pickle stream
    return 'neither a zip archive nor a pickle stream, as torch.save writes'


def _refusal_reason(text: str) -> Optional[str]:
    """The reason of a weights-only refusal, without torch's advice.

    torch's message wraps the reason (e.g. ``Trying to load unsupported
    GLOBAL posix.system whose module posix is blocked.`` or, in other
    versions, ``WeightsUnpickler error: Unsupported global: GLOBAL
    posix.system ...``) in advice to set ``weights_only=False`` or to
    allow-list the global, which for a refused file is the wrong advice.

    Returns:
        str or None: The reason sentences; None if ``text`` is not a
        weights-only refusal.
    """
    if 'Weights only load failed' not in text and \
            'WeightsUnpickler error' not in text:
        return None
    advice = ('weights_only', 'Weights only load failed', 'trusted source',
              'Check the documentation', 'add_safe_globals', 'safe_globals(',
              'allowlist', 'two options', 'do those steps only')
    kept = []
    for para in re.split(r'\n\s*\n', text):
        para = ' '.join(para.split())
        if 'WeightsUnpickler error:' in para:
            para = para.split('WeightsUnpickler error:', 1)[1].strip()
        sentences = re.split(r'(?<=[.!?])\s+', para)
        kept += [
            s for s in sentences
            if s and not any(word in s for word in advice)
            and not re.match(r'^\(?\d\)', s)
        ]
    return ' '.join(kept) or 'a type outside the allow-list'


def _short_reason(err: BaseException, limit: int = 200) -> str:
    """One line about a failed ``torch.load``, without its long advice.

    A weights-only refusal keeps its whole reason (no length limit); other
    errors give their first line, cut at ``limit`` characters.
    """
    text = str(err).strip()
    refused = _refusal_reason(text)
    if refused is not None:
        return f'weights-only loading refused it: {refused}'
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = lines[0] if lines else ''
    if len(text) > limit:
        text = text[:limit - 3] + '...'
    return f'{type(err).__name__}: {text}' if text else type(err).__name__


def checkpoint_load_error(path: str, err: BaseException) -> str:
    """Say in one line why ``torch.load(path)`` failed with ``err``.

    A file that cannot be a ``torch.save`` output (empty, or neither a zip
    archive nor a pickle) is described as such, since torch's own error for
    it is cryptic (e.g. ``KeyError: 101`` for a text file); otherwise the
    error's first line, or the refused type of a weights-only load.

    Args:
        path (str): The file that failed to load.
        err (BaseException): The exception ``torch.load`` raised.

    Returns:
        str: A short reason, without the file name.
    """
    try:
        reason = _looks_like_torch_file(path)
    except OSError as os_err:
        reason = f'cannot open it: {os_err.strerror or os_err}'
    return reason or _short_reason(err)


#: the weight files of a Hugging Face model folder, in the order tried
HF_WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
HF_SCHEME = 'hf://'


def resolve_checkpoint(path: str) -> str:
    """The weight file that ``path`` names.

    ``path`` is a checkpoint file, a Hugging Face model folder
    (``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``), or a
    hub id ``hf://owner/name``, downloaded through ``huggingface_hub`` into
    its cache.

    Raises:
        CheckpointNotFoundError: No such file, a folder without weights, or a
            hub id that cannot be downloaded (offline, unknown id).
    """
    if path.startswith(HF_SCHEME):
        repo_id = path[len(HF_SCHEME):].strip('/')
        try:
            from huggingface_hub import snapshot_download
            path = snapshot_download(
                repo_id, allow_patterns=['config.json', *HF_WEIGHT_FILES])
        except Exception as err:  # noqa: BLE001 - offline, unknown id, ...
            first = str(err).strip().splitlines()
            raise CheckpointNotFoundError(
                f'{HF_SCHEME}{repo_id}: cannot download it from the Hugging '
                f'Face hub ({type(err).__name__}: '
                f'{first[0] if first else "no message"})') from err
    if osp.isdir(path):
        for name in HF_WEIGHT_FILES:
            if osp.isfile(osp.join(path, name)):
                return osp.join(path, name)
        raise CheckpointNotFoundError(
            f'{path}: folder without {" or ".join(HF_WEIGHT_FILES)}')
    if not osp.isfile(path):
        raise CheckpointNotFoundError(f'{path}: checkpoint not found')
    return path


def read_safetensors(path: str, map_location='cpu') -> dict:
    """The tensors of a ``.safetensors`` file, with a clear error if it is
    none (``CheckpointError`` naming the file)."""
    from safetensors.torch import load_file
    try:
        return dict(load_file(path, device=str(map_location)))
    except Exception as err:  # noqa: BLE001 - re-raised with the file name
        raise CheckpointError(
            f'{path}: not a readable safetensors file ({err})') from err


def read_checkpoint(path: str, map_location='cpu') -> dict:
    """Load a checkpoint file, with a clear error if it is none.

    Loading is ``torch.load(..., weights_only=True)`` with dpt-mm's
    allow-list (:func:`dpt_mm.utils.safe_load.safe_globals`) for this load
    only; MMEngine's runner loads checkpoints this way once a config opts
    in with :mod:`dpt_mm.engine.safe_io`.

    Args:
        path (str): Checkpoint file, ``.safetensors`` file, Hugging Face
            model folder or ``hf://`` id (:func:`resolve_checkpoint`).
        map_location: As for ``torch.load``. Defaults to ``'cpu'``.

    Returns:
        dict: The loaded checkpoint (``state_dict`` / ``meta`` / ... for
        MMEngine checkpoints, or a bare state dict).

    Raises:
        CheckpointNotFoundError: ``path`` is not a file (a
            ``FileNotFoundError``).
        CheckpointError: The file is not a readable PyTorch checkpoint
            (message ``'PATH: not a readable PyTorch checkpoint (...)'``).
    """
    path = resolve_checkpoint(path)
    if path.endswith('.safetensors'):
        return read_safetensors(path, map_location)
    import torch  # here: the atomic writers serve torch-free tools too

    from .safe_load import safe_globals

    # torch's context manager removes its globals on exit: allow-list only
    # those that are not allow-listed process-wide already
    registered = set(torch.serialization.get_safe_globals())
    missing = [g for g in safe_globals() if g not in registered]
    try:
        with torch.serialization.safe_globals(missing):
            checkpoint = torch.load(
                path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - re-raised with the file name
        reason = checkpoint_load_error(path, err)
        raise CheckpointError(
            f'{path}: not a readable PyTorch checkpoint ({reason})') from err
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{path}: not a readable PyTorch checkpoint (it holds a '
            f'{type(checkpoint).__name__}, not a dict of weights)')
    return checkpoint


def checkpoint_state_dict(
    checkpoint: Mapping,
    revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )
) -> Dict[str, object]:
    """The weights of a loaded checkpoint, keyed as the model names them.

    Takes MMEngine's ``state_dict`` entry, or the ``model`` entry of the
    official Swin / SimMIM / MoBY releases, and renames the keys with
    ``revise_keys`` as ``mmengine.runner.load_checkpoint`` does (by default
    it removes a DDP ``module.`` prefix).

    Args:
        checkpoint (Mapping): A loaded checkpoint or bare state dict.
        revise_keys (Sequence[Tuple[str, str]]): ``(pattern, replacement)``
            pairs applied with ``re.sub`` in order, as MMEngine's
            ``revise_keys``.

    Returns:
        dict: Key to tensor (or whatever the checkpoint stores).
    """
    state = checkpoint
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), Mapping):
            state = checkpoint[key]
            break
    if not isinstance(state, Mapping):
        return OrderedDict()
    out = OrderedDict(state)
    for pattern, replacement in revise_keys:
        out = OrderedDict(
            (re.sub(pattern, replacement, k), v) for k, v in out.items())
    # module versions (e.g. of BatchNorm), kept as MMEngine's loader does
    metadata = getattr(state, '_metadata', None)
    if metadata is not None:
        out._metadata = metadata
    return out


def _listing(names: List[str], noun: str, plural: str, shown: int) -> str:
    """'3 missing keys (a, b, c)', with at most ``shown`` names."""
    head = ', '.join(names[:shown])
    more = f', ... {len(names) - shown} more' if len(names) > shown else ''
    word = noun if len(names) == 1 else plural
    return f'{len(names)} {word} ({head}{more})'


def state_dict_mismatch(state_dict: Mapping,
                        model_state: Mapping,
                        shown: int = 5) -> Optional[str]:
    """Summarise how a checkpoint's weights differ from a model's.

    Missing BatchNorm ``num_batches_tracked`` buffers are ignored, as
    MMEngine's loader ignores them.

    Args:
        state_dict (Mapping): Checkpoint weights (see
            :func:`checkpoint_state_dict`).
        model_state (Mapping): ``model.state_dict()``.
        shown (int): How many names to show per kind of mismatch.
            Defaults to 5.

    Returns:
        str or None: e.g. ``'2 missing keys (a, b), 1 unexpected key (c)'``;
        None when every key matches with the same shape.
    """
    missing = [
        k for k in model_state
        if k not in state_dict and not k.endswith('num_batches_tracked')
    ]
    unexpected = [k for k in state_dict if k not in model_state]
    shapes = []
    for key, value in model_state.items():
        theirs = state_dict.get(key)
        if hasattr(value, 'shape') and hasattr(theirs, 'shape') and \
                tuple(value.shape) != tuple(theirs.shape):
            shapes.append(f'{key}: {list(theirs.shape)} in the checkpoint, '
                          f'{list(value.shape)} in the model')
    parts = [
        _listing(names, noun, plural, shown)
        for names, noun, plural in (
            (missing, 'missing key', 'missing keys'),
            (unexpected, 'unexpected key', 'unexpected keys'),
            (shapes, 'shape mismatch', 'shape mismatches')) if names
    ]
    return ', '.join(parts) if parts else None
