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
                                      convert_supervised, load_state_dict,
                                      print_key_report, reports_dropped,
                                      save_state_dict)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='supervised ImageNet checkpoint')
    parser.add_argument('dst', help='output checkpoint path')
    parser.add_argument(
        '--model', required=True, choices=sorted(MODELS_TO_MODULES))
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion."""
    args = parse_args(argv)
    src = load_state_dict(args.src)
    dropped = [] if reports_dropped(args.model, 'convert_supervised') else None
    dst = convert_supervised(src, args.model, dropped=dropped)
    print_key_report(src, dst, dropped)
    save_state_dict(
        dst, args.dst,
        dict(source=osp.abspath(args.src), model=args.model,
             converter='supervised2finetune'))
    print(f'saved {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
