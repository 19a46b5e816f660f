"""Train a dpt-mm model (DPT pre-training or matting fine-tuning).

Follows MMEngine's tool conventions: ``python tools/train.py CONFIG
[--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
[--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]``.
Multi-GPU / multi-node training is PyTorch DDP through MMEngine's launcher
(see ``tools/dist_train.sh`` and ``tools/slurm_train.sh``).

A data root without a readable image and a checkpoint that is missing or
refused (not a checkpoint, or a type outside the weights-only allow-list)
stop the run with one ``error: PATH: problem`` line and exit status 2.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.runner import Runner

# make the checkout importable when dpt_mm is not installed
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from dpt_mm.datasets.unlabeled_dataset import DataRootError  # noqa: E402
from dpt_mm.utils.dist import (add_runner_arguments,  # noqa: E402
                               build_run_config, prepare_cpu_distributed)
from dpt_mm.utils.io import CheckpointError  # noqa: E402

#: errors in the user's input, reported in one line (exit status 2)
USER_ERRORS = (CheckpointError, DataRootError)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train a dpt-mm model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by total batch size / auto_scale_lr.base_batch_size')
    add_runner_arguments(parser, 'train_cfg.max_iters=10')
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper(s) of ``cfg`` to ``AmpOptimWrapper``."""
    wrappers = [cfg.optim_wrapper]
    if 'type' not in cfg.optim_wrapper:  # one wrapper per sub-model
        wrappers = [v for v in cfg.optim_wrapper.values() if isinstance(v, dict)]
    for wrapper in wrappers:
        if wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            continue
        if wrapper.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError('--amp needs optim_wrapper.type=OptimWrapper, '
                             f'got {wrapper["type"]}')
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line overrides."""
    cfg = build_run_config(args)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise ValueError(f'{args.config} has no auto_scale_lr entry')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def user_error_message(err: BaseException) -> str:
    """The message of ``err`` as raised, without the registry's prefix.

    MMEngine's registry re-raises a build error as ``type(err)('class `X`
    in FILE: ...')``; the innermost error of the chain names the file.
    """
    while isinstance(err.__context__, USER_ERRORS):
        err = err.__context__
    return str(err)


def main() -> int:
    """Build the runner and train; return the exit status."""
    args = parse_args()
    cfg = build_config(args)
    prepare_cpu_distributed(cfg)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    except USER_ERRORS as err:
        print(f'error: {user_error_message(err)}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
