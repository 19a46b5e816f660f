"""Benchmark the DIM matting metrics against mmagic 1.2.0's.

Times, in one run on the same synthetic Composition-1k-sized samples (about
1000x1000 to 2000x2000, masked predictions, a band of unknown pixels),
mmagic's ``SAD`` / ``MattingMSE`` / ``GradientError`` / ``ConnectivityError``
and this project's ``DIMMattingMetrics`` (all four in one pass) plus its
single-metric classes, and prints per-metric times and ratios. With
``--workers N`` it also times the offline path (``compute_all`` over all
samples) in N processes against 1.

Run on one core::

    OMP_NUM_THREADS=1 python tools/benchmarks/metrics.py --repeat 3
"""
import argparse
import multiprocessing as mp
import os
import time
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
import torch

DEFAULT_SIZES = ((1080, 1440), (1500, 1000), (2000, 1800))


def make_sample(h: int, w: int,
                rng: np.random.Generator) -> Tuple[np.ndarray, ...]:
    """A Composition-1k-like sample: one object with a soft, hairy edge
    (ground truth), a blurred and noisy prediction masked by the trimap,
    and a trimap whose unknown band is the dilated transition region."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    radius = np.sqrt(((yy - 0.55 * h) / (0.38 * h))**2 + ((xx - 0.5 * w) /
                                                          (0.3 * w))**2)
    wobble = cv2.resize(
        rng.random((8, 8)).astype(np.float32), (w, h),
        interpolation=cv2.INTER_CUBIC)
    shape = ((1 - radius + 0.25 * (wobble - 0.5)) > 0).astype(np.float32)
    alpha = cv2.GaussianBlur(shape, (0, 0), 2.5)
    # hair: thin random strands in a band around the edge
    edge = cv2.dilate(((alpha > 0.02) & (alpha < 0.98)).astype(np.uint8),
                      np.ones((61, 61), np.uint8)) > 0
    strands = cv2.GaussianBlur((rng.random((h, w)) > 0.97).astype(np.float32),
                               (0, 0), 1.2) * 6
    alpha = np.clip(alpha + np.where(edge, strands, 0) * (1 - alpha), 0, 1)
    alpha_u8 = np.round(alpha * 255).astype(np.uint8)
    transition = ((alpha_u8 > 0) & (alpha_u8 < 255)).astype(np.uint8)
    band = cv2.dilate(transition, np.ones((21, 21), np.uint8)) > 0
    trimap = np.where(alpha_u8 == 255, 255, 0).astype(np.uint8)
    trimap[band] = 128
    pred = cv2.GaussianBlur(alpha, (0, 0), 1.5) + rng.normal(
        0, 0.04, (h, w)).astype(np.float32)
    pred_u8 = np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8)
    pred_u8[trimap == 0] = 0
    pred_u8[trimap == 255] = 255
    return pred_u8, alpha_u8, trimap


def as_data_sample(pred, alpha, trimap) -> dict:
    """The dict form of an mmagic mattor's predict-mode data sample."""
    return {
        'ori_alpha': torch.from_numpy(alpha)[None],
        'ori_trimap': torch.from_numpy(trimap)[None],
        'output': {
            'pred_alpha': torch.from_numpy(pred)
        },
    }


def time_metric(metric, samples: List[dict],
                repeat: int) -> Tuple[float, dict]:
    """Best-of-``repeat`` seconds for ``metric.process`` over all samples,
    and the averaged results of the last run."""
    best = float('inf')
    for _ in range(repeat):
        metric.results.clear()
        start = time.perf_counter()
        metric.process(None, samples)
        best = min(best, time.perf_counter() - start)
    return best, metric.compute_metrics(list(metric.results))


def _score(args):
    from dpt_mm.evaluation.functional import compute_all
    cv2.setNumThreads(1)
    return compute_all(*args, mask_pred=True)


def time_workers(raw: List[Tuple[np.ndarray, ...]], workers: int,
                 repeat: int) -> float:
    """Best-of-``repeat`` seconds to score ``raw`` in ``workers``
    processes."""
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        if workers == 1:
            [_score(r) for r in raw]
        else:
            with mp.get_context('fork').Pool(workers) as pool:
                pool.map(_score, raw, chunksize=1)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument(
        '--num',
        type=int,
        default=3,
        help='samples (cycling through the default sizes)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='also time the offline path in N processes')
    args = parser.parse_args(argv)

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    from mmagic.evaluation.metrics import (SAD, ConnectivityError,
                                           GradientError, MattingMSE)

    from dpt_mm.evaluation import (DIMConn, DIMGrad, DIMMattingMetrics, DIMMSE,
                                   DIMSAD)

    rng = np.random.default_rng(args.seed)
    sizes = [DEFAULT_SIZES[i % len(DEFAULT_SIZES)] for i in range(args.num)]
    raw = [make_sample(h, w, rng) for h, w in sizes]
    samples = [as_data_sample(*r) for r in raw]
    unknown = np.mean([(r[2] == 128).mean() for r in raw])
    print(f'{len(raw)} samples {sizes}, unknown fraction {unknown:.2f}, '
          f'OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS")}, '
          f'best of {args.repeat}')

    pairs: Dict[str, Tuple[Callable, Callable, str, str]] = {
        'SAD': (SAD, DIMSAD, 'SAD', 'SAD'),
        'MSE': (MattingMSE, DIMMSE, 'MattingMSE', 'MSE'),
        'Grad': (GradientError, DIMGrad, 'GradientError', 'Grad'),
        'Conn': (ConnectivityError, DIMConn, 'ConnectivityError', 'Conn'),
    }
    total_mm = total_single = 0.0
    print(f'{"metric":8s}{"mmagic s":>10s}{"ours s":>10s}{"ratio":>8s}'
          f'{"mmagic value":>16s}{"ours value":>16s}{"rel diff":>10s}')
    for name, (mm_cls, our_cls, mm_key, our_key) in pairs.items():
        t_mm, v_mm = time_metric(mm_cls(), samples, args.repeat)
        t_our, v_our = time_metric(our_cls(), samples, args.repeat)
        total_mm += t_mm
        total_single += t_our
        a, b = v_mm[mm_key], v_our[our_key]
        print(f'{name:8s}{t_mm:10.3f}{t_our:10.3f}{t_mm / t_our:8.2f}'
              f'{a:16.8g}{b:16.8g}{abs(a - b) / max(abs(b), 1e-30):10.2e}')
    t_all, _ = time_metric(DIMMattingMetrics(), samples, args.repeat)
    print(f'all four: mmagic {total_mm:.3f} s, ours one metric each '
          f'{total_single:.3f} s ({total_mm / total_single:.2f}x), ours '
          f'DIMMattingMetrics one pass {t_all:.3f} s '
          f'({total_mm / t_all:.2f}x faster than mmagic)')
    print(f'per sample: mmagic {total_mm / len(raw) * 1e3:.0f} ms, ours '
          f'{t_all / len(raw) * 1e3:.0f} ms')

    if args.workers > 1:
        t1 = time_workers(raw, 1, args.repeat)
        tn = time_workers(raw, args.workers, args.repeat)
        print(f'offline compute_all: 1 process {t1:.3f} s, {args.workers} '
              f'processes {tn:.3f} s ({t1 / tn:.2f}x; {os.cpu_count()} CPUs)')


if __name__ == '__main__':
    main()
