r"""Write mmagic annotation files for Distinctions-646 (Distinct-646).

The release holds foregrounds and alpha mattes only::

    <data_root>/Train/FG/*.png   Train/GT/*.png   (596 pairs; GT = alpha)
    <data_root>/Test/FG/*.png    Test/GT/*.png    (50 pairs)

(``Alpha`` is accepted in place of ``GT``.) This converter writes, under
``data_root``:

``training_list.json``
    one entry (``alpha_path``, ``fg_path``) per training foreground; the
    training pipeline composites them online on COCO backgrounds.
``test_list.json``
    the test composites: each test foreground on ``--num-bg`` (20) VOC
    backgrounds, composited like Composition-1k (DIM's recipe, see
    ``comp1k.dim_composite``) into ``Test/merged`` / ``Test/bg``, with a
    trimap in ``Test/trimaps`` made by random erosion of the ground-truth
    alpha's opaque and clear regions, as MG Matting makes its training
    trimaps (elliptical kernels, sizes drawn from ``[1, 30)``). The
    backgrounds and the kernel sizes come from generators seeded by
    ``--seed`` and the composite's name, and every file is written to disk
    (atomically), so an evaluation repeats exactly. Existing test files are
    kept unless ``--overwrite`` is given.

A folder that already holds HAttMatting's generated test set
(``Test/Image`` + ``Test/GT`` with one name per composite) is used as is;
its trimaps are still made here.

Usage::

    python tools/dataset_converters/distinct646.py data/Distinctions-646 \
        --voc-dir data/VOCdevkit/VOC2012/JPEGImages --seed 0
"""
import argparse
import os
import os.path as osp
import sys
import zlib
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from comp1k import (IMG_EXTENSIONS, DatasetLayoutError,  # noqa: E402
                    atomic_imwrite, dim_composite, dump_json_atomic,
                    random_dilation_trimap, read_image)

ALPHA_DIR_NAMES = ('GT', 'Alpha', 'alpha')
FG_DIR_NAMES = ('FG', 'fg')


def list_images(folder: str) -> List[str]:
    """Sorted image file names in ``folder`` (error if none).

    Args:
        folder (str): Folder to list.

    Returns:
        list[str]: File names.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: folder does not exist')
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith(IMG_EXTENSIONS)
                   and not n.startswith('.'))
    if not names:
        raise DatasetLayoutError(f'{folder}: no images in folder')
    return names


def _find_dir(base: str, candidates) -> str:
    for name in candidates:
        if osp.isdir(osp.join(base, name)):
            return name
    raise FileNotFoundError(f'{base}: none of the folders '
                            f'{", ".join(candidates)} exists')


def paired_split(data_root: str, split: str) -> List[Tuple[str, str]]:
    """(fg_path, alpha_path) pairs of a split, relative to ``data_root``.

    Args:
        data_root (str): Dataset root.
        split (str): ``'Train'`` or ``'Test'``.

    Returns:
        list[tuple[str, str]]: Pairs in name order.
    """
    base = osp.join(data_root, split)
    fg_dir = osp.join(split, _find_dir(base, FG_DIR_NAMES))
    alpha_dir = osp.join(split, _find_dir(base, ALPHA_DIR_NAMES))
    fgs = list_images(osp.join(data_root, fg_dir))
    alphas = set(list_images(osp.join(data_root, alpha_dir)))
    pairs = []
    for name in fgs:
        if name not in alphas:
            raise FileNotFoundError(
                f'{osp.join(data_root, alpha_dir, name)}: alpha matte of '
                f'foreground {osp.join(data_root, fg_dir, name)} is missing')
        pairs.append((osp.join(fg_dir, name), osp.join(alpha_dir, name)))
    return pairs


def item_rng(seed: int, name: str) -> np.random.Generator:
    """Generator seeded by ``seed`` and a file name (order independent).

    Args:
        seed (int): Global seed.
        name (str): Name of the item.

    Returns:
        np.random.Generator: The generator.
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def build_test_list(data_root: str,
                    voc_dir: Optional[str],
                    num_bg: int = 20,
                    seed: int = 0,
                    kernel_range: Tuple[int, int] = (1, 30),
                    overwrite: bool = False) -> List[Dict[str, str]]:
    """Make (or reuse) the test composites and trimaps; return the entries.

    Args:
        data_root (str): Dataset root.
        voc_dir (str, optional): VOC JPEGImages folder (needed to make
            composites).
        num_bg (int): Backgrounds per test foreground.
        seed (int): Seed of background choice and trimap kernels.
        kernel_range (tuple[int, int]): Range of trimap kernel sizes.
        overwrite (bool): Remake files that exist.

    Returns:
        list[dict]: Entries with ``alpha_path``, ``trimap_path``,
        ``merged_path`` (and ``fg_path`` / ``bg_path`` when composited
        here).
    """
    entries = []
    image_dir = osp.join(data_root, 'Test', 'Image')
    if osp.isdir(image_dir):  # HAttMatting's generated test set
        alpha_dir = osp.join('Test', _find_dir(
            osp.join(data_root, 'Test'), ALPHA_DIR_NAMES))
        for name in list_images(image_dir):
            alpha_path = osp.join(alpha_dir, name)
            if not osp.isfile(osp.join(data_root, alpha_path)):
                raise FileNotFoundError(
                    f'{osp.join(data_root, alpha_path)}: alpha of test '
                    f'image {osp.join(image_dir, name)} is missing')
            trimap_path = osp.join('Test', 'trimaps',
                                   osp.splitext(name)[0] + '.png')
            _ensure_trimap(data_root, alpha_path, trimap_path, seed,
                           kernel_range, overwrite)
            entries.append(
                dict(
                    alpha_path=alpha_path,
                    trimap_path=trimap_path,
                    merged_path=osp.join('Test', 'Image', name)))
        return entries

    pairs = paired_split(data_root, 'Test')
    bg_pool = None
    for fg_path, alpha_path in pairs:
        stem = osp.splitext(osp.basename(fg_path))[0]
        fg = alpha = None
        for j in range(num_bg):
            comp = f'{stem}_{j}.png'
            merged_path = osp.join('Test', 'merged', comp)
            bg_path = osp.join('Test', 'bg', comp)
            trimap_path = osp.join('Test', 'trimaps', comp)
            if overwrite or not (osp.isfile(osp.join(data_root, merged_path))
                                 and osp.isfile(osp.join(data_root,
                                                         bg_path))):
                if voc_dir is None:
                    raise FileNotFoundError(
                        f'{osp.join(data_root, merged_path)}: test '
                        'composite missing; pass --voc-dir to make it')
                if bg_pool is None:
                    bg_pool = list_images(voc_dir)
                if fg is None:
                    fg = read_image(osp.join(data_root, fg_path))
                    alpha = read_image(
                        osp.join(data_root, alpha_path), cv2.IMREAD_GRAYSCALE)
                    if alpha.shape != fg.shape[:2]:
                        raise DatasetLayoutError(
                            f'{osp.join(data_root, alpha_path)}: size '
                            f'{alpha.shape} differs from its foreground '
                            f'{fg.shape[:2]}')
                bg_name = bg_pool[int(
                    item_rng(seed, 'bg/' + comp).integers(len(bg_pool)))]
                bg = read_image(osp.join(voc_dir, bg_name))
                merged, bg_crop = dim_composite(fg, bg, alpha)
                atomic_imwrite(bg_crop, osp.join(data_root, bg_path))
                atomic_imwrite(merged, osp.join(data_root, merged_path))
            _ensure_trimap(data_root, alpha_path, trimap_path, seed,
                           kernel_range, overwrite, alpha)
            entries.append(
                dict(
                    alpha_path=alpha_path,
                    trimap_path=trimap_path,
                    fg_path=fg_path,
                    bg_path=bg_path,
                    merged_path=merged_path))
    return entries


def _ensure_trimap(data_root: str,
                   alpha_path: str,
                   trimap_path: str,
                   seed: int,
                   kernel_range: Tuple[int, int],
                   overwrite: bool,
                   alpha: Optional[np.ndarray] = None) -> None:
    full = osp.join(data_root, trimap_path)
    if osp.isfile(full) and not overwrite:
        return
    if alpha is None:
        alpha = read_image(osp.join(data_root, alpha_path),
                           cv2.IMREAD_GRAYSCALE)
    rng = item_rng(seed, 'trimap/' + osp.basename(trimap_path))
    atomic_imwrite(random_dilation_trimap(alpha, rng, kernel_range), full)


def convert(data_root: str,
            voc_dir: Optional[str] = None,
            num_bg: int = 20,
            seed: int = 0,
            kernel_range: Tuple[int, int] = (1, 30),
            overwrite: bool = False) -> Dict[str, int]:
    """Write ``training_list.json`` and ``test_list.json`` under data_root.

    Args:
        data_root (str): Dataset root.
        voc_dir (str, optional): VOC JPEGImages folder for test composites.
        num_bg (int): Backgrounds per test foreground.
        seed (int): Seed of backgrounds and trimaps.
        kernel_range (tuple[int, int]): Range of trimap kernel sizes.
        overwrite (bool): Remake existing test files.

    Returns:
        dict[str, int]: Number of entries per file.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'{data_root}: data root does not exist')
    if num_bg < 1:
        raise ValueError(f'num_bg must be >= 1, got {num_bg}')
    meta = dict(dataset_type='matting_dataset', task_name='matting')
    train = [
        dict(alpha_path=a, fg_path=f)
        for f, a in paired_split(data_root, 'Train')
    ]
    test = build_test_list(data_root, voc_dir, num_bg, seed, kernel_range,
                           overwrite)
    dump_json_atomic(
        dict(metainfo=meta, data_list=train),
        osp.join(data_root, 'training_list.json'))
    dump_json_atomic(
        dict(metainfo=meta, data_list=test),
        osp.join(data_root, 'test_list.json'))
    return {'training_list.json': len(train), 'test_list.json': len(test)}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write mmagic annotation files for Distinctions-646')
    parser.add_argument('data_root', help='Distinctions-646 root folder')
    parser.add_argument(
        '--voc-dir',
        default=None,
        help='VOC2012 JPEGImages folder (test backgrounds)')
    parser.add_argument('--num-bg', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--kernel-range',
        type=int,
        nargs=2,
        default=(1, 30),
        metavar=('LOW', 'HIGH'),
        help='trimap erosion kernel sizes are drawn from [LOW, HIGH)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='remake test composites and trimaps that exist')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    counts = convert(args.data_root, args.voc_dir, args.num_bg, args.seed,
                     tuple(args.kernel_range), args.overwrite)
    for name, n in counts.items():
        print(f'{osp.join(args.data_root, name)}: {n} entries')


if __name__ == '__main__':
    main()
