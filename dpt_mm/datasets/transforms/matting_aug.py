"""Matting augmentation that mmagic lacks for MG Matting's recipe.

Everything else of MG Matting's training augmentation is mmagic's own
(``CompositeFg``, ``RandomAffine``, ``RandomLoadResizeBg``,
``CropAroundCenter``, ``MergeFgAndBg``) or mmcv's (``RandomApply``); see
``configs/_base_/datasets/comp1k_mg.py``.
"""
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from mmagic.datasets.transforms import GenerateTrimap, RandomJitter

from dpt_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomJitterNonEmpty(RandomJitter):
    """mmagic's ``RandomJitter`` that leaves fully transparent crops alone.

    mmagic's jitter centres its saturation / value noise on the mean over the
    pixels with ``alpha > 0``; for a crop without such pixels (possible when
    ``CropAroundCenter`` falls back to a random crop) that mean is NaN and
    the whole foreground becomes NaN. MG Matting skips the jitter in that
    case; so does this class. Otherwise it is exactly ``RandomJitter``.
    An ``HxW`` alpha (the pre-training pipelines' pseudo alpha) is accepted
    as well as mmagic's ``HxWx1``.

    Required keys are "fg" and "alpha", modified key is "fg".

    Args:
        hue_range (float | tuple[float]): Range of hue jittering, see
            :class:`mmagic.datasets.transforms.RandomJitter`. Default: 40.
    """

    def transform(self, results: dict) -> dict:
        """Jitter the foreground unless its alpha is zero everywhere.

        Args:
            results (dict): With "fg" (HxWx3) and "alpha" (HxWx1 or HxW).

        Returns:
            dict: The results, "fg" jittered (float32, 0-255) if any alpha
            is positive.
        """
        alpha = np.asarray(results['alpha'])
        if not np.any(alpha > 0):
            return results
        if alpha.ndim == 2:  # mmagic's jitter indexes alpha[:, :, 0]
            jittered = super().transform(dict(results, alpha=alpha[..., None]))
            results['fg'] = jittered['fg']
            return results
        return super().transform(results)


_Size = Union[int, Tuple[int, int]]


def _work_size(size: Optional[_Size]) -> Optional[Tuple[int, int]]:
    """``work_size`` as None or a ``(w, h)`` tuple of positive ints."""
    if size is None:
        return None
    pair = (size, size) if isinstance(size, int) else size
    ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in pair)
    if not ok:
        raise ValueError('work_size must be None, a positive int or a '
                         f'(w, h) pair of them, got {size!r}')
    return tuple(pair)


def _three_levels(alpha: np.ndarray) -> np.ndarray:
    """uint8 stand-in of a float alpha for ``GenerateTrimap``.

    ``GenerateTrimap`` only asks whether the minimum over a kernel is
    ``>= 255`` and whether the maximum is ``<= 0``, which depends only on
    which pixels are ``>= 255`` and which are ``<= 0``. Mapping those to
    255 and 0 and all others to 128 keeps its answer and lets OpenCV erode
    uint8 instead of float64.

    Args:
        alpha (np.ndarray): Float alpha on a 0-255 scale.

    Returns:
        np.ndarray: uint8 array of the same shape, values 0, 128 and 255.
    """
    levels = np.full(alpha.shape, 128, dtype=np.uint8)
    levels[alpha >= 255] = 255
    levels[alpha <= 0] = 0
    return levels


@TRANSFORMS.register_module()
class GenerateTrimapResized(GenerateTrimap):
    """mmagic's ``GenerateTrimap`` applied at a fixed working resolution.

    MG Matting and MatteFormer (class ``GenMask`` of their data generator)
    do not erode the alpha at its own size: they resize it to 640x640 with
    nearest interpolation, erode the opaque and the clear region there with
    elliptical kernels of random size, and resize the trimap back with
    nearest interpolation. The unknown band is therefore proportional to
    the image size, about ``w / 640`` times wider on a ``w`` pixel wide
    foreground than mmagic's native-resolution ``GenerateTrimap`` with the
    same kernel.

    This class resizes the alpha to ``work_size``, lets ``GenerateTrimap``
    (same kernels, same draws from ``np.random``) make the trimap there and
    resizes it back. Eroding ``alpha`` (0-255) and keeping ``>= 255`` is
    eroding the mask ``alpha == 255``; dilating it and keeping ``<= 0`` is
    eroding the mask ``alpha == 0``; so with ``kernel_size=(1, 30)`` this is
    ``GenMask``. An alpha already of size ``work_size``, or
    ``work_size=None``, gives exactly ``GenerateTrimap``'s trimap. A float
    alpha is eroded as its uint8 three-level stand-in (same trimap, cast
    back to the alpha's dtype), which OpenCV erodes faster.

    Note that after the nearest round trip a known trimap pixel agrees with
    the alpha pixel it was sampled from, which may be a neighbour of its own
    position (up to ``ceil(w / work_w) - 1`` pixels away when shrinking, one
    pixel when enlarging); with kernels too small to cover that offset a
    pixel marked 255 (0) can thus lie in the soft edge, where
    ``alpha < 255`` (``> 0``), as in ``GenMask``.

    Required key is "alpha" (HxW or HxWx1 on a 0-255 scale: uint8, or
    float64 as mmagic's ``CompositeFg`` leaves it), added key is "trimap"
    (values 0, 128 and 255, the alpha's shape and dtype as in
    ``GenerateTrimap``).

    Args:
        kernel_size (int | tuple[int, int]): Kernel sizes, see
            :class:`mmagic.datasets.transforms.GenerateTrimap`; ``(1, 30)``
            draws sizes 1..29 as ``GenMask`` does.
        work_size (int | tuple[int, int] | None): ``(w, h)`` at which the
            trimap is made; an int means a square. None makes it at the
            alpha's own size. Default: (640, 640).
        iterations (int | tuple[int, int]): Erosion / dilation iterations,
            see ``GenerateTrimap``. Default: 1.
        random (bool): Random kernel sizes and iterations, see
            ``GenerateTrimap``. Default: True.
    """

    def __init__(self,
                 kernel_size: _Size,
                 work_size: Optional[_Size] = (640, 640),
                 iterations: _Size = 1,
                 random: bool = True) -> None:
        super().__init__(kernel_size, iterations=iterations, random=random)
        self.kernel_size = kernel_size
        self.work_size = _work_size(work_size)

    def transform(self, results: dict) -> dict:
        """Make the trimap of ``results['alpha']`` at ``work_size``.

        Args:
            results (dict): With "alpha", an HxW or HxWx1 array on a 0-255
                scale (uint8, or float as mmagic's ``CompositeFg`` leaves
                it).

        Returns:
            dict: The results with "trimap" (0 / 128 / 255, the alpha's
            shape and dtype, as ``GenerateTrimap`` makes it).

        Raises:
            TypeError: If the alpha is neither uint8 nor float32 / float64.
            ValueError: If the alpha is not HxW or HxWx1, or if it is a
                float alpha on a 0-1 scale (``GenerateTrimap`` would find
                no pixel >= 255, i.e. no foreground).
        """
        alpha = results['alpha']
        name = type(self).__name__
        dtype = getattr(alpha, 'dtype', None)
        if dtype not in (np.uint8, np.float32, np.float64):
            raise TypeError(f'{name} needs a uint8, float32 or float64 '
                            f'alpha array, got {dtype or type(alpha)}')
        if not (alpha.ndim == 2 or (alpha.ndim == 3 and alpha.shape[2] == 1)):
            raise ValueError(f'{name} needs an HxW or HxWx1 alpha, got '
                             f'shape {alpha.shape}')
        h, w = alpha.shape[:2]
        native = self.work_size is None or self.work_size == (w, h)
        if native:
            small = alpha
        else:  # cv2.resize drops a single channel: small is 2-D
            small = cv2.resize(alpha,
                               self.work_size,
                               interpolation=cv2.INTER_NEAREST)
        if alpha.dtype != np.uint8:
            self._check_scale(small, alpha)
            small = _three_levels(small)
        trimap = super().transform(dict(alpha=small))['trimap']
        # GenerateTrimap's trimap has the alpha's dtype
        trimap = trimap.astype(alpha.dtype, copy=False)
        if not native:
            trimap = cv2.resize(trimap, (w, h),
                                interpolation=cv2.INTER_NEAREST)
        results['trimap'] = trimap.reshape(alpha.shape)
        return results

    def _check_scale(self, small: np.ndarray, alpha: np.ndarray) -> None:
        """Refuse a float alpha on a 0-1 scale (uint8 ones are 0-255).

        A float alpha whose maximum lies in (0, 1] is taken for a 0-1
        matte. The maximum of ``small`` (nearest samples of ``alpha``) is
        a lower bound of that of ``alpha``; ``alpha`` itself is only
        scanned when that bound does not settle it.

        Args:
            small (np.ndarray): ``alpha`` or nearest samples of it.
            alpha (np.ndarray): The alpha of the results.
        """
        if small.max() > 1:
            return
        if 0 < alpha.max() <= 1:
            raise ValueError(
                f'{type(self).__name__} needs an alpha on a 0-255 scale (as '
                'GenerateTrimap), got a float alpha with maximum '
                f'{float(alpha.max())}: multiply a 0-1 alpha by 255')

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(kernel_size={self.kernel_size}, '
                f'work_size={self.work_size}, '
                f'iterations={self.iterations}, random={self.random})')
