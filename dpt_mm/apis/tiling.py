"""Bounded-memory matting of large images: overlapping tiles over the
trimap's unknown region, blended linearly (:func:`tiled_forward_test`).

mmagic and mmengine have no tiled inference for mattors, hence this module;
accuracy and memory figures: docs/inference.md.
"""
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

Window = Tuple[int, int, int, int]  # y0, y1, x0, x1


def unknown_bbox(trimap: np.ndarray) -> Optional[Window]:
    """Bounding box ``(y0, y1, x0, x1)`` (end exclusive) of the pixels that
    are neither 0 nor 255, or None when there are none."""
    ys, xs = np.nonzero((trimap != 0) & (trimap != 255))
    if ys.size == 0:
        return None
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


def spans(start: int, end: int, tile: int, overlap: int) -> List[Tuple[int,
                                                                     int]]:
    """Cover ``[start, end)`` with windows of at most ``tile`` that overlap
    by at least ``overlap``, spread evenly.

    Args:
        start (int): First index.
        end (int): End (exclusive).
        tile (int): Largest window length.
        overlap (int): Smallest overlap of neighbours (< tile).

    Returns:
        list[tuple[int, int]]: ``(begin, end)`` of each window.
    """
    if not 0 <= overlap < tile:
        raise ValueError(f'need 0 <= overlap < tile, got {overlap}, {tile}')
    length = end - start
    if length <= tile:
        return [(start, end)]
    n = int(np.ceil((length - overlap) / (tile - overlap)))
    begins = np.linspace(start, end - tile, n).round().astype(int)
    return [(int(b), int(b) + tile) for b in begins]


def ramp(begin: int, end: int, lo: int, hi: int, overlap: int) -> np.ndarray:
    """1-D blending weights of a window ``[begin, end)`` inside the covered
    range ``[lo, hi)``: 1 in the middle, rising linearly over ``overlap``
    pixels from each edge that has a neighbour (not at ``lo`` / ``hi``)."""
    w = np.ones(end - begin, np.float32)
    if overlap <= 0:
        return w
    steps = (np.arange(overlap, dtype=np.float32) + 1) / (overlap + 1)
    k = min(overlap, end - begin)
    if begin > lo:
        w[:k] = np.minimum(w[:k], steps[:k])
    if end < hi:
        w[-k:] = np.minimum(w[-k:], steps[:k][::-1])
    return w


def tile_windows(shape: Tuple[int, int], trimap: np.ndarray, tile: int,
                 overlap: int) -> Tuple[Optional[Window], List[Window]]:
    """The covered box (unknown box grown by ``overlap``) and its windows.

    Returns:
        tuple: The box (None without unknown pixels) and the windows.
    """
    box = unknown_bbox(trimap)
    if box is None:
        return None, []
    h, w = shape
    y0, y1, x0, x1 = box
    box = (max(0, y0 - overlap), min(h, y1 + overlap), max(0, x0 - overlap),
           min(w, x1 + overlap))
    ys = spans(box[0], box[1], tile, overlap)
    xs = spans(box[2], box[3], tile, overlap)
    return box, [(a, b, c, d) for a, b in ys for c, d in xs]


@torch.no_grad()
def tiled_forward_test(mattor: torch.nn.Module, inputs: Tensor,
                       trimap: np.ndarray, tile: int,
                       overlap: int) -> Tensor:
    """The mattor's test-time alpha of a large input, tile by tile.

    The trimap fixes the alpha outside its unknown region, so only the
    bounding box of that region plus ``overlap`` pixels of context is
    predicted, in windows of at most ``tile`` x ``tile`` pixels that overlap
    by ``overlap`` (:func:`tile_windows`); in each overlap the windows'
    alphas are blended with linear weights (:func:`ramp`), so no seam shows.
    Peak memory then depends on ``tile``, not on the image. Tiles see less
    context than the whole image (MatteFormer's prior tokens average over
    the trimap regions inside the tile, GCA's attention looks within the
    tile), so the result is close to, not equal to, the whole-image
    prediction; ``tests/test_apis/test_tiling.py`` states the tolerance.

    Args:
        mattor (nn.Module): A :class:`~dpt_mm.models.Mattor`
            (``resize_inputs`` pads each tile as its ``test_cfg`` says,
            ``predict_alpha`` predicts).
        inputs (Tensor): ``(1, C, H, W)`` preprocessed input (the data
            preprocessor's output, not yet padded).
        trimap (np.ndarray): ``(H, W)`` uint8 trimap (0 / 128 / 255).
        tile (int): Largest tile side (a multiple of 32 avoids padding).
        overlap (int): Overlap of neighbouring tiles and context around the
            unknown region, in pixels.

    Returns:
        Tensor: float alpha in [0, 1] before the trimap's known regions are
        forced, in the padded layout ``predict_alpha(resize_inputs(inputs))``
        returns (the image at the mattor's test border, 0 in the padding),
        so the mattor's ``postprocess`` restores it; outside the covered box
        it is the trimap's 0 / 1.
    """
    if inputs.dim() != 4 or inputs.shape[0] != 1:
        raise ValueError(f'expected a (1, C, H, W) input, got '
                         f'{tuple(inputs.shape)}')
    h, w = inputs.shape[-2:]
    if trimap.shape != (h, w):
        raise ValueError(f'trimap {trimap.shape} does not match the input '
                         f'{h}x{w}')
    out = torch.from_numpy((trimap >= 255).astype(np.float32))
    box, windows = tile_windows((h, w), trimap, tile, overlap)
    # the reflected border the mattor's test padding adds on every side
    border = mattor._border()

    def as_padded(alpha: Tensor) -> Tensor:
        """``alpha`` placed where ``predict_alpha(resize_inputs(inputs))``
        would put it, so the mattor's restore_size crops it back."""
        # the padded size, from a one-channel stand-in (not a full copy)
        ph, pw = mattor.resize_inputs(inputs[:1, :1, :1, :1].expand(
            1, 1, h, w)).shape[-2:]
        full = torch.zeros(ph, pw)
        full[border:border + h, border:border + w] = alpha
        return full[None, None].to(inputs.device)

    if box is None:
        return as_padded(out)
    acc = torch.zeros(box[1] - box[0], box[3] - box[2])
    norm = torch.zeros_like(acc)
    for y0, y1, x0, x1 in windows:
        crop = inputs[..., y0:y1, x0:x1]
        pred = mattor.predict_alpha(mattor.resize_inputs(crop))
        pred = pred[0, 0, border:border + y1 - y0,
                    border:border + x1 - x0].float().cpu()
        weight = torch.from_numpy(
            np.outer(
                ramp(y0, y1, box[0], box[1], overlap),
                ramp(x0, x1, box[2], box[3], overlap)))
        sy, sx = slice(y0 - box[0], y1 - box[0]), slice(x0 - box[2],
                                                         x1 - box[2])
        acc[sy, sx] += pred * weight
        norm[sy, sx] += weight
    out[box[0]:box[1], box[2]:box[3]] = acc / norm
    return as_padded(out)


__all__ = [
    'unknown_bbox', 'spans', 'ramp', 'tile_windows', 'tiled_forward_test'
]
