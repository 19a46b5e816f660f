"""Numpy ports of the Deep Image Matting (DIM) MATLAB evaluation functions.

Paper numbers on Composition-1k come from DIM's MATLAB code; mmagic 1.2.0's
metrics drift from it (float64 Conn thresholds, SAD / MSE summed over the
whole image). These follow MATLAB's arithmetic; units as the papers and
``tests/data/dim_official_metrics``: SAD / 1000, MSE raw, Grad / 1000,
Conn / 1000. :data:`METRIC_FUNCS` is the one table of metrics.
"""
# MATLAB arithmetic followed where it changes results:
# * error maps are single precision (``single(pred)`` etc.) and are summed the
#   way ``sum(sum(X))`` does for singles: a float32 running sum down each
#   column, then a float32 running sum over the column sums;
# * Conn thresholds are MATLAB's ``0:step:1`` compared against single-precision
#   alphas (``153/255`` passes the 0.6 threshold; in float64 it does not), the
#   largest 4-connected component is picked as ``bwconncomp`` + ``max`` do
#   (the first in column-major order on ties), and differences below 0.15 are
#   cut;
# * Grad normalises both mattes with ``mat2gray`` (min-max over the whole
#   image, in double), filters them with ``gaussgradient``'s 2-D kernel
#   (first derivative of a Gaussian, sigma 1.4, unit Frobenius norm) and a
#   replicated border, and squares the difference of the single-precision
#   amplitudes.
#
# Speed: the work that does not depend on the whole image (error maps, the
# filters of Grad, the per-pixel part of Conn) runs only on the bounding box
# of the unknown region (plus the filter's halo); sums over the box are
# bit-identical to sums over the whole image because the skipped terms are
# zeros. The separable Gaussian-derivative filter runs as two 1-D passes.
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from ...structures.trimap import UNKNOWN
from ...structures.trimap import VALUES as TRIMAP_VALUES
#: trimap masking of a prediction before scoring: set it to 0 / 255 on the
#: trimap's background / foreground, require it to be so, or score as given
MASK_MODES = ('apply', 'check', 'none')

_F32_255 = np.float32(255)
# float32(k) / float32(255) for every 8-bit value, as MATLAB's single(x)/255
_UNIT_F32 = np.arange(256, dtype=np.float32) / _F32_255

BBox = Tuple[int, int, int, int]


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------
def _as_uint8_matte(arr: np.ndarray, name: str) -> np.ndarray:
    """Check that ``arr`` is a 2-D 8-bit matte and return it as uint8."""
    arr = np.asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f'{name} must be a 2-D (H, W) array, '
                         f'got shape {arr.shape}')
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind in 'iu':
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError(
                f'{name} must hold 8-bit values 0..255, got values in '
                f'[{arr.min()}, {arr.max()}]')
        return arr.astype(np.uint8)
    if arr.dtype == np.bool_:
        raise TypeError(f'{name} is boolean; expected an 8-bit matte 0..255')
    raise TypeError(
        f'{name} must be an 8-bit integer matte (0..255) as read from a PNG, '
        f'got dtype {arr.dtype}; convert float alphas in [0, 1] with '
        'np.round(alpha * 255).astype(np.uint8)')


def check_inputs(pred: np.ndarray,
                 alpha: np.ndarray,
                 trimap: np.ndarray,
                 where: str = '') -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate one sample and return it as three uint8 (H, W) arrays.

    Args:
        pred (np.ndarray): Predicted alpha matte, integers 0..255.
        alpha (np.ndarray): Ground-truth alpha matte, integers 0..255.
        trimap (np.ndarray): Trimap with values in {0, 128, 255}.
        where (str): Text naming the sample (e.g. a file name), put in
            error messages.

    Returns:
        tuple[np.ndarray]: ``pred``, ``alpha`` and ``trimap`` as uint8.

    Raises:
        ValueError: Wrong dimensionality, differing shapes, values out of
            range, or trimap values outside {0, 128, 255}.
        TypeError: Non-integer mattes.
    """
    prefix = f'{where}: ' if where else ''
    try:
        pred = _as_uint8_matte(pred, 'pred')
        alpha = _as_uint8_matte(alpha, 'alpha')
        trimap = _as_uint8_matte(trimap, 'trimap')
    except (TypeError, ValueError) as err:
        raise type(err)(prefix + str(err)) from None
    if not pred.shape == alpha.shape == trimap.shape:
        raise ValueError(f'{prefix}shapes differ: pred {pred.shape}, '
                         f'alpha {alpha.shape}, trimap {trimap.shape}')
    counts = _histogram(trimap)
    counts[list(TRIMAP_VALUES)] = 0
    bad = np.flatnonzero(counts)
    if bad.size:
        shown = ', '.join(str(v) for v in bad[:8])
        more = ' ...' if bad.size > 8 else ''
        raise ValueError(
            f'{prefix}trimap values must be in {{0, 128, 255}}, found '
            f'{shown}{more} ({int(counts.sum())} pixels); resized or '
            'anti-aliased trimap?')
    return pred, alpha, trimap


def _histogram(img: np.ndarray) -> np.ndarray:
    """256-bin int64 histogram of a uint8 image (np.bincount is ~10x
    slower on large images)."""
    hist = cv2.calcHist([np.ascontiguousarray(img)], [0], None, [256],
                        [0, 256])
    return hist.ravel().astype(np.int64)


# lower / upper bounds that masking by the trimap puts on the prediction
_MASK_LOW = np.zeros(256, dtype=np.uint8)
_MASK_LOW[255] = 255
_MASK_HIGH = np.full(256, 255, dtype=np.uint8)
_MASK_HIGH[0] = 0


def mask_by_trimap(pred: np.ndarray, trimap: np.ndarray) -> np.ndarray:
    """Return a copy of ``pred`` set to 0 on trimap 0 and 255 on trimap 255.

    Args:
        pred (np.ndarray): uint8 (H, W) prediction.
        trimap (np.ndarray): uint8 (H, W) trimap.

    Returns:
        np.ndarray: The masked prediction (the DIM protocol's input).
    """
    trimap = np.ascontiguousarray(trimap)
    out = cv2.min(pred, cv2.LUT(trimap, _MASK_HIGH))
    return cv2.max(out, cv2.LUT(trimap, _MASK_LOW))


def is_masked(pred: np.ndarray, trimap: np.ndarray) -> bool:
    """Whether ``pred`` is 0 on trimap 0 and 255 on trimap 255."""
    return not ((pred[trimap == 0] != 0).any() or
                (pred[trimap == 255] != 255).any())


# --------------------------------------------------------------------------
# MATLAB arithmetic helpers
# --------------------------------------------------------------------------
def matlab_sum2(x: np.ndarray) -> np.float32:
    """``sum(sum(x))`` of a single-precision matrix, in MATLAB's order.

    Each column is summed with a float32 running sum from top to bottom,
    then the column sums are summed left to right (numpy's own ``sum`` sums
    pairwise and differs in the last bits, up to ~1e-6 relative).

    Args:
        x (np.ndarray): (H, W) array; converted to C-ordered float32.

    Returns:
        np.float32: The sum.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.size == 0:
        return np.float32(0)
    # reducing axis 0 of a C-ordered array adds whole rows one after the
    # other: a sequential float32 sum per column
    cols = np.add.reduce(x, axis=0, dtype=np.float32)
    return np.cumsum(cols, dtype=np.float32)[-1]


def matlab_colon(start: float, step: float, stop: float) -> np.ndarray:
    """``start:step:stop`` as MATLAB builds it (float64).

    MATLAB does not add ``step`` repeatedly: it fills the first half as
    ``start + k*step`` and the second half backwards from the end point as
    ``end - k*step`` (the middle element of an odd count as the mean of the
    ends), so that ``0:0.1:1`` holds 0.6 and 0.7 where ``np.arange`` gives
    0.6000000000000001 and 0.7000000000000001.

    Args:
        start (float): First value.
        step (float): Positive increment.
        stop (float): Upper limit.

    Returns:
        np.ndarray: The float64 range (empty when ``stop < start``).
    """
    if not step > 0:
        raise ValueError(f'step must be positive, got {step}')
    if stop < start:
        return np.zeros(0)
    tol = 2.0 * np.finfo(np.float64).eps * max(abs(start), abs(stop))
    n = int(np.round((stop - start) / step))
    if start + n * step - stop > tol:
        n -= 1
    end = start + n * step
    if end - stop > -tol:
        end = stop
    out = np.zeros(n + 1)
    k = np.arange(n // 2 + 1)
    out[k] = start + k * step
    out[n - k] = end - k * step
    if n % 2 == 0:
        out[n // 2] = (start + end) / 2
    return out


def gauss_gradient_kernels(sigma: float = 1.4,
                           epsilon: float = 1e-2) -> Tuple[np.ndarray, ...]:
    """1-D factors of ``gaussgradient``'s x-derivative kernel.

    ``gaussgradient`` builds ``hx(i, j) = gauss(i) * dgauss(j)`` on
    ``[-h, h]^2`` with ``h = ceil(sigma * sqrt(-2 log(sqrt(2 pi) sigma
    epsilon)))`` and divides it by its Frobenius norm; ``hy = hx'``. That
    kernel is the outer product returned here (``along_y`` down the rows,
    ``along_x`` across the columns), each factor with unit norm, so that
    ``np.outer(along_y, along_x)`` equals ``hx``.

    Args:
        sigma (float): Standard deviation of the Gaussian. Defaults to 1.4.
        epsilon (float): Truncation constant of ``gaussgradient``.
            Defaults to 1e-2.

    Returns:
        tuple[np.ndarray]: ``(along_y, along_x)`` float64 vectors.
    """
    half = int(
        np.ceil(sigma *
                np.sqrt(-2 * np.log(np.sqrt(2 * np.pi) * sigma * epsilon))))
    u = np.arange(-half, half + 1, dtype=np.float64)
    gauss = np.exp(-u**2 / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    dgauss = -u * gauss / sigma**2
    return gauss / np.linalg.norm(gauss), dgauss / np.linalg.norm(dgauss)


def mask_bbox(mask: np.ndarray) -> Optional[BBox]:
    """Half-open box ``(top, bottom, left, right)`` of a mask's nonzero
    pixels (``cv2.boundingRect``), or None when there are none.

    Args:
        mask (np.ndarray): HxW bool or uint8 mask.

    Returns:
        tuple[int] | None: The box.
    """
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8, copy=False))
    if w == 0 or h == 0:
        return None
    return y, y + h, x, x + w


class _Sample:
    """One checked sample plus what the metrics share (unknown-region box).

    Args:
        pred (np.ndarray): uint8 prediction.
        alpha (np.ndarray): uint8 ground truth.
        trimap (np.ndarray): uint8 trimap.
    """

    def __init__(self, pred: np.ndarray, alpha: np.ndarray,
                 trimap: np.ndarray) -> None:
        self.pred, self.alpha, self.trimap = pred, alpha, trimap
        unknown = trimap == UNKNOWN
        self.bbox = mask_bbox(unknown)
        if self.bbox is None:
            self.num_unknown = 0
            return
        t, b, l, r = self.bbox
        self.unknown = unknown[t:b, l:r]
        self.num_unknown = int(np.count_nonzero(self.unknown))
        self.pred_box = pred[t:b, l:r]
        self.alpha_box = alpha[t:b, l:r]
        self._abs_diff: Optional[np.ndarray] = None

    @property
    def abs_diff(self) -> np.ndarray:
        """uint8 ``abs(pred - alpha)`` on the box, 0 outside the unknown
        region (shared by SAD and MSE)."""
        if self._abs_diff is None:
            diff = cv2.absdiff(self.pred_box, self.alpha_box)
            diff[~self.unknown] = 0
            self._abs_diff = diff
        return self._abs_diff

    def masked_sum(self, values: np.ndarray) -> float:
        """MATLAB ``sum(sum(values .* single(trimap == 128)))`` on the box."""
        values = np.where(self.unknown, values, np.float32(0))
        return float(matlab_sum2(values))


# --------------------------------------------------------------------------
# the four metrics
# --------------------------------------------------------------------------
def _sad(s: _Sample, **_options) -> float:
    if s.bbox is None:
        return 0.0
    # abs(single(p) - single(g)) / 255 in single, zero outside the region
    total = matlab_sum2(cv2.LUT(s.abs_diff, _UNIT_F32))
    # compute_sad_loss divides by 1000 in single precision
    return float(total / np.float32(1000))


# ((single(p) - single(g)) / 255) .^ 2 in single, by abs(p - g): the sign
# of the difference does not change the square
_SQ_ERR_F32 = np.square(_UNIT_F32, dtype=np.float32)


def _mse(s: _Sample, **_options) -> float:
    if s.bbox is None:
        return 0.0  # documented: no unknown pixel, no error
    total = matlab_sum2(cv2.LUT(s.abs_diff, _SQ_ERR_F32))
    # sum(sum(single(trimap == 128))): a float32 running sum too (it only
    # differs from the count beyond 2^24 unknown pixels)
    count = matlab_sum2(s.unknown.view(np.uint8))
    return float(total / count)


def _mat2gray_lut(img: np.ndarray) -> np.ndarray:
    """``mat2gray`` of a uint8 image as a 256-entry float64 lookup table."""
    lo, hi, _, _ = cv2.minMaxLoc(img)
    values = np.arange(256, dtype=np.float64)
    if hi == lo:  # constant image: mat2gray clips the values to [0, 1]
        return np.clip(values, 0.0, 1.0)
    return np.clip((values - lo) / (hi - lo), 0.0, 1.0)


def _gradient_amplitude(img: np.ndarray, box: BBox, kernels: Sequence,
                        half: int) -> np.ndarray:
    """Single-precision ``gaussgradient`` amplitude of ``mat2gray(img)``.

    Only the pixels of ``box`` are computed, from a window grown by the
    filter's half size (clipped to the image, where the replicated border
    then is the image's own border).
    """
    h, w = img.shape
    t, b, l, r = box
    t0, b0, l0, r0 = (max(t - half, 0), min(b + half,
                                            h), max(l - half,
                                                    0), min(r + half, w))
    window = cv2.LUT(
        np.ascontiguousarray(img[t0:b0, l0:r0]), _mat2gray_lut(img))
    along_y, along_x = kernels
    # imfilter(..., 'conv') flips the antisymmetric kernel: only the sign of
    # gx / gy changes, the amplitude does not
    gx = cv2.sepFilter2D(
        window, cv2.CV_64F, along_x, along_y, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.sepFilter2D(
        window, cv2.CV_64F, along_y, along_x, borderType=cv2.BORDER_REPLICATE)
    amp = cv2.magnitude(gx, gy)
    return amp[t - t0:b - t0, l - l0:r - l0].astype(np.float32)


def _grad(s: _Sample, sigma: float = 1.4, **_options) -> float:
    if s.bbox is None:
        return 0.0
    kernels = gauss_gradient_kernels(sigma)
    half = (len(kernels[0]) - 1) // 2
    pred_amp = _gradient_amplitude(s.pred, s.bbox, kernels, half)
    alpha_amp = _gradient_amplitude(s.alpha, s.bbox, kernels, half)
    err = np.square(pred_amp - alpha_amp, dtype=np.float32)
    return s.masked_sum(err) / 1000.0


def _conn_tables(step: float) -> Tuple[np.ndarray, np.ndarray]:
    """Per-threshold integer cut-offs and the per-pixel error table of Conn.

    Returns:
        tuple[np.ndarray]: ``cutoffs[i]``: smallest 8-bit value ``k`` with
        ``single(k)/255 >= thresh(i+2)`` (256 when none), i.e. one per
        threshold after the first; ``err``: flat float32 table such that
        ``err[(level << 16) | (p << 8) | g]`` is ``abs(phi(p) - phi(g))`` with
        the single-precision ``phi(k) = 1 - d .* (d >= 0.15)``,
        ``d = single(k)/255 - l``, where ``l`` is ``thresh(level+1)`` for
        ``level`` < number of cut-offs and 1 otherwise.
    """
    thresh = matlab_colon(0.0, step, 1.0)
    # single vs double comparison: exact in double
    unit64 = _UNIT_F32.astype(np.float64)
    cutoffs = np.array(
        [np.searchsorted(unit64, t, side='left') for t in thresh[1:]],
        dtype=np.int64)
    levels = np.append(thresh[:-1], 1.0)  # l_map values; 1 = never dropped
    d = _UNIT_F32[None, :] - levels[:, None].astype(np.float32)
    phi = (np.float32(1) - d * (d >= 0.15).astype(np.float32)).astype(
        np.float32)
    err = np.abs(phi[:, :, None] - phi[:, None, :])
    return cutoffs, np.ascontiguousarray(err, dtype=np.float32).ravel()


_CONN_TABLE_CACHE: Dict[float, Tuple[np.ndarray, np.ndarray]] = {}

# Spaghetti (4-connected variant) is OpenCV's fastest labelling; the label
# numbering does not matter here (ties are resolved explicitly below)
_CCL_ALGORITHM = getattr(cv2, 'CCL_SPAGHETTI', cv2.CCL_DEFAULT)


def _largest_component(mask: np.ndarray) -> Tuple[np.ndarray, int]:
    """Label the 4-connected components of ``mask`` and pick the largest.

    Ties go to the component whose first pixel comes first in row-major
    order; ``mask`` is the transposed image, so that is MATLAB's
    column-major order (``bwconncomp`` numbering, ``max`` keeps the first
    maximum).

    Args:
        mask (np.ndarray): Non-empty uint8 0/1 mask.

    Returns:
        tuple: int32 labels and the label of the largest component.
    """
    _, labels = cv2.connectedComponentsWithAlgorithm(mask, 4, cv2.CV_32S,
                                                     _CCL_ALGORITHM)
    areas = np.bincount(labels.ravel())
    areas[0] = 0  # background
    best = int(np.argmax(areas))
    tied = np.flatnonzero(areas == areas[best])
    if tied.size > 1:  # rare: decide by the first pixel in scan order
        flat = labels.ravel()
        firsts = [int(np.argmax(flat == lab)) for lab in tied]
        best = int(tied[int(np.argmin(firsts))])
    return labels, best


def _conn(s: _Sample, step: float = 0.1, **_options) -> float:
    if s.bbox is None:
        return 0.0
    if step not in _CONN_TABLE_CACHE:
        _CONN_TABLE_CACHE[step] = _conn_tables(step)
    cutoffs, err_table = _CONN_TABLE_CACHE[step]
    n_steps = len(cutoffs)
    top, _, left, _ = s.bbox
    rows, cols = np.nonzero(s.unknown)  # unknown pixels, inside the box
    # labelling runs on the transposed image, whose row-major order is
    # MATLAB's column-major order; (ty, tx): the unknown pixels there
    both = np.ascontiguousarray(np.minimum(s.pred, s.alpha).T)
    level = np.full(rows.size, n_steps, dtype=np.uint8)
    # pixels still in every omega so far; the others have their level
    alive = np.arange(rows.size)
    ty, tx = cols + left, rows + top
    # pred >= th & alpha >= th  <=>  min(pred, alpha) >= cutoff; the masks
    # shrink as the threshold grows, so each is labelled only inside the
    # bounding box of the previous one: rows [y0, y1) x columns [x0, x1)
    y0, x0, y1, x1 = 0, 0, both.shape[0], both.shape[1]
    for i, cutoff in enumerate(cutoffs):
        if alive.size == 0:
            break
        box = (0, 0, 0, 0)
        if cutoff <= 255:
            inter = (both[y0:y1, x0:x1] >= cutoff).view(np.uint8)
            box = cv2.boundingRect(inter)
        if box[2] == 0:  # empty intersection: omega is empty from here on
            level[alive] = i
            break
        bx, by, bw, bh = box
        inter = np.ascontiguousarray(inter[by:by + bh, bx:bx + bw])
        y0, x0 = y0 + by, x0 + bx
        y1, x1 = y0 + bh, x0 + bw
        labels, best = _largest_component(inter)
        in_box = (ty >= y0) & (ty < y1) & (tx >= x0) & (tx < x1)
        if in_box.all():
            inside = labels.ravel().take((ty - y0) * bw + (tx - x0)) == best
        else:
            inside = np.zeros(alive.size, dtype=bool)
            inside[in_box] = labels.ravel().take((ty[in_box] - y0) * bw +
                                                 (tx[in_box] - x0)) == best
        # l_map takes the threshold before the first one that drops a pixel
        level[alive[~inside]] = i
        alive, ty, tx = alive[inside], ty[inside], tx[inside]
    key = level.astype(np.int32) << 16
    key |= s.pred_box[rows, cols].astype(np.int32) << 8
    key |= s.alpha_box[rows, cols]
    err = np.zeros(s.unknown.shape, dtype=np.float32)
    err[rows, cols] = err_table.take(key)
    return float(matlab_sum2(err)) / 1000.0


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
def compute_sad(pred: np.ndarray, alpha: np.ndarray,
                trimap: np.ndarray) -> float:
    """SAD over the unknown region / 1000 (``compute_sad_loss``).

    Args:
        pred (np.ndarray): uint8 (H, W) prediction, evaluated as given.
        alpha (np.ndarray): uint8 (H, W) ground truth.
        trimap (np.ndarray): uint8 (H, W) trimap, values {0, 128, 255}.

    Returns:
        float: Sum of absolute differences (alphas in [0, 1]) / 1000; 0 when
        the unknown region is empty.
    """
    return evaluate_sample(pred, alpha, trimap, ['SAD'])['SAD']


def compute_mse(pred: np.ndarray, alpha: np.ndarray,
                trimap: np.ndarray) -> float:
    """MSE over the unknown region, raw (``compute_mse_loss``).

    Args:
        pred, alpha, trimap (np.ndarray): As in :func:`compute_sad`.

    Returns:
        float: Mean squared error (alphas in [0, 1]). MATLAB returns NaN
        (0 / 0) when the unknown region is empty; this returns 0.0 there
        (no pixel to err on), as mmagic's ``MattingMSE`` does.
    """
    return evaluate_sample(pred, alpha, trimap, ['MSE'])['MSE']


def compute_grad(pred: np.ndarray,
                 alpha: np.ndarray,
                 trimap: np.ndarray,
                 sigma: float = 1.4) -> float:
    """Gradient error over the unknown region / 1000.

    ``compute_gradient_loss``: both mattes are min-max normalised over the
    whole image (``mat2gray``), filtered with ``gaussgradient`` (replicated
    border), and the squared differences of the amplitudes are summed.

    Args:
        pred (np.ndarray): uint8 (H, W) prediction, evaluated as given.
        alpha (np.ndarray): uint8 (H, W) ground truth.
        trimap (np.ndarray): uint8 (H, W) trimap, values {0, 128, 255}.
        sigma (float): Gaussian standard deviation. Defaults to 1.4.

    Returns:
        float: Gradient error / 1000; 0 when the unknown region is empty.
    """
    return evaluate_sample(
        pred, alpha, trimap, ['Grad'], sigma=sigma)['Grad']


def compute_conn(pred: np.ndarray,
                 alpha: np.ndarray,
                 trimap: np.ndarray,
                 step: float = 0.1) -> float:
    """Connectivity error over the unknown region / 1000.

    ``compute_connectivity_error``: for the thresholds ``step:step:1`` the
    largest 4-connected component of ``pred >= t & alpha >= t`` is found;
    each pixel's level ``l`` is the threshold before the first one whose
    component misses it (1 if none does); ``phi = 1 - d .* (d >= 0.15)``
    with ``d = alpha - l`` and the absolute differences of ``phi`` are
    summed.

    Args:
        pred (np.ndarray): uint8 (H, W) prediction, evaluated as given.
        alpha (np.ndarray): uint8 (H, W) ground truth.
        trimap (np.ndarray): uint8 (H, W) trimap, values {0, 128, 255}.
        step (float): Threshold step. Defaults to 0.1.

    Returns:
        float: Connectivity error / 1000; 0 when the unknown region is empty.
    """
    return evaluate_sample(pred, alpha, trimap, ['Conn'], step=step)['Conn']


#: the metric table: name -> ``fn(sample, sigma=..., step=...)``; a new metric
#: is one function above and one line here (the MMEngine metrics and
#: ``tools/evaluate_mattes.py`` both read it)
METRIC_FUNCS = {'SAD': _sad, 'MSE': _mse, 'Grad': _grad, 'Conn': _conn}
METRIC_KEYS = tuple(METRIC_FUNCS)


def evaluate_sample(pred: np.ndarray,
                    alpha: np.ndarray,
                    trimap: np.ndarray,
                    metrics: Sequence[str] = METRIC_KEYS,
                    masking: str = 'none',
                    where: str = '',
                    sigma: float = 1.4,
                    step: float = 0.1) -> Dict[str, float]:
    """Check one sample once, mask it, and compute metrics of the table.

    Args:
        pred (np.ndarray): uint8 (H, W) prediction.
        alpha (np.ndarray): uint8 (H, W) ground truth.
        trimap (np.ndarray): uint8 (H, W) trimap, values {0, 128, 255}.
        metrics (Sequence[str]): Names of :data:`METRIC_FUNCS`.
        masking (str): One of :data:`MASK_MODES`. Defaults to ``'none'``
            (the prediction as given, like the MATLAB functions).
        where (str): Sample name for error messages.
        sigma (float): Gaussian sigma of Grad. Defaults to 1.4.
        step (float): Threshold step of Conn. Defaults to 0.1.

    Returns:
        dict[str, float]: Metric name to value (SAD / 1000, raw MSE,
        Grad / 1000, Conn / 1000).

    Raises:
        KeyError: A metric name not in the table.
        ValueError: Bad inputs, an unknown ``masking``, or (``'check'``) a
            prediction not masked by the trimap.
    """
    unknown_names = [m for m in metrics if m not in METRIC_FUNCS]
    if unknown_names:
        raise KeyError(f'unknown metric(s) {unknown_names}; '
                       f'choose from {list(METRIC_KEYS)}')
    if masking not in MASK_MODES:
        raise ValueError(f'trimap masking must be one of {MASK_MODES}, '
                         f'got {masking!r}')
    pred, alpha, trimap = check_inputs(pred, alpha, trimap, where)
    if masking == 'check' and not is_masked(pred, trimap):
        raise ValueError(
            f'{where}: pred_alpha is not masked by the trimap (0 on trimap '
            "0, 255 on trimap 255); mask it or use masking 'apply'")
    if masking == 'apply':
        pred = mask_by_trimap(pred, trimap)
    sample = _Sample(pred, alpha, trimap)
    return {
        name: METRIC_FUNCS[name](sample, sigma=sigma, step=step)
        for name in metrics
    }


def compute_all(pred: np.ndarray,
                alpha: np.ndarray,
                trimap: np.ndarray,
                metrics: Sequence[str] = METRIC_KEYS,
                mask_pred: bool = False,
                where: str = '',
                sigma: float = 1.4,
                step: float = 0.1) -> Dict[str, float]:
    """:func:`evaluate_sample` with masking ``'apply'`` (``mask_pred``) or
    ``'none'`` (the default, like the MATLAB functions)."""
    return evaluate_sample(pred, alpha, trimap, metrics,
                           'apply' if mask_pred else 'none', where, sigma,
                           step)


def count_unknown(trimap: np.ndarray) -> int:
    """Number of unknown (128) pixels of a trimap."""
    return int(np.count_nonzero(np.asarray(trimap) == UNKNOWN))
