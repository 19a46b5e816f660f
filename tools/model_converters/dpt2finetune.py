"""Convert a DPT pre-training checkpoint into a fine-tuning initialisation.

    python tools/model_converters/dpt2finetune.py DPT_CKPT OUT \
        --model {matteformer,gca,gca_r50,mgmatting,vitmatte} \
        --part {encoder,encoder+decoder}

(``gca_r50``: encoder only, from configs/dpt_r50_in1k.py; ``vitmatte``: from
configs/dpt_vitmatte-*.py, ``encoder`` = the ViT.)

``--part encoder`` keeps the encoder only (Table 6 "encoder" rows);
``encoder+decoder`` also maps the pre-trained ``MattingHead``. The output is
written atomically as ``dict(state_dict=..., meta=...)``, loadable with
``load_from`` / ``init_cfg=dict(type='Pretrained', checkpoint=OUT)``; every
input key that is not carried over is printed.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from dpt_mm.models.converters import (MODEL_NAMES, PARTS,  # noqa: E402
                                      run_conversion_cli)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    # the docstring's first paragraph, as one line
    parser = argparse.ArgumentParser(
        description=' '.join((__doc__ or '').split('\n\n')[0].split()))
    parser.add_argument('src', help='DPT checkpoint (mmengine .pth)')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--model', required=True, choices=MODEL_NAMES)
    parser.add_argument('--part', default='encoder', choices=PARTS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion.

    Returns:
        int: Exit status: 0 on success, 2 when the input is missing, is not
        a checkpoint or does not fit ``--model`` / ``--part``, or the output
        cannot be written (an ``error: ...`` line says which; nothing is
        written then).
    """
    args = parse_args(argv)
    return run_conversion_cli(
        args.src,
        args.dst,
        args.model,
        'dpt',
        f'--model {args.model} --part {args.part}',
        meta=dict(
            source=osp.abspath(args.src),
            model=args.model,
            part=args.part,
            converter='dpt2finetune'),
        part=args.part)


if __name__ == '__main__':
    sys.exit(main())
