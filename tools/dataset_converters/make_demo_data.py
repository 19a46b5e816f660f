"""Make the small embedded demo data set, deterministically from a seed.

Everything is cut from the sample photographs that scikit-image ships
(``skimage.data``: astronaut, coffee, chelsea, rocket, ...), so nothing is
downloaded. The photos are split in two disjoint pools: the *held-out* pool
(``HELDOUT_FG_SOURCES`` / ``HELDOUT_BG_SOURCES``) is used by the held-out
test split only; every other photo feeds the unlabeled set, the
fine-tuning set and the in-distribution test split. Written under ``--out``
(default ``data/demo``):

``in1k/``: unlabeled images in ImageNet train layout for DPT pre-training,
    ``train/<class>/<class>_<i>.JPEG`` (one class per source photo, random
    crops of 15-100 % of the photo's area, flips and rescales, short side
    256-400 px, long side <= 500 px) and ``meta/train.txt`` listing one
    path per line, relative to ``train/`` like ImageNet's own
    ``meta/train.txt``.

``comp1k/``: a matting set in Composition-1k layout (see ``comp1k.py``):
    training foregrounds and procedural alpha mattes with matting structure
    (a soft-edged body, thin hair-like strands, semi-transparent veils) in
    ``Training_set/{Adobe-licensed images,Other}/{fg,alpha}``, test
    foregrounds / alphas / trimaps (random erosion of the alpha's known
    regions) in ``Test_set/Adobe-licensed images``, COCO stand-in
    backgrounds in ``bg/`` (cut from other photos), the DIM name lists, and
    the mmagic annotation files ``training_list.json`` / ``test_list.json``
    written by ``comp1k.py`` (which also composites the test images into
    ``Test_set/merged``). Its test split is *in-distribution*: the same
    matte generator and the same photos as the training set.

``comp1k_heldout/``: a test split in the same layout whose mattes come from
    a different procedural family (:func:`make_alpha_heldout`: defocused
    polygons, motion-blurred shapes, lace, smoke, short straight fur) on
    foregrounds and backgrounds cut from the held-out photos, so it scores
    matting rather than memory of the training generator.

``comp1k_scarce/``: the scarce label budget, the first ``--num-scarce``
    training foregrounds of ``comp1k/`` alone (their own folders, so that
    online composition with a second foreground cannot reach the others);
    backgrounds are read from ``comp1k/bg``.

Usage::

    python tools/dataset_converters/make_demo_data.py --out data/demo --seed 0

A stamp file ``<out>/.demo_stamp`` records the arguments; with
``--skip-existing`` a run whose stamp matches returns at once.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from comp1k import (TEST_ALPHA_DIR, TEST_FG_DIR, TEST_TRIMAP_DIR,  # noqa
                    atomic_write_bytes, convert, erosion_trimap,
                    atomic_imwrite, read_names)

VERSION = 2
# photos used as foregrounds / backgrounds; grey ones are replicated to three
# channels. The held-out pool is used by comp1k_heldout/ only.
FG_SOURCES = ('astronaut', 'chelsea', 'coffee', 'immunohistochemistry',
              'hubble_deep_field')
BG_SOURCES = ('camera', 'coins', 'grass', 'brick', 'clock', 'cell', 'page',
              'microaneurysms')
HELDOUT_FG_SOURCES = ('rocket', 'motorcycle', 'retina')
HELDOUT_BG_SOURCES = ('moon', 'gravel', 'text', 'motorcycle_right')
# every photo outside the held-out pool is an ImageNet-layout class
IN1K_SOURCES = FG_SOURCES + BG_SOURCES
HELDOUT_KINDS = ('defocus', 'motion', 'lace', 'smoke', 'fur')
JPEG_PARAMS = (cv2.IMWRITE_JPEG_QUALITY, 90)
PNG_PARAMS = (cv2.IMWRITE_PNG_COMPRESSION, 3)


def load_photos() -> Dict[str, np.ndarray]:
    """Load the scikit-image sample photos as BGR uint8 arrays.

    Returns:
        dict[str, np.ndarray]: Name to HxWx3 BGR image.
    """
    try:
        import skimage.data as skd
    except ImportError as err:  # pragma: no cover - depends on the env
        raise ImportError('make_demo_data.py needs scikit-image '
                          '(pip install scikit-image)') from err
    photos = {}
    for name in sorted(
            set(FG_SOURCES + BG_SOURCES + HELDOUT_FG_SOURCES +
                HELDOUT_BG_SOURCES)):
        if name == 'motorcycle':
            img = skd.stereo_motorcycle()[0]
        elif name == 'motorcycle_right':
            img = skd.stereo_motorcycle()[1]
        else:
            img = getattr(skd, name)()
        img = np.asarray(img)
        if img.dtype != np.uint8:
            img = (img > 0).astype(np.uint8) * 255 if img.dtype == bool \
                else np.clip(img, 0, 255).astype(np.uint8)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        photos[name] = np.ascontiguousarray(img[..., 2::-1])  # RGB -> BGR
    return photos


def random_crop(rng: np.random.Generator, img: np.ndarray,
                out_hw: Tuple[int, int],
                area: Tuple[float, float] = (0.25, 1.0)) -> np.ndarray:
    """Cut a random region of the photo and resize it to ``out_hw``.

    The region keeps the output's aspect ratio and covers a random fraction
    of the photo's area; it is flipped left-right with probability 0.5.

    Args:
        rng (np.random.Generator): Random source.
        img (np.ndarray): Source photo.
        out_hw (tuple[int, int]): Output height and width.
        area (tuple[float, float]): Range of the cut's area fraction.

    Returns:
        np.ndarray: HxWx3 uint8 image of size ``out_hw``.
    """
    h, w = img.shape[:2]
    oh, ow = out_hw
    frac = rng.uniform(*area)
    ch = np.sqrt(frac * h * w * oh / ow)
    cw = ch * ow / oh
    scale = min(1.0, h / ch, w / cw)
    ch, cw = max(8, int(ch * scale)), max(8, int(cw * scale))
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    crop = img[y:y + ch, x:x + cw]
    interp = cv2.INTER_AREA if ch > oh else cv2.INTER_CUBIC
    out = cv2.resize(crop, (ow, oh), interpolation=interp)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def make_in1k(rng: np.random.Generator, photos: Dict[str, np.ndarray],
              root: str, num: int) -> List[str]:
    """Write the unlabeled ImageNet-layout folder and its list file.

    Args:
        rng (np.random.Generator): Random source.
        photos (dict): Source photos.
        root (str): ``<out>/in1k``.
        num (int): Number of images.

    Returns:
        list[str]: Paths relative to ``root/train``.
    """
    classes = [f'n{9000000 + i:08d}' for i in range(len(IN1K_SOURCES))]
    rel_paths = []
    for i in range(num):
        c = i % len(classes)
        short = int(rng.integers(256, 401))
        long_ = int(rng.integers(short, min(500, int(short * 1.5)) + 1))
        hw = (short, long_) if rng.random() < 0.6 else (long_, short)
        img = random_crop(rng, photos[IN1K_SOURCES[c]], hw, (0.15, 1.0))
        rel = f'{classes[c]}/{classes[c]}_{i // len(classes):04d}.JPEG'
        atomic_imwrite(img, osp.join(root, 'train', rel), JPEG_PARAMS)
        rel_paths.append(rel)
    atomic_write_bytes(
        osp.join(root, 'meta', 'train.txt'),
        ''.join(p + '\n' for p in rel_paths).encode())
    return rel_paths


def _smooth_noise(rng: np.random.Generator, hw: Tuple[int, int],
                  cells: int) -> np.ndarray:
    """Smooth random field in [0, 1] (bicubic upsampling of a coarse grid)."""
    grid = rng.random((cells, cells)).astype(np.float32)
    field = cv2.resize(grid, (hw[1], hw[0]), interpolation=cv2.INTER_CUBIC)
    field -= field.min()
    return field / max(float(field.max()), 1e-6)


def make_alpha(rng: np.random.Generator, hw: Tuple[int, int]) -> np.ndarray:
    """Procedural alpha matte with matting structure.

    A star-shaped body with a soft linear edge of random width, many thin
    anti-aliased strands growing out of its rim (drawn at 4x resolution and
    area-downsampled, so they are sub-pixel thin and fractional), and on
    about half of the mattes a semi-transparent veil (smooth noise between
    about 0.15 and 0.75) overlapping the body.

    Args:
        rng (np.random.Generator): Random source.
        hw (tuple[int, int]): Height and width.

    Returns:
        np.ndarray: HxW uint8 alpha with exact 0 and 255 regions.
    """
    h, w = hw
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = h * rng.uniform(0.42, 0.58), w * rng.uniform(0.42, 0.58)
    r0 = min(h, w) * rng.uniform(0.2, 0.28)
    theta = np.arctan2(yy - cy, xx - cx)
    radius = np.full_like(theta, r0)
    harmonics = [(k, rng.uniform(0, 0.12), rng.uniform(0, 2 * np.pi))
                 for k in range(2, 6)]
    for k, amp, phase in harmonics:
        radius += r0 * amp * np.cos(k * theta + phase)
    soft = rng.uniform(1.0, 4.0)
    signed = radius - np.hypot(yy - cy, xx - cx)
    alpha = np.clip((signed + soft) / (2 * soft), 0, 1)

    # hair-like strands: polylines drawn at 4x and area-downsampled
    s = 4
    canvas = np.zeros((h * s, w * s), np.uint8)
    n_strands = int(rng.integers(40, 160))
    for _ in range(n_strands):
        t = rng.uniform(-np.pi, np.pi)
        r_t = r0 * (1 + sum(a * np.cos(k * t + p) for k, a, p in harmonics))
        x, y = cx + 0.95 * r_t * np.cos(t), cy + 0.95 * r_t * np.sin(t)
        direction = t + rng.normal(0, 0.35)
        length = min(h, w) * rng.uniform(0.06, 0.3)
        n_seg = 12
        pts = [(x, y)]
        for _ in range(n_seg):
            direction += rng.normal(0, 0.18)
            x += length / n_seg * np.cos(direction)
            y += length / n_seg * np.sin(direction)
            pts.append((x, y))
        pts = np.round(np.array(pts) * s).astype(np.int32)
        value = int(rng.integers(120, 256))
        thick = int(rng.integers(1, 4))
        cv2.polylines(canvas, [pts], False, value, thick, cv2.LINE_AA)
    strands = cv2.resize(
        canvas, (w, h), interpolation=cv2.INTER_AREA).astype(
            np.float32) / 255
    alpha = np.maximum(alpha, strands)

    if rng.random() < 0.5:  # semi-transparent veil (glass / cloth)
        vy, vx = cy + r0 * rng.uniform(-0.8, 0.8), cx + r0 * rng.uniform(
            -0.8, 0.8)
        ry, rx = r0 * rng.uniform(0.5, 0.9), r0 * rng.uniform(0.5, 0.9)
        d = np.sqrt(((yy - vy) / ry)**2 + ((xx - vx) / rx)**2)
        veil_mask = np.clip((1.0 - d) * 6, 0, 1)
        level = 0.15 + 0.6 * _smooth_noise(rng, hw, 5)
        alpha = np.maximum(alpha, veil_mask * level)
    return np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8)


def _polygon_mask(rng: np.random.Generator, hw: Tuple[int, int],
                  scale: float) -> np.ndarray:
    """Filled random star-convex polygon (float32 0 / 1), drawn at 4x."""
    h, w = hw
    s = 4
    n = int(rng.integers(5, 10))
    angles = (np.arange(n) + rng.uniform(-0.3, 0.3, n)) * 2 * np.pi / n
    r = min(h, w) * scale * rng.uniform(0.7, 1.0, n)
    cy, cx = h * rng.uniform(0.4, 0.6), w * rng.uniform(0.4, 0.6)
    pts = np.stack([cx + r * np.cos(angles), cy + r * np.sin(angles)], 1)
    canvas = np.zeros((h * s, w * s), np.uint8)
    cv2.fillPoly(canvas, [np.round(pts * s).astype(np.int32)], 255,
                 cv2.LINE_AA)
    return cv2.resize(canvas, (w, h),
                      interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def make_alpha_heldout(rng: np.random.Generator, hw: Tuple[int, int],
                       kind: str) -> np.ndarray:
    """Procedural alpha of the held-out family (unlike :func:`make_alpha`).

    Every matte keeps an opaque region that survives the largest test
    trimap erosion (15 px), so each test trimap has foreground, unknown and
    background pixels (a draw without one is redrawn).

    ``kind`` is one of ``HELDOUT_KINDS``:

    - ``defocus``: a random polygon blurred by a Gaussian of sigma 2-7 px
      (a wide, smooth transition instead of a thin linear edge);
    - ``motion``: two overlapping ellipses smeared by a linear motion
      blur of 9-31 px at a random angle (anisotropic transition);
    - ``lace``: a polygon cut by a periodic lattice of soft holes at an
      opacity of 0.7-1 around an opaque centre (a transparency pattern
      inside the object);
    - ``smoke``: multi-octave noise through a soft threshold around a
      small opaque source (a large, mostly fractional region);
    - ``fur``: a disc with dense, short, straight fibres of 1 px at 4x
      normal to its rim (short fur rather than long curved strands).

    Args:
        rng (np.random.Generator): Random source.
        hw (tuple[int, int]): Height and width.
        kind (str): One of ``HELDOUT_KINDS``.

    Returns:
        np.ndarray: HxW uint8 alpha with exact 0 and 255 regions.
    """
    h, w = hw
    if kind == 'defocus':
        alpha = _polygon_mask(rng, hw, 0.32)
        # x1.2: the centre of a defocused opaque object stays opaque
        alpha = 1.2 * cv2.GaussianBlur(alpha, (0, 0), rng.uniform(2.0, 7.0))
    elif kind == 'motion':
        canvas = np.zeros(hw, np.float32)
        for _ in range(2):
            center = (int(w * rng.uniform(0.35, 0.65)),
                      int(h * rng.uniform(0.35, 0.65)))
            axes = (int(min(h, w) * rng.uniform(0.12, 0.25)),
                    int(min(h, w) * rng.uniform(0.08, 0.2)))
            cv2.ellipse(canvas, center, axes, float(rng.uniform(0, 180)), 0,
                        360, 1.0, -1, cv2.LINE_AA)
        length = int(rng.integers(9, 32))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1.0 / length
        rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2),
                                      float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        alpha = cv2.filter2D(canvas, -1, kernel / max(kernel.sum(), 1e-6))
    elif kind == 'lace':
        body = _polygon_mask(rng, hw, 0.36)
        period = rng.uniform(7.0, 14.0)
        theta = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        u = xx * np.cos(theta) + yy * np.sin(theta)
        v = -xx * np.sin(theta) + yy * np.cos(theta)
        holes = (np.cos(2 * np.pi * u / period) *
                 np.cos(2 * np.pi * v / period))
        holes = np.clip((holes - 0.2) * 3.0, 0, 1)  # soft round holes
        # a lace border around an opaque centre patch (the inner half of
        # the polygon by distance to its edge)
        dist = cv2.distanceTransform((body > 0.5).astype(np.uint8),
                                     cv2.DIST_L2, 5)
        patch = (dist > 0.5 * dist.max()).astype(np.float32)
        alpha = np.maximum(body * (1 - holes) * rng.uniform(0.7, 1.0),
                           patch)
        alpha = cv2.GaussianBlur(alpha, (0, 0), 0.7)
    elif kind == 'smoke':
        field = np.zeros(hw, np.float32)
        for octave, cells in enumerate((3, 6, 12, 24)):
            field += _smooth_noise(rng, hw, cells) * 0.5**octave
        field /= field.max()
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = np.hypot((yy - h / 2) / (0.45 * h), (xx - w / 2) / (0.45 * w))
        alpha = np.clip((field - 0.35) * 2.2, 0, 0.9) * np.clip(
            (1 - d) * 3, 0, 1)
        # the smoke's source: an opaque soft-edged blob at the centre
        source = np.clip((0.35 - d) * 8, 0, 1)
        alpha = np.maximum(alpha, source)
    elif kind == 'fur':
        s = 4
        cy, cx = h * rng.uniform(0.42, 0.58), w * rng.uniform(0.42, 0.58)
        r0 = min(h, w) * rng.uniform(0.18, 0.26)
        canvas = np.zeros((h * s, w * s), np.uint8)
        cv2.circle(canvas, (int(cx * s), int(cy * s)), int(r0 * s), 255, -1,
                   cv2.LINE_AA)
        n_fibres = int(rng.integers(600, 1200))
        t = rng.uniform(-np.pi, np.pi, n_fibres)
        length = min(h, w) * rng.uniform(0.02, 0.07, n_fibres)
        tilt = t + rng.normal(0, 0.15, n_fibres)
        x0, y0 = cx + r0 * np.cos(t), cy + r0 * np.sin(t)
        x1, y1 = x0 + length * np.cos(tilt), y0 + length * np.sin(tilt)
        for a, b, c, d in zip(x0, y0, x1, y1):
            cv2.line(canvas, (int(a * s), int(b * s)), (int(c * s),
                                                        int(d * s)),
                     int(rng.integers(160, 256)), 1, cv2.LINE_AA)
        alpha = cv2.resize(canvas, (w, h),
                           interpolation=cv2.INTER_AREA).astype(
                               np.float32) / 255
    else:
        raise ValueError(f'unknown held-out matte kind {kind!r}; choose '
                         f'from {HELDOUT_KINDS}')
    alpha = np.clip(alpha, 0, 1)
    alpha[alpha < 0.5 / 255] = 0
    alpha[alpha > 1 - 0.5 / 255] = 1
    alpha = np.round(alpha * 255).astype(np.uint8)
    core = cv2.erode((alpha == 255).astype(np.uint8),
                     cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15)))
    if not core.any():
        return make_alpha_heldout(rng, hw, kind)
    return alpha


def _size(rng: np.random.Generator, base: int) -> Tuple[int, int]:
    return (int(rng.integers(base - 32, base + 65)),
            int(rng.integers(base - 32, base + 65)))


def _write_bgs(rng: np.random.Generator, photos: Dict[str, np.ndarray],
               root: str, sources: Sequence[str], num: int,
               size: int) -> List[str]:
    """Write ``num`` background crops of ``sources`` into ``root/bg``."""
    names = []
    for i in range(num):
        hw = _size(rng, size + 64)
        name = f'demo_bg_{i:03d}.jpg'
        atomic_imwrite(random_crop(rng, photos[sources[i % len(sources)]], hw), osp.join(root, 'bg', name), JPEG_PARAMS)
        names.append(name)
    return names


def _write_test_set(rng: np.random.Generator, root: str, num_test: int,
                    bg_per_test: int, bg_names: Sequence[str],
                    fg_and_alpha) -> Tuple[List[str], List[str]]:
    """Write test foregrounds / alphas / erosion trimaps under ``root``.

    Returns:
        tuple[list[str], list[str]]: Test fg names and their backgrounds.
    """
    test_names, test_bg = [], []
    for i in range(num_test):
        name = f'demo_test_{i:03d}.png'
        fg, alpha = fg_and_alpha(i)
        atomic_imwrite(fg, osp.join(root, TEST_FG_DIR, name), PNG_PARAMS)
        atomic_imwrite(alpha, osp.join(root, TEST_ALPHA_DIR, name), PNG_PARAMS)
        for j in range(bg_per_test):
            k_fg, k_bg = (int(k) for k in rng.integers(5, 16, size=2))
            atomic_imwrite(erosion_trimap(alpha, k_fg, k_bg), osp.join(root, TEST_TRIMAP_DIR, f'demo_test_{i:03d}_{j}.png'), PNG_PARAMS)
            test_bg.append(bg_names[int(rng.integers(len(bg_names)))])
        test_names.append(name)
    return test_names, test_bg


def _write_names(root: str, lists: Dict[str, Sequence[str]]) -> None:
    for rel, names in lists.items():
        atomic_write_bytes(
            osp.join(root, rel), ''.join(n + '\n' for n in names).encode())


def make_comp1k(rng: np.random.Generator, photos: Dict[str, np.ndarray],
                root: str, num_train: int, num_test: int, bg_per_train: int,
                bg_per_test: int, num_bg: int, size: int) -> Dict[str, int]:
    """Write the Composition-1k-layout matting set and its annotations.

    Training and (in-distribution) test foregrounds are cut from
    ``FG_SOURCES`` with :func:`make_alpha` mattes, backgrounds from
    ``BG_SOURCES``.

    Args:
        rng (np.random.Generator): Random source.
        photos (dict): Source photos.
        root (str): ``<out>/comp1k``.
        num_train (int): Training foregrounds.
        num_test (int): Test foregrounds.
        bg_per_train (int): Backgrounds listed per training foreground.
        bg_per_test (int): Composites per test foreground.
        num_bg (int): Images in ``bg/``.
        size (int): Typical side length of a foreground.

    Returns:
        dict[str, int]: Entries per annotation file.
    """
    bg_names = _write_bgs(rng, photos, root, BG_SOURCES, num_bg, size)

    def fg_and_alpha(idx: int) -> Tuple[np.ndarray, np.ndarray]:
        src = FG_SOURCES[idx % len(FG_SOURCES)]
        hw = _size(rng, size)
        return random_crop(rng, photos[src], hw), make_alpha(rng, hw)

    n_other = max(1, num_train // 5) if num_train > 1 else 0
    train_names = []
    for i in range(num_train):
        sub = 'Other' if i >= num_train - n_other else 'Adobe-licensed images'
        name = f'demo_fg_{i:03d}.png'
        fg, alpha = fg_and_alpha(i)
        base = osp.join(root, 'Training_set', sub)
        atomic_imwrite(fg, osp.join(base, 'fg', name), PNG_PARAMS)
        atomic_imwrite(alpha, osp.join(base, 'alpha', name), PNG_PARAMS)
        train_names.append(name)
    train_bg = [
        bg_names[int(k)] for _ in train_names
        for k in rng.choice(len(bg_names), bg_per_train, replace=False)
    ]
    test_names, test_bg = _write_test_set(
        rng, root, num_test, bg_per_test, bg_names,
        lambda i: fg_and_alpha(i + 3))
    _write_names(
        root, {
            'Training_set/training_fg_names.txt': train_names,
            'Training_set/training_bg_names.txt': train_bg,
            'Test_set/test_fg_names.txt': test_names,
            'Test_set/test_bg_names.txt': test_bg
        })
    bg_dir = osp.join(root, 'bg')
    return convert(root, coco_dir=bg_dir, voc_dir=bg_dir)


def make_heldout(rng: np.random.Generator, photos: Dict[str, np.ndarray],
                 root: str, num_test: int, bg_per_test: int, num_bg: int,
                 size: int) -> Dict[str, int]:
    """Write the held-out test split (``comp1k_heldout/``).

    Foregrounds and backgrounds come from the held-out photo pool only and
    the mattes from :func:`make_alpha_heldout`, cycling through
    ``HELDOUT_KINDS``.

    Args:
        rng (np.random.Generator): Random source.
        photos (dict): Source photos.
        root (str): ``<out>/comp1k_heldout``.
        num_test (int): Test foregrounds.
        bg_per_test (int): Composites per test foreground.
        num_bg (int): Background images.
        size (int): Typical side length of a foreground.

    Returns:
        dict[str, int]: Entries of ``test_list.json``.
    """
    bg_names = _write_bgs(rng, photos, root, HELDOUT_BG_SOURCES, num_bg,
                          size)

    def fg_and_alpha(idx: int) -> Tuple[np.ndarray, np.ndarray]:
        src = HELDOUT_FG_SOURCES[idx % len(HELDOUT_FG_SOURCES)]
        hw = _size(rng, size)
        kind = HELDOUT_KINDS[idx % len(HELDOUT_KINDS)]
        return random_crop(rng, photos[src], hw), make_alpha_heldout(
            rng, hw, kind)

    test_names, test_bg = _write_test_set(rng, root, num_test, bg_per_test,
                                          bg_names, fg_and_alpha)
    _write_names(root, {
        'Test_set/test_fg_names.txt': test_names,
        'Test_set/test_bg_names.txt': test_bg
    })
    bg_dir = osp.join(root, 'bg')
    return {
        f'heldout/{k}': v
        for k, v in convert(
            root, coco_dir=bg_dir, voc_dir=bg_dir, skip_train=True).items()
    }


def make_scarce(comp1k_root: str, root: str, num_fg: int) -> Dict[str, int]:
    """Write the scarce-label training set: the first ``num_fg`` training
    foregrounds of ``comp1k_root`` in a root of their own.

    Args:
        comp1k_root (str): The full demo matting set.
        root (str): ``<out>/comp1k_scarce``.
        num_fg (int): Foregrounds kept.

    Returns:
        dict[str, int]: Entries of ``training_list.json``.
    """
    names = read_names(
        osp.join(comp1k_root, 'Training_set', 'training_fg_names.txt'))
    bgs = read_names(
        osp.join(comp1k_root, 'Training_set', 'training_bg_names.txt'))
    if not 1 <= num_fg <= len(names):
        raise ValueError(f'num_scarce must be in 1..{len(names)}, got '
                         f'{num_fg}')
    per_fg = len(bgs) // len(names)
    for sub in ('Adobe-licensed images', 'Other'):  # both, as Comp-1k
        for kind in ('fg', 'alpha'):
            os.makedirs(osp.join(root, 'Training_set', sub, kind),
                        exist_ok=True)
    for name in names[:num_fg]:
        for sub in ('Adobe-licensed images', 'Other'):
            for kind in ('fg', 'alpha'):
                src = osp.join(comp1k_root, 'Training_set', sub, kind, name)
                if osp.isfile(src):
                    with open(src, 'rb') as f:
                        atomic_write_bytes(
                            osp.join(root, 'Training_set', sub, kind, name),
                            f.read())
    _write_names(
        root, {
            'Training_set/training_fg_names.txt': names[:num_fg],
            'Training_set/training_bg_names.txt': bgs[:num_fg * per_fg]
        })
    return {
        f'scarce/{k}': v
        for k, v in convert(
            root, coco_dir=osp.join(comp1k_root, 'bg'),
            skip_test=True).items()
    }


def make_demo_data(out: str,
                   seed: int = 0,
                   num_in1k: int = 1500,
                   num_train: int = 20,
                   num_test: int = 6,
                   bg_per_train: int = 2,
                   bg_per_test: int = 2,
                   num_bg: int = 30,
                   size: int = 320,
                   num_heldout: int = 10,
                   num_scarce: int = 4,
                   skip_existing: bool = False) -> Dict[str, int]:
    """Write the whole demo data set under ``out``.

    Args:
        out (str): Output folder (``in1k/``, ``comp1k/``,
            ``comp1k_heldout/`` and ``comp1k_scarce/`` inside are replaced).
        seed (int): Seed; the same seed gives byte-identical files.
        num_in1k (int): Unlabeled images.
        num_train (int): Training foregrounds.
        num_test (int): In-distribution test foregrounds.
        bg_per_train (int): Backgrounds listed per training foreground.
        bg_per_test (int): Test composites per test foreground (both
            splits).
        num_bg (int): COCO stand-in backgrounds (each split).
        size (int): Typical foreground side length.
        num_heldout (int): Held-out test foregrounds.
        num_scarce (int): Foregrounds of the scarce-label training set (at
            most ``num_train``).
        skip_existing (bool): Return at once if ``out`` holds a stamp of the
            same arguments.

    Returns:
        dict[str, int]: Counts of what was written (empty when skipped).
    """
    num_scarce = min(num_scarce, num_train)  # a subset of the training set
    args = dict(
        version=VERSION,
        seed=seed,
        num_in1k=num_in1k,
        num_train=num_train,
        num_test=num_test,
        bg_per_train=bg_per_train,
        bg_per_test=bg_per_test,
        num_bg=num_bg,
        size=size,
        num_heldout=num_heldout,
        num_scarce=num_scarce)
    for key, val in args.items():
        if key != 'seed' and val < 1:
            raise ValueError(f'{key} must be >= 1, got {val}')
    stamp_path = osp.join(out, '.demo_stamp')
    if skip_existing and osp.isfile(stamp_path):
        with open(stamp_path) as f:
            if f.read().strip() == json.dumps(args, sort_keys=True):
                return {}
    if osp.exists(stamp_path):
        os.remove(stamp_path)
    for sub in ('in1k', 'comp1k', 'comp1k_heldout', 'comp1k_scarce'):
        if osp.isdir(osp.join(out, sub)):
            shutil.rmtree(osp.join(out, sub))
    photos = load_photos()
    # independent streams so that changing one part's size keeps the others
    ss_in1k, ss_comp, ss_held = np.random.SeedSequence(seed).spawn(3)
    rel = make_in1k(
        np.random.default_rng(ss_in1k), photos, osp.join(out, 'in1k'),
        num_in1k)
    counts = make_comp1k(
        np.random.default_rng(ss_comp), photos, osp.join(out, 'comp1k'),
        num_train, num_test, bg_per_train, bg_per_test, num_bg, size)
    counts.update(
        make_heldout(
            np.random.default_rng(ss_held), photos,
            osp.join(out, 'comp1k_heldout'), num_heldout, bg_per_test,
            num_bg, size))
    counts.update(
        make_scarce(
            osp.join(out, 'comp1k'), osp.join(out, 'comp1k_scarce'),
            num_scarce))
    counts['in1k'] = len(rel)
    atomic_write_bytes(stamp_path,
                       (json.dumps(args, sort_keys=True) + '\n').encode())
    return counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-in1k', type=int, default=1500)
    parser.add_argument('--num-train', type=int, default=20)
    parser.add_argument('--num-test', type=int, default=6)
    parser.add_argument('--bg-per-train', type=int, default=2)
    parser.add_argument('--bg-per-test', type=int, default=2)
    parser.add_argument('--num-bg', type=int, default=30)
    parser.add_argument('--size', type=int, default=320)
    parser.add_argument('--num-heldout', type=int, default=10)
    parser.add_argument('--num-scarce', type=int, default=4)
    parser.add_argument(
        '--skip-existing',
        action='store_true',
        help='do nothing if --out already holds data of these arguments')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    t0 = time.time()
    counts = make_demo_data(args.out, args.seed, args.num_in1k,
                            args.num_train, args.num_test, args.bg_per_train,
                            args.bg_per_test, args.num_bg, args.size,
                            args.num_heldout, args.num_scarce,
                            args.skip_existing)
    if not counts:
        print(f'{args.out}: demo data of these arguments already present')
        return
    print(f'{args.out}: wrote ' +
          ', '.join(f'{k}={v}' for k, v in sorted(counts.items())) +
          f' in {time.time() - t0:.1f}s')


if __name__ == '__main__':
    main()
