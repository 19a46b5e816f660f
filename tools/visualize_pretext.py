"""Draw DPT pretext samples from a config's own training pipeline.

Writes a grid like Figure 2 of the DPT paper: one row per sample with the
composite image, the random trimap, the pseudo alpha and the
alpha-weighted foreground, so a person can look at the pretext task.

Example::

    python tools/visualize_pretext.py configs/dpt_swin-t_in1k.py \
        --out work_dirs/pretext.png --num 8 \
        --cfg-options train_dataloader.dataset.data_root=data/demo/in1k
"""
import argparse
import sys
from typing import List

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

LABEL_H = 18
COLUMNS = ('merged', 'trimap', 'alpha', 'alpha * fg')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command line arguments."""
    parser = argparse.ArgumentParser(
        description='Visualise DPT pretext samples (merged, trimap, alpha, '
        'alpha-weighted fg) from a config\'s training pipeline')
    parser.add_argument('config', help='config file')
    parser.add_argument('--out', required=True, help='output image (.png)')
    parser.add_argument(
        '--num', type=int, default=8, help='number of samples (rows)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--start', type=int, default=0, help='index of the first image')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'train_dataloader.dataset.data_root=data/demo/in1k')
    return parser.parse_args(argv)


def _to_hwc_uint8(tensor) -> np.ndarray:
    """CxHxW tensor (uint8 or [0, 255] float) -> HxWxC uint8 array."""
    arr = tensor.detach().cpu().numpy() if hasattr(tensor, 'detach') \
        else np.asarray(tensor)
    if arr.ndim == 2:
        arr = arr[None]
    arr = np.transpose(arr, (1, 2, 0))
    return np.clip(np.rint(arr.astype(np.float32)), 0, 255).astype(np.uint8)


def sample_panels(packed: dict) -> List[np.ndarray]:
    """Make the four BGR panels of one packed pipeline output.

    Args:
        packed (dict): ``{'inputs', 'data_samples'}`` from ``PackInputs``.

    Returns:
        list[np.ndarray]: merged, trimap, alpha and alpha-weighted fg.
    """
    sample = packed['data_samples']
    merged = _to_hwc_uint8(packed['inputs'])
    alpha = _to_hwc_uint8(sample.gt_alpha)[..., 0]
    trimap = sample.trimap
    trimap = trimap.cpu().numpy() if hasattr(trimap, 'cpu') else \
        np.asarray(trimap)
    if trimap.ndim == 3 and trimap.shape[0] == 3:  # one-hot (bg, unk, fg)
        trimap = (np.argmax(trimap, axis=0) * 127.5).round()
    trimap = np.clip(trimap.squeeze(), 0, 255).astype(np.uint8)
    fg = _to_hwc_uint8(sample.gt_fg)
    weighted = (fg.astype(np.float32) * (alpha[..., None] / 255.)).round()
    gray = [cv2.cvtColor(x, cv2.COLOR_GRAY2BGR) for x in (trimap, alpha)]
    return [merged, gray[0], gray[1], weighted.astype(np.uint8)]


def make_grid(rows: List[List[np.ndarray]], pad: int = 4) -> np.ndarray:
    """Tile panels (rows x columns) on a white canvas with column titles."""
    h, w = rows[0][0].shape[:2]
    ncol = len(rows[0])
    canvas = np.full((LABEL_H + len(rows) * (h + pad) + pad,
                      ncol * (w + pad) + pad, 3),
                     255,
                     dtype=np.uint8)
    for c, name in enumerate(COLUMNS[:ncol]):
        cv2.putText(canvas, name, (pad + c * (w + pad), LABEL_H - 5),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                    cv2.LINE_AA)
    for r, panels in enumerate(rows):
        y = LABEL_H + pad + r * (h + pad)
        for c, panel in enumerate(panels):
            x = pad + c * (w + pad)
            canvas[y:y + h, x:x + w] = panel
    return canvas


def main(argv=None) -> int:
    """Build the config's training dataset and write the sample grid."""
    args = parse_args(argv)
    if args.num < 1:
        raise SystemExit('--num must be at least 1')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    from mmagic.registry import DATASETS

    from dpt_mm.utils.io import atomic_imwrite

    np.random.seed(args.seed)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset = DATASETS.build(dataset_cfg)
    rows = []
    for i in range(args.num):
        packed = dataset[(args.start + i) % len(dataset)]
        rows.append(sample_panels(packed))
    grid = make_grid(rows)
    atomic_imwrite(grid, args.out)
    print(f'wrote {args.num} pretext samples to {args.out} '
          f'({grid.shape[1]}x{grid.shape[0]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
