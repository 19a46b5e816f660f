"""Matte your own photos with a trained checkpoint.

``python tools/infer.py CONFIG CKPT --img IMG_OR_DIR (--trimap TRIMAP_OR_DIR
| --mask MASK_OR_DIR [--band N]) --out DIR [--bg IMG] [--device cpu|cuda]
[--tile 1024]``

For every image it writes ``DIR/alpha/<name>.png`` (8-bit alpha),
``DIR/fg/<name>.png`` (estimated foreground colours), ``DIR/cutout/<name>.png``
(RGBA), with ``--bg`` ``DIR/composite/<name>.png``, and with ``--mask`` the
trimap it made, ``DIR/trimap/<name>.png``. Folders are matched by file stem.
Each file is written whole or not at all. Exit status: 0 on success, 2 for
bad input (the message names the file: images, trimaps / masks, a checkpoint
that is unreadable or does not fit the config, an ``--out`` that is a file),
1 when ``--keep-going`` skipped some images; bad option values (e.g.
``--trimap-threshold`` outside ``0 <= LOW < HIGH <= 255``) stop argument
parsing with status 2.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from tqdm import tqdm


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Predict alpha mattes, foregrounds and cut-outs')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file, Hugging Face model folder or hf://owner/name')
    parser.add_argument(
        '--img', required=True, help='image file or folder of images')
    guide = parser.add_mutually_exclusive_group(required=True)
    guide.add_argument(
        '--trimap',
        help='trimap file or folder (0 bg, 128 unknown, 255 fg; same names '
        'as the images)')
    guide.add_argument(
        '--mask',
        help='coarse binary mask file or folder, turned into a trimap by '
        'erosion/dilation')
    parser.add_argument(
        '--band',
        type=int,
        default=10,
        help='with --mask: pixels within BAND px of the mask edge become '
        'unknown (default 10)')
    parser.add_argument(
        '--mask-threshold',
        type=int,
        default=128,
        help='with --mask: values >= this are foreground (default 128)')
    parser.add_argument(
        '--trimap-threshold',
        type=int,
        nargs=2,
        metavar=('LOW', 'HIGH'),
        help='accept a soft trimap: values <= LOW are background, >= HIGH '
        'foreground, the rest unknown (0 <= LOW < HIGH <= 255)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--bg', help='new background image for composites')
    parser.add_argument(
        '--fg-method',
        choices=['auto', 'ml', 'blur'],
        default='auto',
        help='foreground estimation: ml = pymatting multi-level, blur = '
        'built-in blur fusion, auto = ml if pymatting is installed')
    parser.add_argument(
        '--device',
        default=None,
        help='cpu, cuda or cuda:N (default: cuda if available)')
    parser.add_argument(
        '--tile',
        type=int,
        default=0,
        help='bounded memory for large photos: predict the unknown region '
        'in overlapping tiles of at most TILE x TILE px (e.g. 1024; default '
        '0 = whole image)')
    parser.add_argument(
        '--tile-overlap',
        type=int,
        default=64,
        help='with --tile: overlap of neighbouring tiles, px (default 64)')
    parser.add_argument(
        '--bf16',
        action='store_true',
        help='bfloat16 autocast (alpha within ~1e-2): for GPUs and CPUs '
        'with AMX; slower than float32 on plain AVX512 CPUs, see '
        'docs/inference.md')
    parser.add_argument(
        '--keep-going',
        action='store_true',
        help='report bad images and continue with the others')
    args = parser.parse_args(argv)
    if args.tile and not 0 <= args.tile_overlap < args.tile:
        parser.error('--tile-overlap must be >= 0 and < --tile, got '
                     f'{args.tile_overlap} with --tile {args.tile}')
    if args.trimap_threshold is not None:
        low, high = args.trimap_threshold
        if not 0 <= low < high <= 255:
            parser.error('--trimap-threshold LOW HIGH needs 0 <= LOW < HIGH '
                         f'<= 255, got {low} {high}')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool; return the exit status."""
    args = parse_args(argv)
    from dpt_mm.apis import (DPTMattingInferencer, MattingInputError,
                             collect_pairs, read_image)

    guide = args.trimap if args.trimap is not None else args.mask
    kind = 'trimap' if args.trimap is not None else 'mask'
    try:
        # check every path before spending time on the model
        pairs = collect_pairs(args.img, guide, kind)
        bg = read_image(args.bg) if args.bg else None
    except MattingInputError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    if args.band < 1:
        print(f'error: --band must be >= 1, got {args.band}', file=sys.stderr)
        return 2
    if osp.exists(args.out) and not osp.isdir(args.out):
        print(
            f'error: {args.out}: --out must be a folder, but this is an '
            'existing file', file=sys.stderr)
        return 2
    from dpt_mm.utils.io import writable_path_error
    problem = writable_path_error(args.out, folder=True)
    if problem:  # found now, not after the model was built
        print(f'error: {args.out}: --out {problem}', file=sys.stderr)
        return 2

    try:
        inferencer = DPTMattingInferencer(args.config, args.checkpoint,
                                          args.device)
    except (FileNotFoundError, RuntimeError, ValueError) as err:
        # missing / unreadable / mismatched checkpoint, CUDA unavailable,
        # config without a test pipeline: the message names the cause
        print(f'error: {err}', file=sys.stderr)
        return 2
    failed = []
    for img_path, guide_path in tqdm(
            pairs, desc='matting', unit='img', disable=len(pairs) == 1):
        try:
            inferencer(
                img=img_path,
                **{kind: guide_path},
                band=args.band,
                mask_threshold=args.mask_threshold,
                trimap_threshold=args.trimap_threshold,
                result_out_dir=args.out,
                bg=bg,
                fg_method=args.fg_method,
                tile=args.tile,
                tile_overlap=args.tile_overlap,
                bf16=args.bf16)
        except MattingInputError as err:
            if not args.keep_going:
                print(f'error: {err}', file=sys.stderr)
                return 2
            tqdm.write(f'skipped: {err}', file=sys.stderr)
            failed.append(img_path)
    done = len(pairs) - len(failed)
    print(f'{done} of {len(pairs)} image(s) matted into {args.out}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
