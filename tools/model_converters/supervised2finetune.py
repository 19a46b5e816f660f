"""Convert a supervised ImageNet checkpoint into a 6-channel fine-tuning
initialisation ("Supervised" rows).

    python tools/model_converters/supervised2finetune.py CKPT OUT \
        --model {matteformer,gca,gca_r50,mgmatting}

Accepts mmpretrain checkpoints (Swin-T / ResNet) and the official Swin
release (``model`` key); the model's converter copies the RGB filters and
initialises the trimap channels. The output is written atomically and every
input key that is not carried over is printed.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from dpt_mm.models.converters import (MODELS_TO_MODULES,  # noqa: E402
                                      run_conversion_cli)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    # the docstring's first paragraph, as one line
    parser = argparse.ArgumentParser(
        description=' '.join((__doc__ or '').split('\n\n')[0].split()))
    parser.add_argument('src', help='supervised ImageNet checkpoint')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--model', required=True, choices=sorted(MODELS_TO_MODULES))
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion.

    Returns:
        int: Exit status: 0 on success, 2 when the input is missing, is not
        a checkpoint or does not fit ``--model``, or the output cannot be
        written (an ``error: ...`` line says which; nothing is written
        then).
    """
    args = parse_args(argv)
    return run_conversion_cli(
        args.src,
        args.dst,
        args.model,
        'convert_supervised',
        f'--model {args.model}',
        meta=dict(
            source=osp.abspath(args.src),
            model=args.model,
            converter='supervised2finetune'))


if __name__ == '__main__':
    sys.exit(main())
