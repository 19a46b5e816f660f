"""Array helpers around a predicted alpha: trimaps, foreground, cut-outs.

mmagic has trimap generation only from a ground-truth alpha (training
transforms ``GenerateTrimap``) and no foreground estimation or compositing
for inference, so these small numpy/OpenCV functions live here. Foreground
colours come from pymatting's multi-level estimator (Germer et al. 2021,
maintained library, ``pymatting.estimate_foreground_ml``); without pymatting
a built-in blur-fusion estimate (Forte & Pitie, ICIP 2021) is used instead.
"""
import warnings
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from dpt_mm.structures.trimap import VALUES as TRIMAP_VALUES
from .image_io import MattingInputError

FG_METHODS = ('auto', 'ml', 'blur')


def trimap_from_mask(mask: np.ndarray,
                     band: int = 10,
                     threshold: int = 128) -> np.ndarray:
    """Make a trimap from a coarse binary mask by erosion and dilation.

    Pixels at most ``band`` pixels (Euclidean, elliptic structuring element)
    from the mask boundary become unknown (128) on both sides of it, so a
    straight edge gets an unknown band ``2 * band`` pixels wide; the eroded
    mask is foreground (255) and what the dilated mask does not reach is
    background (0).

    Args:
        mask (np.ndarray): HxW mask; pixels ``>= threshold`` are foreground.
        band (int): Half width of the unknown band in pixels, >= 1.
            Defaults to 10.
        threshold (int): Binarisation threshold. Defaults to 128.

    Returns:
        np.ndarray: HxW uint8 trimap with values in {0, 128, 255}.
    """
    if mask.ndim != 2:
        raise ValueError(f'mask must be HxW, got shape {mask.shape}')
    if int(band) < 1:
        raise ValueError(f'band must be >= 1 pixel, got {band}')
    binary = (mask >= threshold).astype(np.uint8)
    size = 2 * int(band) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    fg = cv2.erode(binary, kernel).astype(bool)
    reach = cv2.dilate(binary, kernel).astype(bool)
    trimap = np.full(mask.shape, 128, dtype=np.uint8)
    trimap[fg] = 255
    trimap[~reach] = 0
    return trimap


def check_size(guide: np.ndarray,
               image_shape: Sequence[int],
               name: str,
               what: str = 'trimap') -> None:
    """Raise :class:`MattingInputError` unless ``guide`` is as large as the
    image.

    Args:
        guide (np.ndarray): HxW trimap or mask.
        image_shape (Sequence[int]): Shape of the image (H, W, ...).
        name (str): File name (or description) used in errors.
        what (str): 'trimap' or 'mask', for the message.
    """
    h, w = image_shape[:2]
    if guide.shape[:2] != (h, w):
        raise MattingInputError(
            f'{name}: {what} size {guide.shape[1]}x{guide.shape[0]} (WxH) '
            f'does not match the image size {w}x{h}')


def check_trimap(trimap: np.ndarray,
                 image_shape: Sequence[int],
                 name: str = 'trimap',
                 threshold: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Validate a trimap against its image; optionally map a soft trimap.

    Args:
        trimap (np.ndarray): HxW uint8 trimap.
        image_shape (Sequence[int]): Shape of the image (H, W, ...).
        name (str): File name (or description) used in errors.
        threshold (tuple[int, int], optional): ``(low, high)``: values
            ``<= low`` become background, ``>= high`` foreground, the rest
            unknown. Without it, values outside {0, 128, 255} are an error.

    Returns:
        np.ndarray: HxW uint8 trimap with values in {0, 128, 255}.

    Raises:
        MattingInputError: Size mismatch or, without ``threshold``, values
            outside {0, 128, 255}.
    """
    check_size(trimap, image_shape, name, 'trimap')
    if threshold is not None:
        low, high = (int(t) for t in threshold)
        if not 0 <= low < high <= 255:
            raise ValueError(
                f'trimap threshold needs 0 <= low < high <= 255, got '
                f'({low}, {high})')
        out = np.full(trimap.shape, 128, dtype=np.uint8)
        out[trimap <= low] = 0
        out[trimap >= high] = 255
        return out
    bad = ~np.isin(trimap, TRIMAP_VALUES)
    if bad.any():
        values = np.unique(trimap[bad])
        shown = ', '.join(str(v) for v in values[:8])
        more = ', ...' if len(values) > 8 else ''
        raise MattingInputError(
            f'{name}: {int(bad.sum())} pixels have values outside '
            f'{{0, 128, 255}} ({shown}{more}); a soft trimap needs a '
            'threshold (--trimap-threshold LOW HIGH)')
    return trimap


def _blur_fusion(image: np.ndarray, alpha: np.ndarray, radius: int,
                 fg: np.ndarray, bg: np.ndarray,
                 eps: float = 1e-5) -> Tuple[np.ndarray, np.ndarray]:
    """One blur-fusion pass: F = blur_a(F) + a (I - a blur_a(F) - (1-a)
    blur_(1-a)(B)), with alpha-weighted box blurs of size ``radius``."""
    a = alpha[..., None]
    ksize = (radius, radius)
    blur_a = cv2.blur(alpha, ksize)[..., None]
    fg_mean = cv2.blur(fg * a, ksize) / (blur_a + eps)
    bg_mean = cv2.blur(bg * (1 - a), ksize) / (1 - blur_a + eps)
    residual = image - a * fg_mean - (1 - a) * bg_mean
    fg = np.clip(fg_mean + a * residual, 0, 1)
    bg = np.clip(bg_mean + (1 - a) * residual, 0, 1)
    return fg, bg


def blur_fusion_foreground(image: np.ndarray,
                           alpha: np.ndarray,
                           radii: Sequence[int] = (91, 7)) -> np.ndarray:
    """Approximate foreground colours by blur fusion (no extra dependency).

    Two passes (a large then a small box blur) of the local-mean estimate of
    Forte & Pitie, "Approximate Fast Foreground Colour Estimation", ICIP
    2021; used when pymatting is not installed.

    Args:
        image (np.ndarray): HxWx3 float image in [0, 1].
        alpha (np.ndarray): HxW float alpha in [0, 1].
        radii (Sequence[int]): Box sizes of the passes.

    Returns:
        np.ndarray: HxWx3 float foreground in [0, 1].
    """
    image = image.astype(np.float32)
    alpha = alpha.astype(np.float32)
    fg, bg = image, image
    for r in radii:
        fg, bg = _blur_fusion(image, alpha, int(r), fg, bg)
    return fg


def _pymatting_ml():
    """Return ``pymatting.estimate_foreground_ml`` or None if missing."""
    try:
        from pymatting import estimate_foreground_ml
    except ImportError:
        return None
    return estimate_foreground_ml


def estimate_foreground(image: np.ndarray,
                        alpha: np.ndarray,
                        method: str = 'auto') -> np.ndarray:
    """Estimate the foreground colours F of ``I = a F + (1 - a) B``.

    Args:
        image (np.ndarray): HxWx3 uint8 image (any channel order; the
            estimators treat the channels alike).
        alpha (np.ndarray): HxW uint8 alpha.
        method (str): 'ml' - pymatting's multi-level estimator (error if
            pymatting is missing); 'blur' - built-in blur fusion; 'auto' -
            'ml' when pymatting imports, else 'blur' with a warning.
            Defaults to 'auto'.

    Returns:
        np.ndarray: HxWx3 uint8 foreground in the channel order of ``image``.
    """
    if method not in FG_METHODS:
        raise ValueError(f'fg method must be one of {FG_METHODS}, '
                         f'got {method!r}')
    img = image.astype(np.float64) / 255.
    a = alpha.astype(np.float64) / 255.
    ml = _pymatting_ml() if method in ('auto', 'ml') else None
    if method == 'ml' and ml is None:
        raise ImportError('fg method "ml" needs pymatting: '
                          'pip install pymatting')
    if ml is not None:
        fg = ml(img, a)
    else:
        if method == 'auto':
            warnings.warn('pymatting is not installed; estimating the '
                          'foreground with blur fusion instead')
        fg = blur_fusion_foreground(img, a)
    return np.clip(np.round(np.asarray(fg) * 255.), 0, 255).astype(np.uint8)


def make_cutout(fg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Stack foreground colours and alpha into a BGRA (or RGBA) cut-out.

    Args:
        fg (np.ndarray): HxWx3 uint8 foreground.
        alpha (np.ndarray): HxW uint8 alpha.

    Returns:
        np.ndarray: HxWx4 uint8, colour channels of ``fg`` then alpha.
    """
    if fg.shape[:2] != alpha.shape[:2]:
        raise ValueError(f'fg {fg.shape} and alpha {alpha.shape} differ')
    return np.dstack([fg, alpha]).astype(np.uint8)


def fit_background(bg: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale ``bg`` to cover ``height`` x ``width`` and centre-crop it.

    Keeps the aspect ratio of the background (no stretching).

    Args:
        bg (np.ndarray): HxWx3 uint8 background.
        height (int): Target height.
        width (int): Target width.

    Returns:
        np.ndarray: ``height`` x ``width`` x 3 uint8.
    """
    bh, bw = bg.shape[:2]
    scale = max(height / bh, width / bw)
    nh, nw = max(height, round(bh * scale)), max(width, round(bw * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(bg, (nw, nh), interpolation=interp)
    top, left = (nh - height) // 2, (nw - width) // 2
    return np.ascontiguousarray(resized[top:top + height, left:left + width])


def composite(fg: np.ndarray, alpha: np.ndarray,
              bg: np.ndarray) -> np.ndarray:
    """Composite ``a F + (1 - a) B`` over a new background.

    Args:
        fg (np.ndarray): HxWx3 uint8 foreground.
        alpha (np.ndarray): HxW uint8 alpha.
        bg (np.ndarray): Background of any size (fitted with
            :func:`fit_background`), same channel order as ``fg``.

    Returns:
        np.ndarray: HxWx3 uint8 composite.
    """
    h, w = alpha.shape[:2]
    bg = fit_background(bg, h, w).astype(np.float32)
    a = alpha.astype(np.float32)[..., None] / 255.
    out = a * fg.astype(np.float32) + (1 - a) * bg
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
