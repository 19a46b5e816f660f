# Copyright (c) dpt-mm contributors. All rights reserved.
"""Convert an official released matting model to dpt-mm keys.

    python tools/model_converters/official2dptmm.py SRC OUT \
        --model {matteformer,gca,mgmatting}

Sources: webtoon/matteformer's or the DPT authors' (crystraldo/dpt)
MatteFormer, Yaoyi-Li/GCA-Matting's ``gca-dist.pth``, yucornetto/
MGMatting's ``MGMatting-DIM-100k``. The key tables are in
``dpt_mm/models/converters/{matteformer,resnet}.py``; the output loads
strictly into ``configs/{matteformer,gca,mgmatting}/*`` models, is written
atomically, and every input key that is not carried over is printed.
(``tools/infer.py`` also takes these files directly.)
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from dpt_mm.models.converters import (CONVERTERS,  # noqa: E402
                                      run_conversion_cli)

OFFICIAL = sorted(m for m, k in CONVERTERS if k == 'official')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=' '.join((__doc__ or '').split('\n\n')[0].split()))
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint for dpt-mm')
    parser.add_argument('--model', required=True, choices=OFFICIAL)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion.

    Returns:
        int: Exit status: 0 on success, 2 when the input is missing, is not
        a checkpoint or not the official layout of ``--model``, or the
        output cannot be written (one ``error: ...`` line; nothing is
        written then).
    """
    args = parse_args(argv)
    return run_conversion_cli(
        args.src,
        args.dst,
        args.model,
        'official',
        f'--model {args.model} (official release)',
        meta=dict(
            source=osp.abspath(args.src),
            model=args.model,
            converter=f'official2dptmm ({args.model})'))


if __name__ == '__main__':
    sys.exit(main())
