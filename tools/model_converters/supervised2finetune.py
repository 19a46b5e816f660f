"""Convert a supervised ImageNet checkpoint into a 6-channel fine-tuning
initialisation ("Supervised" rows).

With ``--source`` the same for self-supervised weights (the "SimMIM",
"MoBY" and "DenseCL" rows).

    python tools/model_converters/supervised2finetune.py CKPT OUT \
        --model {matteformer,gca,gca_r50,mgmatting,vitmatte} \
        [--source {supervised,simmim,moby,densecl,dino,mae}]

Accepts mmpretrain checkpoints (Swin-T / ResNet) and the official Swin
release (``model`` key); with ``--source`` also SimMIM (official or
mmpretrain) and MoBY Swin-T checkpoints (``--model matteformer``) and
DenseCL ResNet-50 checkpoints (``--model gca_r50``), whose encoder is kept
(dpt_mm/models/converters/ssl.py), and DINO ViT-S/16 / MAE ViT-B/16
(official or mmpretrain) for ``--model vitmatte``. The model's converter
copies the RGB filters and initialises the trimap channels. The output is written
atomically and every input key that is not carried over is printed.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from dpt_mm.models.converters import (MODEL_NAMES, SOURCES,  # noqa: E402
                                      run_conversion_cli)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    # the docstring's first paragraph, as one line
    parser = argparse.ArgumentParser(
        description=' '.join((__doc__ or '').split('\n\n')[0].split()))
    parser.add_argument('src', help='supervised ImageNet checkpoint')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--model', required=True, choices=MODEL_NAMES)
    parser.add_argument(
        '--source',
        default='supervised',
        choices=SOURCES,
        help='what made the weights (default: supervised)')
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
        args.source,
        f'--model {args.model}' +
        ('' if args.source == 'supervised' else f' --source {args.source}'),
        meta=dict(
            source=osp.abspath(args.src),
            model=args.model,
            weights=args.source,
            converter='supervised2finetune'))


if __name__ == '__main__':
    sys.exit(main())
