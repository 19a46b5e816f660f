"""Export a matting config + checkpoint to ONNX with dynamic height / width.

``python tools/deployment/pytorch2onnx.py CONFIG CKPT OUT.onnx [--shape H W]
[--opset N] [--verify] [--random-weights]``

Works for the MatteFormer, GCA, MG Matting and ViTMatte configs. The graph
takes ``inputs``, the ``(1, 6, H, W)`` tensor the mattor's data preprocessor
makes (RGB normalised with the config's mean / std, then the one-hot trimap:
background, unknown, foreground; ViTMatte: ``(1, 4, H, W)``, trimap / 255),
with H and W any multiples of 32, and
returns ``alpha`` ``(1, 1, H, W)`` in [0, 1] (see
:mod:`dpt_mm.apis.onnx_export`). ``--verify`` runs the file with
onnxruntime at two sizes and prints the largest difference from PyTorch.
Official checkpoints (MatteFormer / DPT authors, GCA-Matting, MG Matting
layouts) are converted on the fly, as in ``tools/infer.py``.

Exit status: 0 on success, 2 for bad input (one ``error:`` line naming the
file; nothing is written), 1 when ``--verify`` finds a difference above
``--tolerance``.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
from typing import List, Optional


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Export a matting model to ONNX (dynamic H / W)')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint file (omit with '
        '--random-weights)')
    parser.add_argument('out', help='output .onnx file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=(320, 320),
        metavar=('H', 'W'),
        help='size of the traced example, multiples of 32 (default 320 320)')
    parser.add_argument(
        '--opset', type=int, default=18, help='ONNX opset (default 18)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare onnxruntime with PyTorch at two sizes')
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-3,
        help='largest accepted |alpha difference| with --verify (1e-3)')
    parser.add_argument(
        '--random-weights',
        action='store_true',
        help='export the config\'s model with random weights (no CKPT)')
    args = parser.parse_args(argv)
    if args.random_weights == bool(args.checkpoint):
        parser.error('give a CKPT or --random-weights (not both)')
    if any(s % 32 or s < 32 for s in args.shape):
        parser.error(f'--shape needs multiples of 32, got {args.shape}')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool; return the exit status."""
    args = parse_args(argv)

    def fail(message: str) -> int:
        print(f'error: {message}', file=sys.stderr)
        return 2

    out_dir = osp.dirname(osp.abspath(args.out))
    if osp.isdir(args.out):
        return fail(f'{args.out}: is a folder, expected an .onnx file path')
    if not osp.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        return fail(f'{args.out}: cannot write into {out_dir}')

    from dpt_mm.apis.onnx_export import (build_mattor, compare_onnx,
                                         export_onnx, input_trimap)
    from dpt_mm.utils.io import CheckpointError
    try:
        mattor = build_mattor(args.config, args.checkpoint)
    except (FileNotFoundError, CheckpointError, RuntimeError) as err:
        return fail(str(err))

    h, w = args.shape
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        # written whole or not at all: exported in a temporary folder, then
        # the .onnx (and its external weights, if any) moved into place
        tmp_path = osp.join(tmp, osp.basename(args.out))
        export_onnx(mattor, tmp_path, (h, w), args.opset)
        for name in sorted(os.listdir(tmp), key=lambda n: n == osp.basename(
                args.out)):  # the .onnx last
            os.replace(osp.join(tmp, name), osp.join(out_dir, name))
    channels = 4 if input_trimap(mattor) == 'unit' else 6
    print(f'wrote {args.out} (inputs: 1x{channels}xHxW, H and W multiples '
          'of 32)')
    if args.verify:
        sizes = [(h, w), (h + 64, w + 32)]
        diffs = compare_onnx(args.out, mattor, sizes)
        for (sh, sw), diff in diffs.items():
            print(f'onnxruntime vs PyTorch at {sh}x{sw}: max |alpha diff| '
                  f'{diff:.2e}')
        if max(diffs.values()) > args.tolerance:
            print(f'error: {args.out}: difference above {args.tolerance}',
                  file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
