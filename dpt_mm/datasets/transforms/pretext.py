"""Synthesis transforms of the DPT pretext task (paper §3, §4.1, §4.6).

:class:`GridTrimap`, :class:`RandomAlpha` and :class:`Composite` make a
matting sample from two unlabeled images, on mmagic's matting keys; they draw
from numpy's global random state, so MMEngine's per-worker seeding applies.
mmagic derives trimaps only from a real alpha, has no random alpha, and its
``MergeFgAndBg`` (``HxWx1`` alpha) returns an unrounded float image.
"""
import math
import numbers
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from dpt_mm.registry import TRANSFORMS
from dpt_mm.structures.trimap import FG as TRIMAP_FG
from dpt_mm.structures.trimap import UNKNOWN as TRIMAP_UNKNOWN



def _round_half_up(value: float) -> int:
    """Round ``value`` to the nearest integer, halves away from zero.

    Python's :func:`round` rounds halves to even, which would make the cell
    count of a ratio depend on the parity of the product.
    """
    return int(math.floor(value + 0.5))


#: PCG64 generator that expands a seed drawn from numpy's global state
_EXPANDER = np.random.PCG64(0)
_EXPANDER_INC = _EXPANDER.state['state']['inc']


def _random_uint8(shape: Tuple[int, int]) -> np.ndarray:
    """Draw independent uniform integers in ``[0, 255]`` as a uint8 array.

    128 seed bits are drawn from numpy's global generator (so
    ``np.random.seed`` and MMEngine's per-worker seeding govern the result
    exactly as for mmagic's transforms), then PCG64 expands them into the
    raw bytes. Generating the bytes with the global Mersenne Twister
    (``np.random.bytes``) costs 2-3x more, a sixth of a JPEG decode.
    """
    count = int(np.prod(shape))
    seed = int.from_bytes(np.random.bytes(16), 'little')
    _EXPANDER.state = {
        'bit_generator': 'PCG64',
        'state': {'state': seed, 'inc': _EXPANDER_INC},
        'has_uint32': 0,
        'uinteger': 0,
    }
    words = _EXPANDER.random_raw(-(-count // 8))
    return words.view(np.uint8)[:count].reshape(shape)


def _params_repr(transform: object, *names: str) -> str:
    """``ClassName(name=value, ...)`` with the ``repr`` of each named
    attribute, for the transforms' ``__repr__``."""
    params = ', '.join(f'{name}={getattr(transform, name)!r}'
                       for name in names)
    return f'{type(transform).__name__}({params})'


def _canvas_size(results: Dict, key: str,
                 size: Optional[Tuple[int, int]]) -> Tuple[int, int]:
    """Return the canvas ``(h, w)``: ``size``, else ``results[key]``'s."""
    if size is not None:
        return int(size[0]), int(size[1])
    if key not in results:
        raise KeyError(f'the canvas size is taken from results[{key!r}], '
                       f'which is missing (keys: {sorted(results)})')
    h, w = results[key].shape[:2]
    return h, w


@TRANSFORMS.register_module()
class GridTrimap(BaseTransform):
    """Random grid trimap: square cells labelled unknown / fg / bg.

    The canvas is split into square cells of ``cell_size`` pixels, counted
    from the top-left corner; when H or W is not a multiple of
    ``cell_size`` the cells of the last row / column are cut by the border
    and are cells like any other. With ``n`` cells in all, exactly
    ``round(ratios[0] * n)`` cells are unknown and
    ``min(round(ratios[1] * n), n - n_unknown)`` are foreground (halves
    rounded up); background takes the remainder, so the three counts always
    sum to ``n`` and the background count may differ from
    ``round(ratios[2] * n)`` by one. Which cells get which label is a
    uniformly random permutation.

    Required keys: ``size_key`` (only its shape; unless ``size`` is given).
    Added keys: ``trimap`` (uint8 ``HxW``: 0 bg, 128 unknown, 255 fg), ready
    for mmagic's ``FormatTrimap``.

    Args:
        cell_size (int): Side of a square cell in pixels. Defaults to 7.
        ratios (Sequence[float]): Fractions of cells that are
            (unknown, foreground, background); they must be non-negative and
            sum to 1. Defaults to (0.75, 0.125, 0.125).
        size_key (str): Key of the image whose height and width give the
            canvas. Defaults to 'fg'.
        size (Tuple[int, int], optional): Fixed canvas ``(h, w)`` that
            overrides ``size_key``. Defaults to None.
    """

    def __init__(self,
                 cell_size: int = 7,
                 ratios: Sequence[float] = (0.75, 0.125, 0.125),
                 size_key: str = 'fg',
                 size: Optional[Tuple[int, int]] = None) -> None:
        if not isinstance(cell_size, numbers.Integral) or cell_size < 1:
            raise ValueError(
                f'cell_size must be a positive integer, got {cell_size!r}')
        ratios = tuple(float(r) for r in ratios)
        if len(ratios) != 3:
            raise ValueError('ratios must give 3 values (unknown, fg, bg), '
                             f'got {ratios}')
        if min(ratios) < 0:
            raise ValueError(f'ratios must be non-negative, got {ratios}')
        if abs(sum(ratios) - 1.0) > 1e-6:
            raise ValueError(f'ratios must sum to 1, got {ratios} '
                             f'(sum {sum(ratios):.6g})')
        self.cell_size = int(cell_size)
        self.ratios = ratios
        self.size_key = size_key
        self.size = size

    @staticmethod
    def cell_counts(num_cells: int,
                    ratios: Sequence[float]) -> Tuple[int, int, int]:
        """Return the (unknown, fg, bg) cell counts for ``num_cells`` cells.

        Args:
            num_cells (int): Total number of cells.
            ratios (Sequence[float]): (unknown, fg, bg) fractions.

        Returns:
            Tuple[int, int, int]: Counts that sum to ``num_cells``.
        """
        n_unknown = min(_round_half_up(ratios[0] * num_cells), num_cells)
        n_fg = min(_round_half_up(ratios[1] * num_cells),
                   num_cells - n_unknown)
        return n_unknown, n_fg, num_cells - n_unknown - n_fg

    def grid_shape(self, h: int, w: int) -> Tuple[int, int]:
        """Return the cell rows and columns of an ``h x w`` canvas."""
        return -(-h // self.cell_size), -(-w // self.cell_size)

    def generate(self, h: int, w: int) -> np.ndarray:
        """Draw a grid trimap of size ``h x w``.

        Args:
            h (int): Canvas height.
            w (int): Canvas width.

        Returns:
            np.ndarray: uint8 trimap of shape ``(h, w)``.
        """
        if h < 1 or w < 1:
            raise ValueError(f'cannot draw a trimap on a {h}x{w} canvas')
        rows, cols = self.grid_shape(h, w)
        n_unknown, n_fg, _ = self.cell_counts(rows * cols, self.ratios)
        labels = np.zeros(rows * cols, dtype=np.uint8)  # background
        labels[:n_unknown] = TRIMAP_UNKNOWN
        labels[n_unknown:n_unknown + n_fg] = TRIMAP_FG
        np.random.shuffle(labels)
        cells = labels.reshape(rows, cols)
        c = self.cell_size
        # blow each cell up to c x c pixels (two np.repeat: 2x faster than
        # cv2.resize(INTER_NEAREST_EXACT) at 224x224)
        trimap = np.repeat(np.repeat(cells, c, axis=1), c, axis=0)
        if trimap.shape != (h, w):
            trimap = np.ascontiguousarray(trimap[:h, :w])
        return trimap

    def transform(self, results: Dict) -> Dict:
        """Add a random grid ``trimap`` to ``results``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with ``trimap``.
        """
        h, w = _canvas_size(results, self.size_key, self.size)
        results['trimap'] = self.generate(h, w)
        return results

    def __repr__(self) -> str:
        return _params_repr(self, 'cell_size', 'ratios', 'size_key', 'size')


@TRANSFORMS.register_module()
class RandomAlpha(BaseTransform):
    """Random pseudo alpha matte that follows a trimap.

    ``mode='pixel'`` (the DPT default, §3): ``alpha`` is 255 where the
    trimap is foreground, 0 where it is background, and an independent
    uniform integer in ``[0, 255]`` at every unknown pixel. Needs ``trimap``
    (e.g. from :class:`GridTrimap`).

    ``mode='block'`` (the block-level strategy of §4.6): a random box is the
    fusion region and a random box inside it is pure foreground; everything
    outside the fusion box is background, and the fusion box minus the
    foreground box gets per-pixel random alpha. The box sides are drawn
    uniformly as fractions of the canvas (``fusion_scale``) and of the
    fusion box (``fg_scale``), the positions uniformly where the box fits.
    This mode writes the ``trimap`` that matches its alpha (0 outside, 128
    in fusion minus fg, 255 in the fg box), replacing any earlier one.

    Required keys: ``trimap`` (pixel mode) or ``size_key`` (block mode).
    Added keys: ``alpha`` (uint8 ``HxW``, 0..255); ``trimap`` in block mode.

    Args:
        mode (str): 'pixel' or 'block'. Defaults to 'pixel'.
        fusion_scale (Tuple[float, float]): Range of the fusion box sides as
            fractions of the canvas sides (block mode). Defaults to
            (0.3, 0.9).
        fg_scale (Tuple[float, float]): Range of the fg box sides as
            fractions of the fusion box sides (block mode). Defaults to
            (0.2, 0.7).
        size_key (str): Key of the image giving the canvas size in block
            mode. Defaults to 'fg'.
    """

    MODES = ('pixel', 'block')

    def __init__(self,
                 mode: str = 'pixel',
                 fusion_scale: Tuple[float, float] = (0.3, 0.9),
                 fg_scale: Tuple[float, float] = (0.2, 0.7),
                 size_key: str = 'fg') -> None:
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        for name, rng in (('fusion_scale', fusion_scale), ('fg_scale',
                                                           fg_scale)):
            if len(rng) != 2 or not 0 < rng[0] <= rng[1] <= 1:
                raise ValueError(f'{name} must be (low, high) with '
                                 f'0 < low <= high <= 1, got {rng}')
        self.mode = mode
        self.fusion_scale = tuple(float(v) for v in fusion_scale)
        self.fg_scale = tuple(float(v) for v in fg_scale)
        self.size_key = size_key

    @staticmethod
    def _random_box(h: int, w: int, scale: Tuple[float, float],
                    y0: int = 0, x0: int = 0) -> Tuple[int, int, int, int]:
        """Draw a box ``(top, left, bottom, right)`` inside ``[y0, y0+h)``."""
        lo_h = max(1, _round_half_up(scale[0] * h))
        hi_h = max(lo_h, _round_half_up(scale[1] * h))
        lo_w = max(1, _round_half_up(scale[0] * w))
        hi_w = max(lo_w, _round_half_up(scale[1] * w))
        bh = int(np.random.randint(lo_h, hi_h + 1))
        bw = int(np.random.randint(lo_w, hi_w + 1))
        top = y0 + int(np.random.randint(0, h - bh + 1))
        left = x0 + int(np.random.randint(0, w - bw + 1))
        return top, left, top + bh, left + bw

    def block_trimap(self, h: int, w: int) -> Tuple[np.ndarray, Dict]:
        """Draw the nested boxes of the block strategy and their trimap.

        Args:
            h (int): Canvas height.
            w (int): Canvas width.

        Returns:
            Tuple[np.ndarray, dict]: The uint8 trimap and the boxes
            ``{'fusion_box': (t, l, b, r), 'fg_box': (t, l, b, r)}``.
        """
        fusion = self._random_box(h, w, self.fusion_scale)
        ft, fl, fb, fr = fusion
        fg = self._random_box(fb - ft, fr - fl, self.fg_scale, ft, fl)
        trimap = np.zeros((h, w), dtype=np.uint8)
        trimap[ft:fb, fl:fr] = TRIMAP_UNKNOWN
        trimap[fg[0]:fg[2], fg[1]:fg[3]] = TRIMAP_FG
        return trimap, dict(fusion_box=fusion, fg_box=fg)

    @staticmethod
    def alpha_from_trimap(trimap: np.ndarray) -> np.ndarray:
        """Pseudo alpha: trimap value on fg / bg, uniform uint8 on unknown.

        Args:
            trimap (np.ndarray): uint8 ``HxW`` trimap (0 / 128 / 255).

        Returns:
            np.ndarray: uint8 ``HxW`` alpha.
        """
        if trimap.dtype != np.uint8 or trimap.ndim != 2:
            raise ValueError('trimap must be a uint8 HxW array, got '
                             f'{trimap.dtype} {trimap.shape}')
        unknown = cv2.compare(trimap, TRIMAP_UNKNOWN, cv2.CMP_EQ)
        # fg (255) and bg (0) already carry their alpha in the trimap
        alpha = trimap.copy()
        cv2.copyTo(_random_uint8(trimap.shape), unknown, alpha)
        return alpha

    def transform(self, results: Dict) -> Dict:
        """Add ``alpha`` (and ``trimap`` in block mode) to ``results``.

        Args:
            results (dict): The result dict, holding ``trimap`` (pixel mode)
                or the ``size_key`` image (block mode).

        Returns:
            dict: ``results`` with ``alpha``; in block mode also ``trimap``,
            ``fusion_box`` and ``fg_box``.
        """
        if self.mode == 'block':
            h, w = _canvas_size(results, self.size_key, None)
            trimap, boxes = self.block_trimap(h, w)
            results['trimap'] = trimap
            results.update(boxes)
        else:
            if 'trimap' not in results:
                raise KeyError('RandomAlpha(mode="pixel") needs a "trimap" '
                               '(put GridTrimap before it)')
            trimap = np.asarray(results['trimap'])
            if trimap.ndim == 3 and trimap.shape[2] == 1:
                trimap = trimap[..., 0]
            trimap = np.ascontiguousarray(trimap)
        results['alpha'] = self.alpha_from_trimap(trimap)
        return results

    def __repr__(self) -> str:
        return _params_repr(self, 'mode', 'fusion_scale', 'fg_scale',
                            'size_key')


@TRANSFORMS.register_module()
class Composite(BaseTransform):
    """Composite ``merged = alpha / 255 * fg + (1 - alpha / 255) * bg``.

    For uint8 inputs ``255 * merged = a * fg + (255 - a) * bg`` is
    accumulated exactly in float32 (OpenCV's vectorised
    ``accumulateProduct``) and divided by 255 with a single rounding, so
    ``merged`` is the exactly rounded value of the formula.
    ``fg``, ``bg`` and ``alpha`` stay in ``results`` for the composition
    loss. Float ``fg`` / ``bg`` (e.g. after a float colour jitter) give a
    float32 ``merged`` by the same formula, without rounding.

    Required keys: ``fg``, ``bg`` (uint8 ``HxWx3``, BGR), ``alpha`` (uint8
    ``HxW`` or ``HxWx1``, 0..255). Added keys: ``merged`` (uint8
    ``HxWx3``).
    """

    def transform(self, results: Dict) -> Dict:
        """Add ``merged`` to ``results``.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with ``merged``.
        """
        for key in ('fg', 'bg', 'alpha'):
            if key not in results:
                raise KeyError(f'Composite needs {key!r} in results')
        fg, bg, alpha = results['fg'], results['bg'], results['alpha']
        if alpha.ndim == 3:
            alpha = alpha[..., 0]
        if fg.shape != bg.shape or fg.shape[:2] != alpha.shape:
            raise ValueError('fg, bg and alpha must have the same size, got '
                             f'fg {fg.shape}, bg {bg.shape}, '
                             f'alpha {alpha.shape}')
        channels = fg.shape[2] if fg.ndim == 3 else 1
        if fg.dtype == np.uint8 and bg.dtype == np.uint8 \
                and alpha.dtype == np.uint8:
            a = alpha
            if channels == 3:
                a = cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR)
            elif channels > 1:
                a = cv2.merge([alpha] * channels)
            # 255 * merged = a * fg + (255 - a) * bg: integers up to 65025,
            # exact in float32 (two fused multiply-accumulate passes)
            acc = np.zeros(fg.shape, np.float32)
            cv2.accumulateProduct(fg, a, acc)
            cv2.accumulateProduct(bg, cv2.bitwise_not(a), acc)
            # one rounding of acc / 255, never a tie (an integer / 255 is
            # never k + 0.5), saturated to [0, 255]
            merged = cv2.convertScaleAbs(acc, alpha=1 / 255).reshape(fg.shape)
        else:  # float images or alpha: float32 result, not rounded
            weight = alpha.astype(np.float32) * np.float32(1 / 255)
            if channels > 1:
                weight = weight[..., None]
            bg32 = bg.astype(np.float32)
            merged = bg32 + weight * (fg.astype(np.float32) - bg32)
        results['merged'] = merged
        return results

    def __repr__(self) -> str:
        return _params_repr(self)
