"""Make the small embedded demo data set, deterministically from a seed.

Everything is cut from the sample photographs that scikit-image ships
(``skimage.data``: astronaut, coffee, chelsea, rocket, ...), so nothing is
downloaded. Two parts are written under ``--out`` (default ``data/demo``):

``in1k/``: unlabeled images in ImageNet train layout for DPT pre-training,
    ``train/<class>/<class>_<i>.JPEG`` (one class per source photo, random
    crops, flips and rescales, short side 256-400 px, long side <= 500 px)
    and ``meta/train.txt`` listing one path per line, relative to
    ``train/`` like ImageNet's own ``meta/train.txt``.

``comp1k/``: a matting set in Composition-1k layout (see ``comp1k.py``):
    training foregrounds and procedural alpha mattes with matting structure
    (a soft-edged body, thin hair-like strands, semi-transparent veils) in
    ``Training_set/{Adobe-licensed images,Other}/{fg,alpha}``, test
    foregrounds / alphas / trimaps (random erosion of the alpha's known
    regions) in ``Test_set/Adobe-licensed images``, COCO stand-in
    backgrounds in ``bg/`` (cut from other photos), the DIM name lists, and
    the mmagic annotation files ``training_list.json`` / ``test_list.json``
    written by ``comp1k.py`` (which also composites the test images into
    ``Test_set/merged``).

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
from typing import Dict, List, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from comp1k import (TEST_ALPHA_DIR, TEST_FG_DIR, TEST_TRIMAP_DIR,  # noqa
                    atomic_write_bytes, convert, erosion_trimap,
                    imwrite_atomic)

VERSION = 1
# photos used as foregrounds / ImageNet classes / backgrounds; grey ones are
# replicated to three channels
FG_SOURCES = ('astronaut', 'chelsea', 'coffee', 'rocket', 'motorcycle',
              'immunohistochemistry')
BG_SOURCES = ('hubble_deep_field', 'retina', 'camera', 'coins', 'moon',
              'grass', 'gravel', 'brick', 'clock', 'cell')
IN1K_SOURCES = FG_SOURCES + BG_SOURCES[:6]
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
    for name in sorted(set(FG_SOURCES + BG_SOURCES)):
        if name == 'motorcycle':
            img = skd.stereo_motorcycle()[0]
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
        imwrite_atomic(osp.join(root, 'train', rel), img, JPEG_PARAMS)
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


def _size(rng: np.random.Generator, base: int) -> Tuple[int, int]:
    return (int(rng.integers(base - 32, base + 65)),
            int(rng.integers(base - 32, base + 65)))


def make_comp1k(rng: np.random.Generator, photos: Dict[str, np.ndarray],
                root: str, num_train: int, num_test: int, bg_per_train: int,
                bg_per_test: int, num_bg: int, size: int) -> Dict[str, int]:
    """Write the Composition-1k-layout matting set and its annotations.

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
    bg_names = []
    for i in range(num_bg):
        src = BG_SOURCES[i % len(BG_SOURCES)]
        hw = _size(rng, size + 64)
        name = f'demo_bg_{i:03d}.jpg'
        imwrite_atomic(
            osp.join(root, 'bg', name), random_crop(rng, photos[src], hw),
            JPEG_PARAMS)
        bg_names.append(name)

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
        imwrite_atomic(osp.join(base, 'fg', name), fg, PNG_PARAMS)
        imwrite_atomic(osp.join(base, 'alpha', name), alpha, PNG_PARAMS)
        train_names.append(name)
    train_bg = [
        bg_names[int(k)] for _ in train_names
        for k in rng.choice(len(bg_names), bg_per_train, replace=False)
    ]

    test_names, test_bg = [], []
    for i in range(num_test):
        name = f'demo_test_{i:03d}.png'
        fg, alpha = fg_and_alpha(i + 3)
        imwrite_atomic(osp.join(root, TEST_FG_DIR, name), fg, PNG_PARAMS)
        imwrite_atomic(osp.join(root, TEST_ALPHA_DIR, name), alpha,
                       PNG_PARAMS)
        for j in range(bg_per_test):
            k_fg, k_bg = (int(k) for k in rng.integers(5, 16, size=2))
            imwrite_atomic(
                osp.join(root, TEST_TRIMAP_DIR, f'demo_test_{i:03d}_{j}.png'),
                erosion_trimap(alpha, k_fg, k_bg), PNG_PARAMS)
            test_bg.append(bg_names[int(rng.integers(len(bg_names)))])
        test_names.append(name)

    for rel, names in (('Training_set/training_fg_names.txt', train_names),
                       ('Training_set/training_bg_names.txt', train_bg),
                       ('Test_set/test_fg_names.txt', test_names),
                       ('Test_set/test_bg_names.txt', test_bg)):
        atomic_write_bytes(
            osp.join(root, rel), ''.join(n + '\n' for n in names).encode())
    bg_dir = osp.join(root, 'bg')
    return convert(root, coco_dir=bg_dir, voc_dir=bg_dir)


def make_demo_data(out: str,
                   seed: int = 0,
                   num_in1k: int = 300,
                   num_train: int = 20,
                   num_test: int = 4,
                   bg_per_train: int = 2,
                   bg_per_test: int = 2,
                   num_bg: int = 30,
                   size: int = 320,
                   skip_existing: bool = False) -> Dict[str, int]:
    """Write the whole demo data set under ``out``.

    Args:
        out (str): Output folder (``in1k/`` and ``comp1k/`` inside are
            replaced).
        seed (int): Seed; the same seed gives byte-identical files.
        num_in1k (int): Unlabeled images.
        num_train (int): Training foregrounds.
        num_test (int): Test foregrounds.
        bg_per_train (int): Backgrounds listed per training foreground.
        bg_per_test (int): Test composites per test foreground.
        num_bg (int): COCO stand-in backgrounds.
        size (int): Typical foreground side length.
        skip_existing (bool): Return at once if ``out`` holds a stamp of the
            same arguments.

    Returns:
        dict[str, int]: Counts of what was written (empty when skipped).
    """
    args = dict(
        version=VERSION,
        seed=seed,
        num_in1k=num_in1k,
        num_train=num_train,
        num_test=num_test,
        bg_per_train=bg_per_train,
        bg_per_test=bg_per_test,
        num_bg=num_bg,
        size=size)
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
    for sub in ('in1k', 'comp1k'):
        if osp.isdir(osp.join(out, sub)):
            shutil.rmtree(osp.join(out, sub))
    photos = load_photos()
    # independent streams so that changing one part's size keeps the other
    ss_in1k, ss_comp = np.random.SeedSequence(seed).spawn(2)
    rel = make_in1k(
        np.random.default_rng(ss_in1k), photos, osp.join(out, 'in1k'),
        num_in1k)
    counts = make_comp1k(
        np.random.default_rng(ss_comp), photos, osp.join(out, 'comp1k'),
        num_train, num_test, bg_per_train, bg_per_test, num_bg, size)
    counts['in1k'] = len(rel)
    atomic_write_bytes(stamp_path,
                       (json.dumps(args, sort_keys=True) + '\n').encode())
    return counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-in1k', type=int, default=300)
    parser.add_argument('--num-train', type=int, default=20)
    parser.add_argument('--num-test', type=int, default=4)
    parser.add_argument('--bg-per-train', type=int, default=2)
    parser.add_argument('--bg-per-test', type=int, default=2)
    parser.add_argument('--num-bg', type=int, default=30)
    parser.add_argument('--size', type=int, default=320)
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
                            args.skip_existing)
    if not counts:
        print(f'{args.out}: demo data of these arguments already present')
        return
    print(f'{args.out}: wrote ' +
          ', '.join(f'{k}={v}' for k, v in sorted(counts.items())) +
          f' in {time.time() - t0:.1f}s')


if __name__ == '__main__':
    main()
