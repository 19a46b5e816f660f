# Copyright (c) dpt-mm contributors. All rights reserved.
"""The trimap: its values, its encodings and its unknown region.

Imports numpy only, so torch-free tools can load it; :func:`unknown_mask`
takes and returns torch tensors through their methods.
"""
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

BG = 0
UNKNOWN = 128
FG = 255
#: the values of a trimap read from disk, background first
VALUES = (BG, UNKNOWN, FG)

#: encodings of a batched NxCxHxW trimap tensor
ENCODINGS = {
    'onehot': '3 channels (bg, unknown, fg) of 0 / 1 '
    '(PackMattingInputs(onehot_trimap=True), FormatTrimap(to_onehot=True))',
    'label': '1 channel of 0 / 1 / 2 = bg / unknown / fg '
    '(FormatTrimap(to_onehot=False))',
    'gray': '1 channel of 0 / 128 / 255 (the trimap as read from disk)',
    'unit': '1 channel of 0 / 0.5 / 1 (or 0 / 128/255 / 1), the trimap '
    'channel of plain-ViT matting models',
}


def onehot(trimap: np.ndarray) -> np.ndarray:
    """One-hot ``3xHxW`` uint8 planes of a 0 / 128 / 255 trimap.

    Plane ``i`` is 1 where the trimap equals ``VALUES[i]``; other values are
    0 in every plane (mmagic's ``FormatTrimap(to_onehot=True)``).

    Args:
        trimap (np.ndarray): ``HxW`` or ``HxWx1`` trimap.

    Returns:
        np.ndarray: uint8 array of shape ``(3, H, W)``.
    """
    if trimap.ndim == 3 and trimap.shape[2] == 1:
        trimap = trimap[..., 0]
    if trimap.ndim != 2:
        raise ValueError('the trimap must be HxW or HxWx1 to be one-hot '
                         f'encoded, got shape {trimap.shape}')
    out = np.empty((3, ) + trimap.shape, dtype=np.uint8)
    planes = out.view(np.bool_)  # True / False are stored as bytes 1 / 0
    for plane, value in zip(planes, VALUES):
        np.equal(trimap, value, out=plane)
    return out


def label(trimap: np.ndarray) -> np.ndarray:
    """The ``label`` encoding: 0 / 1 / 2 = bg / unknown / fg, other values
    kept (mmagic's ``FormatTrimap(to_onehot=False)``).

    Args:
        trimap (np.ndarray): 0 / 128 / 255 trimap.

    Returns:
        np.ndarray: A new array of the same shape and dtype.
    """
    coded = trimap.copy()
    coded[trimap == UNKNOWN] = 1
    coded[trimap == FG] = 2
    return coded


def unit(trimap: np.ndarray) -> np.ndarray:
    """The single-channel float32 trimap in [0, 1] (``trimap / 255``).

    Args:
        trimap (np.ndarray): 0 / 128 / 255 trimap.

    Returns:
        np.ndarray: float32 array of the same shape, 0 / 128/255 / 1.
    """
    return trimap.astype(np.float32) / 255


def unknown_mask(trimap: 'Tensor', encoding: str = 'onehot') -> 'Tensor':
    """Float Nx1xHxW mask of the unknown region of a batched trimap.

    The encoding is given, not guessed: a 0 / 1 / 2 trimap read as
    0 / 128 / 255 would give an empty mask. Values that do not fit the
    encoding raise for CPU tensors; device tensors are not read back (no
    synchronisation), their values are the pipeline's.

    Args:
        trimap (Tensor): NxCxHxW trimap.
        encoding (str): One of :data:`ENCODINGS`. Defaults to ``'onehot'``.

    Returns:
        Tensor: 1 in the unknown region, 0 elsewhere.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f'trimap encoding must be one of '
                         f'{sorted(ENCODINGS)}, got {encoding!r}')
    if trimap.dim() != 4:
        raise ValueError(f'trimap must be NxCxHxW, got {tuple(trimap.shape)}')
    channels = 3 if encoding == 'onehot' else 1
    if trimap.shape[1] != channels:
        raise ValueError(f'a {encoding!r} trimap has {channels} channel(s), '
                         f'got {trimap.shape[1]}: {ENCODINGS[encoding]}')
    t = trimap.float()
    if t.device.type == 'cpu' and t.numel():
        _check_range(float(t.max()), encoding)
    if encoding == 'onehot':
        return (t[:, 1:2] > 0.5).float()
    if encoding == 'label':
        return (t == 1).float()
    if encoding == 'gray':
        return (t == UNKNOWN).float()
    return ((t > 0.25) & (t < 0.75)).float()


def _check_range(top: float, encoding: str) -> None:
    """Refuse a maximum that does not fit ``encoding``."""
    if encoding in ('onehot', 'unit') and top > 1:
        raise ValueError(f'a {encoding!r} trimap has values up to 1, got '
                         f'{top:g}')
    if encoding == 'label' and top > 2:
        raise ValueError(f'trimap encoding \'label\' expects 0 / 1 / 2, got '
                         f'values up to {top:g} (a 0 / 128 / 255 trimap is '
                         '\'gray\')')
    if encoding == 'gray' and top in (1., 2.):
        raise ValueError('trimap encoding \'gray\' expects 0 / 128 / 255, '
                         f'got values up to {top:g} (a 0 / 1 / 2 trimap is '
                         '\'label\')')
