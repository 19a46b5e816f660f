r"""Evaluate saved 8-bit alpha mattes with the official DIM metrics.

Pairs ``--pred`` / ``--alpha`` / ``--trimap`` files by stem and scores them
with the metric table of :mod:`dpt_mm.evaluation.functional` (MATLAB
values), strictly by default (docs/reliability.md); it imports neither
torch nor mmagic (:func:`import_light`), so it starts in under a second.

Example::

    python tools/evaluate_mattes.py --pred work_dirs/pred \
        --alpha data/comp1k/Test_set/alpha_copy \
        --trimap data/comp1k/Test_set/trimaps --json work_dirs/metrics.json
"""
import argparse
import json
import multiprocessing as mp
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

sys.path.append(osp.dirname(osp.abspath(__file__)))
from light_import import import_light  # noqa: E402

_metrics = import_light('evaluation.functional.dim_matting')
METRIC_KEYS = _metrics.METRIC_KEYS
MASK_MODES = _metrics.MASK_MODES
count_unknown = _metrics.count_unknown
evaluate_sample = _metrics.evaluate_sample
_io = import_light('utils.io')
atomic_write_text = _io.atomic_write_text
writable_path_error = _io.writable_path_error

IMAGE_EXTS = _io.IMG_EXTENSIONS


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Evaluate predicted alpha mattes with the official DIM '
        'metrics (SAD, MSE, Grad, Conn).')
    parser.add_argument('--pred', required=True, help='predicted mattes')
    parser.add_argument('--alpha', required=True, help='ground-truth alphas')
    parser.add_argument('--trimap', required=True, help='trimaps (0/128/255)')
    parser.add_argument('--json', help='write the results to this JSON file')
    parser.add_argument(
        '--workers', type=int, default=1, help='processes (default 1)')
    parser.add_argument(
        '--metrics',
        nargs='+',
        default=list(METRIC_KEYS),
        choices=list(_metrics.METRIC_FUNCS),
        help='metrics to compute (default: all four)')
    parser.add_argument(
        '--trimap-masking',
        default='apply',
        choices=MASK_MODES,
        help='apply (default): set predictions to 0/255 on the trimap\'s '
        'bg/fg; check: fail on unmasked predictions; none: score as given')
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='score the images that have a valid prediction and give the '
        'mean of those (default: fail when any prediction is missing or '
        'fails)')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='also exit with 1 on extra predictions or ignored files')
    parser.add_argument(
        '--no-table', action='store_true', help='do not print per-image rows')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f'--workers must be >= 1, got {args.workers}')
    for key in ('pred', 'alpha', 'trimap'):
        if not osp.isdir(getattr(args, key)):
            parser.error(f'--{key}: {getattr(args, key)} is not a directory')
    return args


def list_images(folder: str) -> Tuple[Dict[str, str], List[str]]:
    """Map file stem to file name for the images directly in ``folder``.

    Returns:
        tuple: The stem -> name map, and the paths of the other entries
        (non-image files, sub-folders), which are not evaluated.

    Raises:
        ValueError: Two images share a stem (e.g. ``a.png`` and ``a.jpg``).
    """
    found: Dict[str, str] = {}
    ignored: List[str] = []
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() not in IMAGE_EXTS or not osp.isfile(
                osp.join(folder, name)):
            ignored.append(osp.join(folder, name))
            continue
        if stem in found:
            raise ValueError(f'{folder}: {found[stem]} and {name} have the '
                             'same stem; cannot tell which to use')
        found[stem] = name
    return found, ignored


def read_matte(path: str) -> np.ndarray:
    """Read an 8-bit single-channel image (grey copies in 3 channels are
    accepted).

    Raises:
        ValueError: Unreadable file, not 8-bit, or a colour image.
    """
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'{path}: cannot be read as an image')
    if img.dtype != np.uint8:
        raise ValueError(f'{path}: expected an 8-bit image, got {img.dtype}')
    if img.ndim == 3:
        if img.shape[2] == 4:
            raise ValueError(f'{path}: has an alpha channel (BGRA); save the '
                             'matte as a single-channel image')
        if not (np.array_equal(img[..., 0], img[..., 1])
                and np.array_equal(img[..., 0], img[..., 2])):
            raise ValueError(f'{path}: is a colour image; expected a '
                             'single-channel matte')
        img = np.ascontiguousarray(img[..., 0])
    return img


def pair_files(
    pred_dir: str, alpha_dir: str, trimap_dir: str
) -> Tuple[List[Tuple[str, str, str, str]], Dict[str, List[str]]]:
    """Match predictions, alphas and trimaps by stem.

    Returns:
        tuple: ``jobs`` (name, pred path, alpha path, trimap path) for every
        complete triple, and ``problems``: ``missing_pred`` (ground truth
        without prediction), ``extra_pred`` (prediction without ground
        truth), ``missing_alpha`` and ``missing_trimap`` (one ground-truth
        half without the other), ``ignored`` (entries that are not images).
    """
    (preds, ign_p), (alphas, ign_a), (trimaps, ign_t) = (
        list_images(d) for d in (pred_dir, alpha_dir, trimap_dir))
    gt = set(alphas) | set(trimaps)
    problems = {
        'missing_pred':
        sorted(alphas.get(s) or trimaps[s] for s in gt - set(preds)),
        'extra_pred':
        sorted(preds[s] for s in set(preds) - gt),
        'missing_alpha':
        sorted(trimaps[s] for s in set(trimaps) - set(alphas) if s in preds),
        'missing_trimap':
        sorted(alphas[s] for s in set(alphas) - set(trimaps) if s in preds),
        'ignored':
        ign_p + ign_a + ign_t,
    }
    jobs = [(preds[s], osp.join(pred_dir, preds[s]),
             osp.join(alpha_dir, alphas[s]), osp.join(trimap_dir, trimaps[s]))
            for s in sorted(set(preds) & set(alphas) & set(trimaps))]
    return jobs, problems


def evaluate_one(job: Tuple[str, str, str, str], metrics: Sequence[str],
                 masking: str) -> Tuple[str, Optional[dict], str]:
    """Score one triple; never raises.

    Returns:
        tuple: (name, values or None, message). The message is an error when
        values is None, else a warning or ''.
    """
    name, pred_path, alpha_path, trimap_path = job
    try:
        pred = read_matte(pred_path)
        alpha = read_matte(alpha_path)
        trimap = read_matte(trimap_path)
        values = evaluate_sample(
            pred,
            alpha,
            trimap,
            metrics,
            masking=masking,
            where=f'{name} ({pred_path}, {alpha_path}, {trimap_path})')
    except Exception as err:  # reported per file, the run goes on
        return name, None, f'{type(err).__name__}: {err}'
    warn = ''
    if count_unknown(trimap) == 0:
        warn = f'{trimap_path}: empty unknown region, metrics set to 0'
    return name, values, warn


def _evaluate_star(args):
    cv2.setNumThreads(1)
    return evaluate_one(*args)


def _progress(iterable, total: int, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a requirement
        return iterable
    return tqdm(
        iterable, total=total, desc='evaluating', unit='img', file=sys.stderr)


def run_all(jobs, metrics: Sequence[str], masking: str, workers: int,
            progress: bool) -> List[Tuple[str, Optional[dict], str]]:
    """Evaluate all jobs, in ``workers`` processes when > 1."""
    tasks = [(job, tuple(metrics), masking) for job in jobs]
    if workers == 1 or len(tasks) <= 1:
        return [
            _evaluate_star(t) for t in _progress(tasks, len(tasks), progress)
        ]
    chunk = max(1, min(8, len(tasks) // (4 * workers)))
    with mp.get_context('fork').Pool(workers) as pool:
        return list(
            _progress(
                pool.imap(_evaluate_star, tasks, chunksize=chunk), len(tasks),
                progress))


def format_table(per_image: Dict[str, dict],
                 mean: Optional[Dict[str, float]],
                 metrics: Sequence[str],
                 rows: bool = True,
                 expected: Optional[int] = None) -> str:
    """Plain-text table of per-image values (optional) and their mean.

    The mean row says how many images it averages (``of EXPECTED`` when
    given); ``mean=None`` leaves it out.
    """
    def fmt(metric: str, value: float) -> str:
        return f'{value:10.6f}' if metric == 'MSE' else f'{value:10.4f}'

    label = f'mean ({len(per_image)}' + (
        f' of {expected}' if expected is not None else '') + ' images)'
    width = max([len(label)] + ([len(n) for n in per_image] if rows else []))
    head = 'image'.ljust(width) + ''.join(m.rjust(11) for m in metrics)
    lines = [head, '-' * len(head)]
    if rows:
        for name, values in per_image.items():
            lines.append(
                name.ljust(width) + ''.join(' ' + fmt(m, values[m])
                                            for m in metrics))
        lines.append('-' * len(head))
    if mean is None:
        return '\n'.join(lines)
    lines.append(label.ljust(width) + ''.join(' ' + fmt(m, mean[m])
                                              for m in metrics))
    lines.append('(SAD, Grad, Conn divided by 1000; MSE raw -- papers print '
                 'MSE x 1e3)')
    return '\n'.join(lines)


def write_json_atomic(path: str, payload: dict) -> None:
    """Write ``payload`` to ``path`` through a temporary file + rename."""
    atomic_write_text(path, json.dumps(payload, indent=1, sort_keys=True) +
                      '\n')


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the tool; returns the exit status."""
    args = parse_args(argv)
    if args.json:
        problem = writable_path_error(args.json)
        if problem:  # found now, not after all the scoring
            print(f'error: {args.json}: --json {problem}', file=sys.stderr)
            return 2
    try:
        jobs, problems = pair_files(args.pred, args.alpha, args.trimap)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for key, names in problems.items():
        if names:
            print(
                f'{key.replace("_", " ")} ({len(names)}): '
                f'{", ".join(names)}',
                file=sys.stderr)

    results = run_all(jobs, args.metrics, args.trimap_masking, args.workers,
                      not args.no_progress)
    per_image, failed, warnings = {}, {}, {}
    for name, values, message in results:
        if values is None:
            failed[name] = message
        else:
            per_image[name] = values
            if message:
                warnings[name] = message
    for name, message in failed.items():
        print(f'failed: {name}: {message}', file=sys.stderr)
    for name, message in warnings.items():
        print(f'warning: {message}', file=sys.stderr)
    if not per_image:
        print(
            f'error: no image could be evaluated ({len(jobs)} matched, '
            f'{len(failed)} failed)',
            file=sys.stderr)
        return 1

    expected = len(
        set(osp.splitext(n)[0] for key in ('missing_pred', 'missing_alpha',
                                            'missing_trimap')
            for n in problems[key]) | set(osp.splitext(j[0])[0]
                                          for j in jobs))
    unscored = expected - len(per_image)
    mean = {
        m: float(np.mean([v[m] for v in per_image.values()]))
        for m in args.metrics
    }
    if unscored and not args.allow_missing:
        print(format_table(per_image, None, args.metrics, not args.no_table))
        no_gt = len(problems['missing_alpha']) + len(
            problems['missing_trimap'])
        print(
            f'error: {unscored} of {expected} ground-truth images have no '
            f'score ({len(problems["missing_pred"])} predictions missing, '
            f'{no_gt} without alpha or trimap, {len(failed)} failed); no mean over '
            'a partial set (--allow-missing gives the mean of the '
            f'{len(per_image)} scored)',
            file=sys.stderr)
        return 1
    print(format_table(per_image, mean, args.metrics, not args.no_table,
                       expected))
    print(f'{len(per_image)} of {expected} evaluated, {len(failed)} failed, '
          f'{len(problems["missing_pred"])} predictions missing, '
          f'{len(problems["extra_pred"])} extra')
    if args.json:
        payload = dict(
            per_image=per_image,
            mean=mean,
            num_images=len(per_image),
            num_expected=expected,
            failed=failed,
            warnings=warnings,
            trimap_masking=args.trimap_masking,
            **problems)
        write_json_atomic(args.json, payload)
        print(f'results written to {args.json}')
    if args.strict and (problems['extra_pred'] or problems['ignored']):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
