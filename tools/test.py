"""Evaluate a matting model, e.g. on Composition-1k or Distinct-646.

``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--save-alpha DIR]
[--cfg-options k=v ...] [--launcher ...]`` prints the config's test metrics
(SAD, MSE x1e-3, Grad, Conn by the official DIM definitions for the
project's matting configs) and, with ``--save-alpha``, writes every predicted
alpha as an 8-bit PNG named like the input image, ready for
``tools/evaluate_mattes.py`` or the official MATLAB evaluation.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from dpt_mm.utils.dist import prepare_cpu_distributed


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Test a matting model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument(
        '--save-alpha', metavar='DIR', help='write predicted alphas as PNGs')
    parser.add_argument(
        '--out-metrics',
        metavar='FILE',
        help='also write the metrics as JSON (written atomically)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. test_dataloader.dataset.'
        'data_root=data/demo/comp1k')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    """Build the runner, load the checkpoint and run the test loop."""
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    hooks = list(cfg.get('custom_hooks', []))
    if args.save_alpha:
        hooks.append(dict(type='SaveAlphaHook', out_dir=args.save_alpha))
    if args.out_metrics:
        hooks.append(dict(type='DumpMetricsHook', out_file=args.out_metrics))
    cfg.custom_hooks = hooks
    prepare_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
