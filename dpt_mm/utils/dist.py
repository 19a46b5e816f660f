"""What tools/train.py and tools/test.py share: their common options, the
config of a run, and distributed runs without a GPU (DDP over gloo)."""
import argparse
import os
import os.path as osp
from typing import Sequence

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.logging import print_log


def add_runner_arguments(parser: argparse.ArgumentParser,
                         cfg_example: str) -> None:
    """Add the options ``tools/train.py`` and ``tools/test.py`` share:
    ``--cfg-options``, ``--launcher``, ``--progress`` and ``--local-rank``.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        cfg_example (str): An example override for the help text.
    """
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'override config entries, e.g. {cfg_example}')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--progress',
        choices=['auto', 'on', 'off'],
        default='auto',
        help='progress bar on stderr (iterations done / total, loss, time '
        'left); auto: when stderr is a terminal')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def build_run_config(args: argparse.Namespace,
                     extra_hooks: Sequence[dict] = ()) -> Config:
    """Load a tool's config and apply the options of
    :func:`add_runner_arguments` and ``--work-dir``.

    Args:
        args (argparse.Namespace): Parsed ``config``, ``work_dir``,
            ``cfg_options``, ``launcher`` and ``progress``.
        extra_hooks (Sequence[dict]): Hooks the tool adds after the
            config's ``custom_hooks`` (before the progress bar).

    Returns:
        Config: The run's config; ``work_dir`` defaults to
        ``./work_dirs/<config stem>``.
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    hooks = list(cfg.get('custom_hooks', [])) + list(extra_hooks)
    if args.progress != 'off':
        hooks.append(
            dict(
                type='TerminalProgressHook',
                enabled=None if args.progress == 'auto' else True))
    cfg.custom_hooks = hooks
    return cfg


def prepare_cpu_distributed(cfg: Config) -> bool:
    """Start the gloo process group for a ``pytorch``-launched CPU run.

    MMEngine's ``init_dist`` always calls ``torch.cuda.set_device``, which
    fails on a machine without a GPU, and its DDP wrapper passes
    ``device_ids=[local_rank]``, which DDP rejects for CPU modules. When the
    launcher is ``pytorch`` and CUDA is unavailable this initialises the
    process group itself (MMEngine then skips its own ``init_dist``) and sets
    ``model_wrapper_cfg.device_ids = None``. PyTorch's ``SyncBatchNorm``
    only runs on accelerators, so a ``cfg.sync_bn`` (set by the configs that
    follow the official trainers' SyncBN) is dropped with a log line: each
    process then normalises with its own batch. GPU runs are left untouched.

    Args:
        cfg (Config): The run's config (``launcher`` already set); edited in
            place.

    Returns:
        bool: Whether a CPU process group was started.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend', 'gloo')
    if backend != 'gloo':
        print_log(f'no GPU: using the gloo backend instead of {backend}',
                  logger='current')
        cfg.env_cfg.dist_cfg.backend = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    if cfg.get('sync_bn') is not None:
        print_log(
            f'no GPU: sync_bn={cfg.sync_bn!r} ignored (SyncBatchNorm needs '
            'GPU tensors); BatchNorm statistics stay per process',
            logger='current')
        cfg.sync_bn = None
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    return True
