"""Benchmark of the DPT pre-training data pipeline (one core).

Measures, in one run and on the same images:

1. decoding a typical ImageNet-size JPEG (500x375) with ``LoadImageReduced``
   (also a 1000x750 JPEG at full and at reduced scale, for reference);
2. ``GridTrimap`` + ``RandomAlpha`` + ``Composite`` on a 224x224 sample,
   against one decode (goal: at most 35 %), and against a straightforward
   numpy version of the same synthesis (float64, a Python loop over cells);
3. the config's whole pre-training pipeline (two decodes, resize, crop,
   affine, hue, synthesis, one-hot trimap + packing) against a pipeline that
   only decodes and resizes the same two images (goal: at least 70 % of its
   throughput), with absolute samples/s on one core and a per-transform
   breakdown;
4. the same whole pipeline fed by the two data sources, on the same
   images: ``UnlabeledImageDataset`` reading the image folder and
   ``ShardedImageDataset`` streaming them from local tar shards (written by
   ``tools/dataset_converters/folder2shards.py``), in samples/s/core.

Timings are CPU time of the (single) benchmarking thread, measured in
interleaved rounds; the best round of each case is reported (other tenants
of a shared machine only ever add time: cache and memory-bandwidth
contention inflate even CPU time, by up to 40 % here), and the median-based
ratios are printed beside for comparison.
Usage::

    OMP_NUM_THREADS=1 python tools/benchmarks/pretext_pipeline.py
    python tools/benchmarks/pretext_pipeline.py --fg a.JPEG --bg b.JPEG
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

os.environ.setdefault('OMP_NUM_THREADS', '1')

import cv2  # noqa: E402
import numpy as np  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(REPO, 'configs', '_base_', 'datasets',
                          'dpt_pretrain_in1k.py')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config whose train_pipeline is measured')
    parser.add_argument('--fg', help='a JPEG to use as foreground '
                        '(default: a generated 500x375 photo-like JPEG)')
    parser.add_argument('--bg', help='a JPEG to use as background')
    parser.add_argument('--rounds', type=int, default=9,
                        help='interleaved rounds (best and median reported)')
    parser.add_argument('--seconds', type=float, default=0.2,
                        help='target time of one measurement in a round')
    parser.add_argument('--source-images', type=int, default=32,
                        help='images in the folder / shards of part 4')
    return parser.parse_args(argv)


def photo_like(h: int, w: int, seed: int) -> np.ndarray:
    """A BGR image with the statistics of a photo, for a realistic JPEG.

    Uses scikit-image's sample photos when installed, otherwise smooth
    random structure plus fine texture and noise.
    """
    try:
        import skimage.data as skd
        name = ('astronaut', 'coffee', 'chelsea', 'rocket')[seed % 4]
        img = np.asarray(getattr(skd, name)())[..., :3][..., ::-1]
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    except Exception:  # scikit-image missing: synthetic texture
        rng = np.random.RandomState(seed)
        coarse = rng.randint(0, 256, (h // 24 + 2, w // 24 + 2, 3))
        img = cv2.resize(coarse.astype(np.uint8), (w, h),
                         interpolation=cv2.INTER_CUBIC).astype(np.float32)
        img += rng.normal(0, 12, (h, w, 3)).astype(np.float32)
        return np.clip(img, 0, 255).astype(np.uint8)


def write_jpeg(path: str, img: np.ndarray) -> str:
    """Write ``img`` as a quality-90 JPEG (like most ImageNet files)."""
    if not cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90]):
        raise OSError(f'cannot write {path}')
    return path


def time_per_call(fn: Callable[[], object], seconds: float) -> float:
    """Mean CPU seconds per call of ``fn`` over about ``seconds``.

    CPU time of this thread (everything runs on one thread) is what one
    data-loader core spends; unlike wall time it does not grow when other
    processes share the machine.
    """
    fn()  # warm up
    n, start = 0, time.thread_time()
    while True:
        fn()
        n += 1
        elapsed = time.thread_time() - start
        if elapsed >= seconds and n >= 5:
            return elapsed / n


def measure(cases: Dict[str, Callable[[], object]], rounds: int,
            seconds: float) -> Dict[str, List[float]]:
    """Seconds per call of every case in each of interleaved rounds."""
    samples: Dict[str, List[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(time_per_call(fn, seconds))
    return samples


def naive_synthesis(fg: np.ndarray, bg: np.ndarray,
                    cell: int = 7) -> np.ndarray:
    """Straightforward numpy version of the three synthesis transforms."""
    h, w = fg.shape[:2]
    rows, cols = -(-h // cell), -(-w // cell)
    n = rows * cols
    labels = np.array([128] * round(0.75 * n) + [255] * round(0.125 * n) +
                      [0] * (n - round(0.75 * n) - round(0.125 * n)))
    np.random.shuffle(labels)
    trimap = np.zeros((h, w))
    for i in range(rows):
        for j in range(cols):
            trimap[i * cell:(i + 1) * cell,
                   j * cell:(j + 1) * cell] = labels[i * cols + j]
    alpha = np.random.randint(0, 256, (h, w)).astype(np.float64)
    alpha[trimap == 255] = 255
    alpha[trimap == 0] = 0
    a = alpha[..., None] / 255.
    merged = a * fg + (1 - a) * bg
    return np.round(merged).astype(np.uint8)


def data_sources(tmp: str, pipeline: list, n: int):
    """The same ``n`` JPEGs as an image folder and as local tar shards.

    Returns:
        tuple: ``UnlabeledImageDataset`` over the folder, an endless
        iterator of ``ShardedImageDataset`` over the shards, and ``n``.
    """
    from dpt_mm.datasets import ShardedImageDataset, UnlabeledImageDataset
    folder = osp.join(tmp, 'source', 'train')
    for i in range(n):
        img = photo_like(375, 500, i)
        if (i // 4) % 2:
            img = img[:, ::-1]  # vary the repeated sample photos
        os.makedirs(osp.join(folder, f'c{i % 4}'), exist_ok=True)
        write_jpeg(osp.join(folder, f'c{i % 4}', f'{i:04d}.JPEG'),
                   np.ascontiguousarray(img))
    sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
    import folder2shards as tool
    shards = osp.join(tmp, 'source', 'shards')
    tool.convert(folder, shards, samples_per_shard=max(1, n // 4))
    folder_ds = UnlabeledImageDataset(
        data_root=folder, pipeline=pipeline, use_scan_cache=False)
    stream = ShardedImageDataset(
        manifest=osp.join(shards, 'manifest.json'), pipeline=pipeline,
        samples_per_epoch=10**9, shuffle_buffer=min(100, n),
        initial_buffer=min(10, n), log_shards=False)
    return folder_ds, iter(stream), n


def main(argv: Optional[list] = None) -> int:
    """Run the benchmark and print timings and ratios."""
    args = parse_args(argv)
    cv2.setNumThreads(1)
    import torch
    torch.set_num_threads(1)
    from mmcv.transforms import Compose
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import dpt_mm  # noqa: F401
    from dpt_mm.datasets.transforms import (Composite, GridTrimap,
                                            LoadImageReduced, RandomAlpha)
    init_default_scope('mmagic')
    cfg = Config.fromfile(args.config)
    np.random.seed(0)

    tmp = tempfile.TemporaryDirectory(prefix='dpt_bench_')
    fg_path = args.fg or write_jpeg(
        osp.join(tmp.name, 'fg.JPEG'), photo_like(375, 500, 0))
    bg_path = args.bg or write_jpeg(
        osp.join(tmp.name, 'bg.JPEG'), photo_like(375, 500, 1))
    big_path = write_jpeg(
        osp.join(tmp.name, 'big.JPEG'), photo_like(750, 1000, 2))
    fg_shape = cv2.imread(fg_path).shape
    print(f'images: fg {fg_shape[1]}x{fg_shape[0]} ({fg_path}), '
          f'big 1000x750; one core, OpenCV {cv2.__version__}')

    # 1. decoding
    load = LoadImageReduced(key='fg', min_size=224)
    load_full = LoadImageReduced(key='fg', min_size=0)
    info = dict(fg_path=fg_path)
    big = dict(fg_path=big_path)
    # 2. synthesis on a 224x224 sample
    synth = Compose([GridTrimap(), RandomAlpha(), Composite()])
    fg224 = cv2.resize(cv2.imread(fg_path), (224, 224))
    bg224 = cv2.resize(cv2.imread(bg_path), (224, 224))

    # 3. whole pipeline vs decode + resize only
    full = Compose(cfg.train_pipeline)
    base = Compose([
        dict(type='LoadImageReduced', key='fg', min_size=224),
        dict(type='LoadImageReduced', key='bg', min_size=224),
        dict(type='Resize', keys=['fg', 'bg'], scale=(224, -1),
             keep_ratio=True),
    ])
    pair = dict(fg_path=fg_path, bg_path=bg_path)
    out = full(dict(pair))
    assert tuple(out['inputs'].shape) == (3, 224, 224), out['inputs'].shape

    # 4. data sources: the same images in a folder and in tar shards
    folder_ds, shard_iter, n_src = data_sources(tmp.name, cfg.train_pipeline,
                                                args.source_images)
    folder_pos = [0]

    def from_folder():
        folder_pos[0] = (folder_pos[0] + 1) % n_src
        return folder_ds[folder_pos[0]]

    cases = {
        'decode': lambda: load(dict(info)),
        'decode_big_full': lambda: load_full(dict(big)),
        'decode_big_reduced': lambda: load(dict(big)),
        'synthesis': lambda: synth(dict(fg=fg224, bg=bg224)),
        'synthesis_naive': lambda: naive_synthesis(fg224, bg224),
        'pipeline_full': lambda: full(dict(pair)),
        'pipeline_decode_resize': lambda: base(dict(pair)),
        'source_folder': from_folder,
        'source_shards': lambda: next(shard_iter),
    }
    samples = measure(cases, args.rounds, args.seconds)
    t = {k: min(v) for k, v in samples.items()}  # best round
    med = {k: float(np.median(v)) for k, v in samples.items()}

    # per-transform breakdown of the whole pipeline (best of the rounds)
    names = [type(transform).__name__ for transform in full.transforms]
    reps = max(20, int(args.seconds * 200))
    best = [float('inf')] * len(names)
    for _ in range(args.rounds):
        totals = [0.0] * len(names)
        for _ in range(reps):
            results = dict(pair)
            for k, transform in enumerate(full.transforms):
                s = time.thread_time()
                results = transform(results)
                totals[k] += time.thread_time() - s
        best = [min(b, tot / reps) for b, tot in zip(best, totals)]

    ms = {k: v * 1e3 for k, v in t.items()}
    syn_ratio = t['synthesis'] / t['decode']
    thr_ratio = t['pipeline_decode_resize'] / t['pipeline_full']
    print('\n== decoding (LoadImageReduced)')
    print(f'decode {fg_shape[1]}x{fg_shape[0]} JPEG      '
          f'{ms["decode"]:7.3f} ms')
    print(f'decode 1000x750 full          {ms["decode_big_full"]:7.3f} ms')
    print(f'decode 1000x750 reduced (1/2) {ms["decode_big_reduced"]:7.3f} ms'
          f'   speed-up x{t["decode_big_full"] / t["decode_big_reduced"]:.2f}')
    print('\n== synthesis: GridTrimap + RandomAlpha + Composite, 224x224')
    print(f'dpt_mm transforms             {ms["synthesis"]:7.3f} ms  = '
          f'{100 * syn_ratio:5.1f} % of one decode (goal <= 35 %) '
          f'{"PASS" if syn_ratio <= 0.35 else "FAIL"}')
    print(f'straightforward numpy         {ms["synthesis_naive"]:7.3f} ms  = '
          f'{100 * t["synthesis_naive"] / t["decode"]:5.1f} % of one decode;'
          f' dpt_mm is x{t["synthesis_naive"] / t["synthesis"]:.1f} faster')
    print('\n== whole pre-training pipeline (2 images) vs decode + resize')
    print(f'decode + resize only          {ms["pipeline_decode_resize"]:7.3f}'
          f' ms  {1 / t["pipeline_decode_resize"]:7.1f} samples/s/core')
    print(f'full pipeline                 {ms["pipeline_full"]:7.3f} ms  '
          f'{1 / t["pipeline_full"]:7.1f} samples/s/core')
    print(f'throughput ratio full / decode+resize = {100 * thr_ratio:5.1f} %'
          f' (goal >= 70 %) {"PASS" if thr_ratio >= 0.70 else "FAIL"}')
    print(f'median-based ratios over {args.rounds} rounds: synthesis '
          f'{100 * med["synthesis"] / med["decode"]:5.1f} % of a decode, '
          f'throughput '
          f'{100 * med["pipeline_decode_resize"] / med["pipeline_full"]:5.1f}'
          ' %')
    print(f'\n== data source, whole pipeline, same {n_src} images '
          f'(500x375 JPEG)')
    for key, label in (('source_folder', 'folder (UnlabeledImageDataset)'),
                       ('source_shards', 'shards (ShardedImageDataset) ')):
        print(f'{label} {ms[key]:7.3f} ms  {1 / t[key]:7.1f} samples/s/core')
    print(f'shards / folder throughput = '
          f'{100 * t["source_folder"] / t["source_shards"]:5.1f} % (median '
          f'{100 * med["source_folder"] / med["source_shards"]:5.1f} %)')
    print('\nper-transform time in the full pipeline (ms, best round):')
    for name, value in zip(names, best):
        print(f'  {name:22s} {1e3 * value:7.3f}')
    tmp.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
