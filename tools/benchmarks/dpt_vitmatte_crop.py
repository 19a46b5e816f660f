"""CPU step time of DPT pre-training of ViTMatte-S at the paper's crop (224)
and at ViTMatte's fine-tuning crop (512).

    OMP_NUM_THREADS=N python tools/benchmarks/dpt_vitmatte_crop.py \
        [--config configs/dpt_vitmatte-s_in1k.py] [--batch 8] \
        [--sizes 224 512] [--iters 2] [--warmup 1]

One run, one model (the config's: backbone + detail-capture decoder + the
DPT losses), the same synthetic pretext batch drawn at each size; forward +
backward (``zero_grad`` included, no optimizer step). Prints wall and
process-CPU seconds per step (medians) and the ratio of each size to the
first one (the baseline).
"""
import argparse
import os.path as osp
import sys
import time

import torch
import torch.nn.functional as F

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))

from pretrain_step import model_from_config, time_steps  # noqa: E402


class _Samples:
    """Stacked data sample (what the data preprocessor gives)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def make_batch(n: int, size: int, seed: int = 0):
    """Synthetic pretext batch in ViTMatte's input layout.

    Args:
        n (int): Batch size.
        size (int): Square crop side.
        seed (int): Generator seed.

    Returns:
        tuple: ``inputs`` (Nx4xHxW: normalised RGB + the 0 / 0.5 / 1
        trimap channel) and the data samples (``trimap`` as 0 / 128 / 255,
        ``gt_*`` in [0, 1]).
    """
    g = torch.Generator().manual_seed(seed)
    fg = torch.rand(n, 3, size, size, generator=g)
    bg = torch.rand(n, 3, size, size, generator=g)
    cells = torch.randint(0, 8, (n, 1, size // 7 + 1, size // 7 + 1),
                          generator=g)
    tri = torch.where(cells < 6, 0.5, torch.where(cells == 6, 0., 1.))
    tri = F.interpolate(tri, size=(size, size))
    alpha = torch.rand(n, 1, size, size, generator=g)
    alpha = torch.where(tri == 0.5, alpha, tri)
    merged = alpha * fg + (1 - alpha) * bg
    inputs = torch.cat([(merged - 0.45) / 0.225, tri], 1)
    return inputs, _Samples(
        gt_alpha=alpha, gt_fg=fg, gt_bg=bg, gt_merged=merged,
        trimap=tri * 255.)


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config', default=osp.join(ROOT, 'configs',
                                     'dpt_vitmatte-s_in1k.py'))
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--sizes', type=int, nargs='+', default=[224, 512])
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = model_from_config(args.config)
    model.train()
    params = list(model.parameters())
    print(f'{osp.relpath(args.config, ROOT)}; torch {torch.__version__}, '
          f'threads {torch.get_num_threads()}, batch {args.batch}, median '
          f'of {args.iters} steps after {args.warmup} warm-up')
    print(f'{"crop":>6s} {"wall s":>8s} {"cpu s":>8s} {"img/s":>7s} '
          f'{"x crop " + str(args.sizes[0]) + " (wall, cpu)":>26s}',
          flush=True)
    base = None
    for size in args.sizes:
        inputs, ds = make_batch(args.batch, size)

        def step():
            sum(model(inputs, ds, mode='loss').values()).backward()

        wall, cpu = time_steps(step, params, args.warmup, args.iters)
        base = base or (wall, cpu)
        print(f'{size:6d} {wall:8.2f} {cpu:8.2f} {args.batch / wall:7.2f} '
              f'{wall / base[0]:12.2f} {cpu / base[1]:12.2f}', flush=True)


if __name__ == '__main__':
    main()
