# Copyright (c) dpt-mm contributors. All rights reserved.
"""Convert an official MatteFormer checkpoint to dpt-mm's ``MatteFormer``.

Example::

    python tools/model_converters/matteformer_official.py \
        pretrained/best_model.pth checkpoints/matteformer_official.pth

Same as ``official2dptmm.py SRC OUT --model matteformer`` (the key mapping
is documented in ``dpt_mm/models/converters/matteformer.py``): every
dropped key is printed with its reason, the output is written atomically,
and bad input ends in one ``error:`` line with exit status 2.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from official2dptmm import main as _main  # noqa: E402


def main(argv=None) -> int:
    """Run the conversion; returns the exit status."""
    return _main(argv, model='matteformer')


if __name__ == '__main__':
    sys.exit(main())
