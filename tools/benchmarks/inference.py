"""Time and peak memory of matting large images with MatteFormer (Swin-T).

Runs the matting step of ``tools/infer.py`` (``DPTMattingInferencer``:
pipeline, data preprocessor, padded prediction with progressive
refinement, known regions forced; foreground estimation and file writing
are left out) on synthetic photos with a trimap whose unknown band follows
an object outline, with the full-width MatteFormer of
``configs/matteformer/`` and seeded random weights. Each case runs in a
fresh process so that its peak resident memory (``ru_maxrss``) is its own;
the table gives ratios to the first case, measured in the same run.

Example (the numbers in docs/inference.md)::

    nice -n 15 python tools/benchmarks/inference.py \\
        --cases 1024x1024 2048x2048 4000x3000 4000x3000:tile1024 \\
        1024x1024:bf16
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'matteformer',
                  'matteformer_swin-t-dpt-encdec_4xb10-200k_comp1k.py')


def make_scene(w: int, h: int, band: int = 20):
    """A textured photo with an elliptic object and its trimap (unknown
    band of ``band`` px each side of the outline)."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (h // 16 + 1, w // 16 + 1, 3), np.uint8)
    image = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.3), int(h * 0.35)), 0, 0,
                360, 255, -1)
    fg = cv2.erode(mask, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    bg = cv2.dilate(mask, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    trimap = np.full((h, w), 128, np.uint8)
    trimap[bg == 0] = 0
    trimap[fg == 255] = 255
    return image, trimap


def run_case(case: str, config: str, repeats: int) -> Dict:
    """Measure one case in this process; returns the numbers."""
    import torch

    from dpt_mm.apis import DPTMattingInferencer
    size, *opts = case.split(':')
    w, h = (int(v) for v in size.split('x'))
    tile = next((int(o[4:]) for o in opts if o.startswith('tile')), 0)
    bf16 = 'bf16' in opts
    torch.manual_seed(0)
    inferencer = DPTMattingInferencer(config, None, 'cpu')
    image, trimap = make_scene(w, h)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            data = inferencer.preprocess(img=image, trimap=trimap)
            preds = inferencer.forward(data, tile=tile)
        alpha = preds[0].output.pred_alpha.data
        times.append(time.perf_counter() - start)
    assert tuple(alpha.shape) == (h, w)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return dict(
        case=case,
        seconds=min(times),
        peak_rss_gb=peak / 2**20,
        model_rss_gb=base_rss / 2**20,
        unknown_fraction=float((trimap == 128).mean()),
        threads=torch.get_num_threads())


def main(argv: Optional[List[str]] = None) -> int:
    """Run every case in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--cases',
        nargs='+',
        default=['1024x1024', '2048x2048', '4000x3000'],
        help='WxH[:tileN][:bf16] (default: the three sizes, whole image)')
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--json', help='also write the rows to this file')
    parser.add_argument('--one', help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    if args.one:
        print('RESULT=' + json.dumps(run_case(args.one, args.config,
                                              args.repeats)))
        return 0
    rows = []
    for case in args.cases:
        proc = subprocess.run([
            sys.executable, __file__, '--one', case, '--config', args.config,
            '--repeats',
            str(args.repeats)
        ],
                              capture_output=True,
                              text=True,
                              env=dict(os.environ))
        lines = [x for x in proc.stdout.splitlines()
                 if x.startswith('RESULT=')]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr or '').strip().splitlines()[-1:]
            rows.append(dict(case=case, error=' '.join(tail) or 'failed'))
        else:
            rows.append(json.loads(lines[-1][len('RESULT='):]))
        row = rows[-1]
        print(f'{case}: ' + (row['error'] if 'error' in row else
                             f"{row['seconds']:.1f} s, peak "
                             f"{row['peak_rss_gb']:.2f} GB"),
              file=sys.stderr, flush=True)
    base = next((r for r in rows if 'error' not in r), None)
    print('| case | time (s) | x first | peak RSS (GB) | x first |')
    print('|---|---|---|---|---|')
    for r in rows:
        if 'error' in r:
            print(f"| {r['case']} | failed: {r['error']} | | | |")
            continue
        print(f"| {r['case']} | {r['seconds']:.1f} | "
              f"{r['seconds'] / base['seconds']:.2f} | "
              f"{r['peak_rss_gb']:.2f} | "
              f"{r['peak_rss_gb'] / base['peak_rss_gb']:.2f} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
