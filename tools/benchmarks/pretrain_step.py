"""CPU training throughput of DPT pre-training vs the bare backbones.

    OMP_NUM_THREADS=N python tools/benchmarks/pretrain_step.py \
        [--batch 8] [--size 224] [--iters 3] [--warmup 1]

Measures, in one run on the same inputs, images/s of forward + backward
(``zero_grad`` included, no optimizer step) of:

* DPT with Swin-T (``configs/dpt_swin-t_in1k.py`` model: backbone + MattingHead
  + L1 / composition / Laplacian losses) and the bare
  ``mmpretrain.SwinTransformer`` (tiny, 6 channels, four stages out; loss =
  sum of the output means);
* DPT with the ResNet-34 encoder (``configs/dpt_r34_in1k.py``) and the bare
  ResNet-34 encoder, plus mmpretrain's ResNet-34 for orientation.

The ratio DPT / bare shows what the decoder and the losses cost.
"""
import argparse
import os.path as osp
import sys
import time

import torch
import torch.nn.functional as F

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import dpt_mm  # noqa: E402,F401
from dpt_mm.registry import MODELS  # noqa: E402


class _Samples:
    """Minimal stacked data sample (what MattorPreprocessor gives)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def make_batch(n: int, size: int, seed: int = 0):
    """Synthetic pretext batch: 6-channel input and [0, 1] targets."""
    g = torch.Generator().manual_seed(seed)
    fg = torch.rand(n, 3, size, size, generator=g)
    bg = torch.rand(n, 3, size, size, generator=g)
    cells = torch.randint(0, 8, (n, 1, 32, 32), generator=g)
    tri = torch.where(cells < 6, 1, torch.where(cells == 6, 0, 2))
    tri = F.interpolate(tri.float(), size=(size, size)).long()
    alpha = torch.rand(n, 1, size, size, generator=g)
    alpha = torch.where(tri == 0, 0., torch.where(tri == 2, 1., alpha))
    merged = alpha * fg + (1 - alpha) * bg
    onehot = torch.cat([tri == 0, tri == 1, tri == 2], 1).float()
    inputs = torch.cat([(merged - 0.45) / 0.225, onehot], 1)
    return inputs, _Samples(
        gt_alpha=alpha, gt_fg=fg, gt_bg=bg, gt_merged=merged, trimap=onehot)


def model_from_config(path: str):
    """Build the ``model`` of a config file (dpt_mm registered)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    return MODELS.build(cfg.model)


def time_steps(step, params, warmup: int, iters: int):
    """Wall and process-CPU seconds per forward+backward step (medians of
    ``iters``); CPU time is the steadier figure on a shared machine."""
    walls, cpus = [], []
    for i in range(warmup + iters):
        for p in params:
            p.grad = None
        t, c = time.perf_counter(), time.process_time()
        step()
        if i >= warmup:
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    walls.sort()
    cpus.sort()
    return walls[len(walls) // 2], cpus[len(cpus) // 2]


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--only', choices=['swin', 'r34'], help='run one family only')
    args = parser.parse_args()
    torch.manual_seed(0)
    inputs, ds = make_batch(args.batch, args.size)
    print(f'torch {torch.__version__}, threads {torch.get_num_threads()}, '
          f'batch {args.batch}, {args.size}x{args.size}, median of '
          f'{args.iters} steps after {args.warmup} warm-up')

    def dpt_step(model):
        def step():
            sum(model(inputs, ds, mode='loss').values()).backward()
        return step

    def bare_step(model):
        def step():
            out = model(inputs)
            out = out if isinstance(out, (tuple, list)) else [out]
            sum(o.mean() for o in out).backward()
        return step

    families = []
    if args.only in (None, 'swin'):
        families.append(('Swin-T', osp.join(ROOT, 'configs',
                                            'dpt_swin-t_in1k.py'), [
            ('mmpretrain.SwinTransformer',
             dict(type='mmpretrain.SwinTransformer', arch='tiny',
                  img_size=args.size, in_channels=6,
                  out_indices=(0, 1, 2, 3))),
        ]))
    if args.only in (None, 'r34'):
        families.append(('R34', osp.join(ROOT, 'configs', 'dpt_r34_in1k.py'), [
            ('MattingResNetEnc (mmagic ResNetEnc)',
             dict(type='MattingResNetEnc', in_channels=6)),
            ('mmpretrain.ResNet-34',
             dict(type='mmpretrain.ResNet', depth=34, in_channels=6,
                  out_indices=(0, 1, 2, 3))),
        ]))
    rows = []
    for name, cfg_path, bares in families:
        dpt = model_from_config(cfg_path)
        dpt.train()
        t_dpt = time_steps(dpt_step(dpt), list(dpt.parameters()),
                           args.warmup, args.iters)
        rows.append((f'DPT {name} (backbone+head+losses)', t_dpt, None))
        for bname, bcfg in bares:
            bare = MODELS.build(bcfg)
            bare.train()  # mmpretrain's Swin.train() returns None
            t = time_steps(bare_step(bare), list(bare.parameters()),
                           args.warmup, args.iters)
            rows.append((f'  bare {bname}', t, t_dpt))
    print(f'{"model":42s} {"wall s":>7s} {"img/s":>7s} {"cpu s":>7s} '
          f'{"img/cpu-s":>9s} {"DPT/bare (wall, cpu)":>21s}')
    for label, (wall, cpu), ref in rows:
        ratio = f'{ref[0] / wall:10.2f} {ref[1] / cpu:10.2f}' if ref else ''
        print(f'{label:42s} {wall:7.3f} {args.batch / wall:7.2f} {cpu:7.3f} '
              f'{args.batch / cpu:9.2f} {ratio}')


if __name__ == '__main__':
    main()
