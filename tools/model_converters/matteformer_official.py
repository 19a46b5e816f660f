# Copyright (c) dpt-mm contributors. All rights reserved.
"""Convert an official MatteFormer checkpoint to dpt-mm's ``MatteFormer``.

Example::

    python tools/model_converters/matteformer_official.py \
        pretrained/best_model.pth checkpoints/matteformer_official.pth

The key mapping is documented in ``dpt_mm/models/converters/matteformer.py``.
Every dropped key is printed with its reason; the output is written
atomically (temporary file in the same folder, then ``os.replace``).
"""
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='official MatteFormer checkpoint -> dpt-mm MatteFormer')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint for dpt-mm')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the conversion; returns the exit status."""
    args = parse_args(argv)
    from dpt_mm.models.converters import load_state_dict, save_state_dict
    from dpt_mm.models.converters.matteformer import convert_official
    dropped = []
    try:
        src = load_state_dict(args.src)
        state_dict = convert_official(src, dropped=dropped)
    except (FileNotFoundError, KeyError, ValueError) as e:
        print(f'error: {args.src}: {e}', file=sys.stderr)
        return 1
    for key, reason in dropped:
        print(f'dropped {key}: {reason}')
    save_state_dict(state_dict, args.dst,
                    dict(source=args.src, converter='matteformer_official'))
    print(f'wrote {len(state_dict)} tensors to {args.dst} '
          f'({len(dropped)} dropped)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
