"""Evaluate a matting model, e.g. on Composition-1k or Distinct-646.

``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--save-alpha DIR]
[--out-metrics FILE] [--cfg-options k=v ...] [--launcher ...]`` runs the
config's test loop and then prints one line, ``test metrics: SAD ... MSE ...
Grad ... Conn ...``, with every value to 4 decimals and at least 4
significant digits (MMEngine's log line above it rounds to 4 decimals, which
leaves a small MSE 1-2 significant digits). For the project's matting
configs these are the official DIM definitions: SAD, Grad and Conn divided
by 1000, MSE the raw mean squared error (papers print MSE x1e3:
``MSE 0.004031`` is their 4.031). With ``--save-alpha`` every predicted alpha
is written as an 8-bit PNG named like the input image, ready for
``tools/evaluate_mattes.py`` or the official MATLAB evaluation;
``--out-metrics`` writes the metrics at full precision as JSON.

The checkpoint is checked before the test loop runs: a file that is not a
PyTorch checkpoint, or whose weights do not fit the config's model (missing
or unexpected keys, other shapes), stops the tool with status 2 and a
message that names the file; nothing is evaluated and no metrics file is
written (MMEngine alone would load such a checkpoint non-strictly and report
the metrics of a partly random model).
"""
import argparse
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from dpt_mm.models.converters.checkpoint import load_strict
from dpt_mm.models.converters.released import convert_with_notice
from dpt_mm.utils.dist import (add_runner_arguments,
                               prepare_cpu_distributed)
from dpt_mm.utils.io import (CheckpointError, checkpoint_state_dict,
                             read_checkpoint)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Test a matting model. After the test loop a line '
        '"test metrics: ..." gives every metric with 4 decimals and at least '
        '4 significant digits (DIM metrics: SAD, Grad, Conn / 1000 and the '
        'raw MSE; papers print MSE x1e3).')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file, Hugging Face model folder or hf://owner/name; '
        'its weights must fit the model exactly (official releases are '
        'converted on the fly)')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument(
        '--save-alpha', metavar='DIR', help='write predicted alphas as PNGs')
    parser.add_argument(
        '--out-metrics',
        metavar='FILE',
        help='also write the metrics at full precision as JSON (written '
        'atomically)')
    add_runner_arguments(
        parser, 'test_dataloader.dataset.data_root=data/demo/comp1k')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


class _KeepMetricsHook(Hook):
    """Keep the metrics that the test loop hands to ``after_test_epoch``
    (mmagic's ``MultiTestLoop`` does not return them from ``test()``)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.metrics: Optional[Dict[str, object]] = None

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Remember the metrics of the finished test epoch."""
        self.metrics = dict(metrics) if metrics is not None else None


def format_metric(value: object, digits: int = 4, decimals: int = 4) -> str:
    """Format a metric with ``decimals`` decimals, more for small values.

    Like MMEngine's log line (4 decimals) but never with fewer than
    ``digits`` significant digits and never in scientific notation, e.g.
    ``5.1776``, ``36.8376``, ``0.03684``, ``0.004031``. Non-numbers are
    printed as they are.

    Args:
        value: The metric value.
        digits (int): Least number of significant digits. Defaults to 4.
        decimals (int): Least number of decimals. Defaults to 4.

    Returns:
        str: The formatted value.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number == 0 or not math.isfinite(number):
        return f'{number:.{decimals}f}' if number == 0 else str(number)
    places = max(decimals, digits - 1 - math.floor(math.log10(abs(number))))
    return f'{number:.{places}f}'


def build_config(args: argparse.Namespace) -> Config:
    """The config of the test run from the command line.

    ``load_from`` is left empty: the checkpoint is loaded by
    :func:`load_weights` once it has been checked.
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
    cfg.load_from = None
    cfg.resume = False
    hooks = list(cfg.get('custom_hooks', []))
    if args.save_alpha:
        hooks.append(dict(type='SaveAlphaHook', out_dir=args.save_alpha))
    if args.out_metrics:
        hooks.append(dict(type='DumpMetricsHook', out_file=args.out_metrics))
    if args.progress != 'off':
        hooks.append(
            dict(
                type='TerminalProgressHook',
                enabled=None if args.progress == 'auto' else True))
    cfg.custom_hooks = hooks
    return cfg


def load_weights(runner: Runner, checkpoint: dict, path: str) -> None:
    """Check that a checkpoint fits the runner's model, then load it.

    Does what ``Runner.load_checkpoint`` does (the ``after_load_checkpoint``
    hooks, then loading with ``module.`` prefixes removed) but strictly, and
    refuses a mismatch with a short summary instead of MMEngine's list of
    every key.

    Args:
        runner (Runner): The built runner.
        checkpoint (dict): The checkpoint, as :func:`read_checkpoint` loaded
            it.
        path (str): Its file, for messages.

    Raises:
        CheckpointError: Missing or unexpected keys, or other shapes; the
            message names the file and a few keys of each kind. The model is
            left untouched then.
    """
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    runner.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    # keys and shapes are checked first: a mismatch leaves the model as is
    try:  # an official release: converted with a one-line notice
        state = convert_with_notice(path, checkpoint_state_dict(checkpoint))
    except RuntimeError as err:
        raise CheckpointError(str(err)) from err
    load_strict(model, state, path, runner.cfg.filename or 'the config')
    runner.logger.info(f'Load checkpoint from {path}')


def main(argv: Optional[List[str]] = None) -> int:
    """Check the checkpoint, build the runner, run the test loop.

    Returns:
        int: Exit status, 0 on success and 2 for a missing, unreadable or
        mismatched checkpoint.
    """
    args = parse_args(argv)
    try:
        # before the (slow) runner build: is it a checkpoint at all?
        checkpoint = read_checkpoint(args.checkpoint)
    except (FileNotFoundError, CheckpointError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    cfg = build_config(args)
    prepare_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    try:
        load_weights(runner, checkpoint, args.checkpoint)
    except CheckpointError as err:
        # every rank finds the same mismatch and stops; rank 0 reports it
        if runner.rank == 0:
            print(f'error: {err}', file=sys.stderr)
        return 2
    del checkpoint
    keeper = _KeepMetricsHook()
    runner.register_hook(keeper)
    runner.test()
    if runner.rank == 0 and keeper.metrics:
        print('test metrics: ' + '  '.join(
            f'{name} {format_metric(value)}'
            for name, value in keeper.metrics.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
