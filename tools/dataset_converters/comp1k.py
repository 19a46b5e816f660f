r"""Write mmagic's annotation files for Adobe Composition-1k.

``training_list.json`` / ``test_list.json`` for ``AdobeComp1kDataset``,
each file validated, missing test composites made with DIM's recipe, all
written atomically (docs/data_preparation.md). mmagic's own converter is
not in its wheel and always recomposites the training set.

Usage::

    python tools/dataset_converters/comp1k.py data/adobe_composition-1k \
        --coco-dir data/coco/train2017 \
        --voc-dir data/VOCdevkit/VOC2012/JPEGImages
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

TRAIN_FG_DIRS = ('Training_set/Adobe-licensed images/fg',
                 'Training_set/Other/fg')
TRAIN_ALPHA_DIRS = ('Training_set/Adobe-licensed images/alpha',
                    'Training_set/Other/alpha')
TEST_FG_DIR = 'Test_set/Adobe-licensed images/fg'
TEST_ALPHA_DIR = 'Test_set/Adobe-licensed images/alpha'
TEST_TRIMAP_DIR = 'Test_set/Adobe-licensed images/trimaps'
TEST_MERGED_DIR = 'Test_set/merged'
TEST_BG_DIR = 'Test_set/bg'


class DatasetLayoutError(RuntimeError):
    """The dataset on disk does not match the expected layout."""


# the package's atomic writer without ``import dpt_mm`` (torch and mmagic,
# which the data tools do not need)
sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))
from light_import import import_light  # noqa: E402

_io = import_light('utils.io')
atomic_write_bytes = _io.atomic_write_bytes
atomic_imwrite = _io.atomic_imwrite
IMG_EXTENSIONS = _io.IMG_EXTENSIONS


def dump_json_atomic(obj, path: str) -> None:
    """Dump ``obj`` as indented JSON to ``path`` atomically.

    Args:
        obj: JSON-serialisable object.
        path (str): Destination file.
    """
    _io.atomic_write_text(path, json.dumps(obj, indent=2) + '\n')


def read_image(path: str, flag: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Read an image or raise an error naming the file and the problem.

    Args:
        path (str): Image file.
        flag (int): OpenCV read flag.

    Returns:
        np.ndarray: The decoded image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file does not exist')
    img = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flag)
    if img is None:
        raise DatasetLayoutError(
            f'{path}: cannot decode the file as an image (empty or corrupt)')
    return img


def read_names(path: str) -> List[str]:
    """Read a names file (one file name per line, blank lines ignored).

    Args:
        path (str): The text file.

    Returns:
        list[str]: The names in file order.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: names file does not exist')
    with open(path, encoding='utf-8') as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise DatasetLayoutError(f'{path}: names file is empty')
    return names


# ---------------------------------------------------------------------------
# matting helpers shared by the converters and the demo generator
# ---------------------------------------------------------------------------
def dim_composite(fg: np.ndarray, bg: np.ndarray,
                  alpha: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Composite like DIM's test-set script.

    The background is scaled (bicubic) just enough to cover the foreground,
    then cropped at its top-left corner to the foreground size.

    Args:
        fg (np.ndarray): HxWx3 uint8 foreground.
        bg (np.ndarray): uint8 background of any size.
        alpha (np.ndarray): HxW uint8 alpha matte.

    Returns:
        tuple[np.ndarray, np.ndarray]: uint8 merged image and the cropped
        background, both HxWx3.
    """
    h, w = fg.shape[:2]
    if alpha.shape[:2] != (h, w):
        raise ValueError(f'alpha size {alpha.shape[:2]} differs from '
                         f'foreground size {(h, w)}')
    bh, bw = bg.shape[:2]
    ratio = max(w / bw, h / bh)
    if ratio > 1:
        bg = cv2.resize(bg, (math.ceil(bw * ratio), math.ceil(bh * ratio)),
                        interpolation=cv2.INTER_CUBIC)
    bg = np.ascontiguousarray(bg[:h, :w])
    a = alpha.astype(np.float64)[..., None] / 255.
    merged = (fg.astype(np.float64) * a + bg.astype(np.float64) * (1 - a))
    return merged.astype(np.uint8), bg


def random_dilation_trimap(alpha: np.ndarray,
                           rng: np.random.Generator,
                           kernel_range: Tuple[int, int] = (1, 30)
                           ) -> np.ndarray:
    """Trimap from an alpha matte by random erosion of its known regions.

    mmagic's ``GenerateTrimap`` rule at the image's own size (elliptical
    kernels, independent sizes for fg and bg; MG Matting's training-time
    ``GenMask`` erodes at 640x640 instead, see ``GenerateTrimapResized``),
    drawn from an explicit generator so that converters can make
    reproducible test trimaps.

    Args:
        alpha (np.ndarray): HxW uint8 alpha.
        rng (np.random.Generator): Source of the two kernel sizes.
        kernel_range (tuple[int, int]): Kernel sizes are drawn from
            ``[low, high)``.

    Returns:
        np.ndarray: HxW uint8 trimap with values 0 / 128 / 255.
    """
    low, high = kernel_range
    if not 1 <= low < high:
        raise ValueError(f'kernel_range must satisfy 1 <= low < high, '
                         f'got {kernel_range}')
    k_fg, k_bg = (int(k) for k in rng.integers(low, high, size=2))
    return erosion_trimap(alpha, k_fg, k_bg)


def erosion_trimap(alpha: np.ndarray, fg_kernel: int,
                   bg_kernel: int) -> np.ndarray:
    """Trimap whose unknown band is the alpha's soft region grown by kernels.

    Args:
        alpha (np.ndarray): HxW uint8 alpha.
        fg_kernel (int): Ellipse size eroding the opaque (alpha == 255) area.
        bg_kernel (int): Ellipse size eroding the clear (alpha == 0) area.

    Returns:
        np.ndarray: HxW uint8 trimap (0 bg, 128 unknown, 255 fg).
    """
    alpha = np.asarray(alpha)
    if alpha.ndim == 3:
        alpha = alpha[..., 0]
    fg = (alpha == 255).astype(np.uint8)
    bg = (alpha == 0).astype(np.uint8)
    ker = cv2.getStructuringElement
    fg = cv2.erode(fg, ker(cv2.MORPH_ELLIPSE, (fg_kernel, fg_kernel)))
    bg = cv2.erode(bg, ker(cv2.MORPH_ELLIPSE, (bg_kernel, bg_kernel)))
    trimap = np.full(alpha.shape, 128, dtype=np.uint8)
    trimap[fg == 1] = 255
    trimap[bg == 1] = 0
    return trimap


def _first_existing(data_root: str, dirs: Sequence[str], name: str) -> str:
    for d in dirs:
        if osp.isfile(osp.join(data_root, d, name)):
            return osp.join(d, name)
    raise FileNotFoundError(
        f'{name}: not found in any of ' +
        ', '.join(osp.join(data_root, d) for d in dirs))


def resolve_coco_name(coco_dir: str, name: str) -> str:
    """Find a DIM background name in a COCO 2014 or 2017 folder.

    Args:
        coco_dir (str): Folder with COCO images.
        name (str): Name from ``training_bg_names.txt``.

    Returns:
        str: Full path of the existing file.
    """
    path = osp.join(coco_dir, name)
    if osp.isfile(path):
        return path
    for prefix in ('COCO_train2014_', 'COCO_val2014_'):
        if name.startswith(prefix):
            alt = osp.join(coco_dir, name[len(prefix):])
            if osp.isfile(alt):
                return alt
    raise FileNotFoundError(f'{path}: background listed in '
                            'training_bg_names.txt does not exist')


def build_train_list(data_root: str,
                     coco_dir: Optional[str] = None,
                     with_bg: bool = True) -> List[Dict[str, str]]:
    """Annotation entries of the Composition-1k training set.

    Args:
        data_root (str): Composition-1k root.
        coco_dir (str, optional): COCO image folder, needed if ``with_bg``.
        with_bg (bool): Pair each foreground with its listed backgrounds.

    Returns:
        list[dict]: Entries with ``alpha_path``, ``fg_path`` (and
        ``bg_path``), relative to ``data_root``.
    """
    fg_names = read_names(
        osp.join(data_root, 'Training_set', 'training_fg_names.txt'))
    entries = []
    if with_bg:
        if coco_dir is None:
            raise ValueError('coco_dir is required when with_bg is True')
        bg_file = osp.join(data_root, 'Training_set', 'training_bg_names.txt')
        bg_names = read_names(bg_file)
        if len(bg_names) % len(fg_names):
            raise DatasetLayoutError(
                f'{bg_file}: {len(bg_names)} backgrounds is not a multiple '
                f'of the {len(fg_names)} foregrounds')
        per_fg = len(bg_names) // len(fg_names)
    for i, name in enumerate(fg_names):
        item = dict(
            alpha_path=_first_existing(data_root, TRAIN_ALPHA_DIRS, name),
            fg_path=_first_existing(data_root, TRAIN_FG_DIRS, name))
        if not with_bg:
            entries.append(item)
            continue
        for bg_name in bg_names[i * per_fg:(i + 1) * per_fg]:
            bg = resolve_coco_name(coco_dir, bg_name)
            entries.append(dict(item, bg_path=osp.relpath(bg, data_root)))
    return entries


def build_test_list(data_root: str,
                    voc_dir: Optional[str] = None) -> List[Dict[str, str]]:
    """Annotation entries of the Composition-1k test set.

    Composites that are missing are made (DIM recipe) when ``voc_dir`` is
    given; otherwise a missing composite is an error.

    Args:
        data_root (str): Composition-1k root.
        voc_dir (str, optional): Folder of the VOC test backgrounds.

    Returns:
        list[dict]: Entries with ``alpha_path``, ``trimap_path``,
        ``merged_path`` (and ``fg_path`` / ``bg_path`` for the Adobe
        layout).
    """
    flat_alpha = osp.join(data_root, 'Test_set', 'alpha_copy')
    if osp.isdir(flat_alpha):
        return _build_flat_test_list(data_root)
    fg_names = read_names(osp.join(data_root, 'Test_set',
                                   'test_fg_names.txt'))
    bg_file = osp.join(data_root, 'Test_set', 'test_bg_names.txt')
    bg_names = read_names(bg_file)
    if len(bg_names) % len(fg_names):
        raise DatasetLayoutError(
            f'{bg_file}: {len(bg_names)} backgrounds is not a multiple of '
            f'the {len(fg_names)} foregrounds')
    per_fg = len(bg_names) // len(fg_names)
    entries = []
    for i, name in enumerate(fg_names):
        stem, ext = osp.splitext(name)
        alpha_path = _first_existing(data_root, [TEST_ALPHA_DIR], name)
        fg_path = _first_existing(data_root, [TEST_FG_DIR], name)
        fg = alpha = None
        for j, bg_name in enumerate(bg_names[i * per_fg:(i + 1) * per_fg]):
            comp = f'{stem}_{j}.png'
            trimap_path = _trimap_path(data_root, stem, j, ext)
            merged_path = osp.join(TEST_MERGED_DIR, comp)
            bg_path = osp.join(TEST_BG_DIR, comp)
            if not (osp.isfile(osp.join(data_root, merged_path))
                    and osp.isfile(osp.join(data_root, bg_path))):
                if voc_dir is None:
                    raise FileNotFoundError(
                        f'{osp.join(data_root, merged_path)}: test composite '
                        'missing; pass --voc-dir to make it')
                if fg is None:
                    fg = read_image(osp.join(data_root, fg_path))
                    alpha = read_image(
                        osp.join(data_root, alpha_path), cv2.IMREAD_GRAYSCALE)
                bg = read_image(osp.join(voc_dir, bg_name))
                merged, bg_crop = dim_composite(fg, bg, alpha)
                atomic_imwrite(bg_crop, osp.join(data_root, bg_path))
                atomic_imwrite(merged, osp.join(data_root, merged_path))
            entries.append(
                dict(
                    alpha_path=alpha_path,
                    trimap_path=trimap_path,
                    fg_path=fg_path,
                    bg_path=bg_path,
                    merged_path=merged_path))
    return entries


def _trimap_path(data_root: str, stem: str, j: int, ext: str) -> str:
    for name in (f'{stem}_{j}.png', f'{stem}_{j}{ext}'):
        if osp.isfile(osp.join(data_root, TEST_TRIMAP_DIR, name)):
            return osp.join(TEST_TRIMAP_DIR, name)
    raise FileNotFoundError(
        f'{osp.join(data_root, TEST_TRIMAP_DIR, stem)}_{j}.png: '
        'trimap of test composite does not exist')


def _build_flat_test_list(data_root: str) -> List[Dict[str, str]]:
    merged_dir = osp.join('Test_set', 'merged')
    names = sorted(os.listdir(osp.join(data_root, merged_dir)))
    if not names:
        raise DatasetLayoutError(
            f'{osp.join(data_root, merged_dir)}: no test images')
    entries = []
    for name in names:
        alpha_path = osp.join('Test_set', 'alpha_copy', name)
        trimap_path = osp.join('Test_set', 'trimaps', name)
        for p in (alpha_path, trimap_path):
            if not osp.isfile(osp.join(data_root, p)):
                raise FileNotFoundError(
                    f'{osp.join(data_root, p)}: missing for test image '
                    f'{osp.join(data_root, merged_dir, name)}')
        entries.append(
            dict(
                alpha_path=alpha_path,
                trimap_path=trimap_path,
                merged_path=osp.join(merged_dir, name)))
    return entries


def convert(data_root: str,
            coco_dir: Optional[str] = None,
            voc_dir: Optional[str] = None,
            with_bg: bool = True,
            skip_train: bool = False,
            skip_test: bool = False) -> Dict[str, int]:
    """Write ``training_list.json`` and ``test_list.json`` under data_root.

    Args:
        data_root (str): Composition-1k root.
        coco_dir (str, optional): COCO image folder for the training pairs.
        voc_dir (str, optional): VOC image folder for missing test
            composites.
        with_bg (bool): Pair training foregrounds with their backgrounds.
        skip_train (bool): Do not write the training list.
        skip_test (bool): Do not write the test list.

    Returns:
        dict[str, int]: Number of entries written per file.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'{data_root}: data root does not exist')
    counts = {}
    meta = dict(dataset_type='matting_dataset', task_name='matting')
    if not skip_train:
        train = build_train_list(data_root, coco_dir, with_bg)
        dump_json_atomic(
            dict(metainfo=meta, data_list=train),
            osp.join(data_root, 'training_list.json'))
        counts['training_list.json'] = len(train)
    if not skip_test:
        test = build_test_list(data_root, voc_dir)
        dump_json_atomic(
            dict(metainfo=meta, data_list=test),
            osp.join(data_root, 'test_list.json'))
        counts['test_list.json'] = len(test)
    return counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write mmagic annotation files for Composition-1k')
    parser.add_argument('data_root', help='Composition-1k root folder')
    parser.add_argument(
        '--coco-dir',
        default='data/coco/train2017',
        help='COCO train2014 or train2017 image folder (training pairs)')
    parser.add_argument(
        '--voc-dir',
        default=None,
        help='VOC2012 JPEGImages folder, to composite missing test images')
    parser.add_argument(
        '--no-bg',
        action='store_true',
        help='list each training foreground once, without backgrounds')
    parser.add_argument('--skip-train', action='store_true')
    parser.add_argument('--skip-test', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    counts = convert(args.data_root, args.coco_dir, args.voc_dir,
                     not args.no_bg, args.skip_train, args.skip_test)
    for name, n in counts.items():
        print(f'{osp.join(args.data_root, name)}: {n} entries')


if __name__ == '__main__':
    main()
