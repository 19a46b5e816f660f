"""Hooks of dpt-mm."""
import json
import os
import os.path as osp
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from dpt_mm.registry import HOOKS
from dpt_mm.utils.io import atomic_imwrite, atomic_write_text


@HOOKS.register_module()
class SaveAlphaHook(Hook):
    """Write each predicted alpha of the test loop as an 8-bit PNG.

    mmagic's visualisation hooks save concatenated figures, not the raw
    mattes that offline evaluation tools read; this saves exactly the
    ``pred_alpha`` the metrics see, named after the input image
    (``merged_path``, else ``trimap_path``) with a ``.png`` suffix. Files
    are written atomically.

    Args:
        out_dir (str): Output folder, created when missing.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        """Save the predicted alphas of one test batch."""
        os.makedirs(self.out_dir, exist_ok=True)
        for sample in outputs or []:
            pred = sample.output.pred_alpha
            if hasattr(pred, 'cpu'):
                pred = pred.cpu().numpy()
            pred = np.asarray(pred).squeeze().astype(np.uint8)
            src = sample.metainfo.get('merged_path') or sample.metainfo.get(
                'trimap_path') or f'{batch_idx:06d}'
            name = osp.splitext(osp.basename(src))[0] + '.png'
            atomic_imwrite(pred, osp.join(self.out_dir, name))


@HOOKS.register_module()
class DumpMetricsHook(Hook):
    """Write the metrics of the test loop to a JSON file (atomically).

    mmagic's ``MultiTestLoop`` does not return its metrics from
    ``runner.test()``, so they are taken where every loop hands them to the
    hooks: ``after_test_epoch``.

    Args:
        out_file (str): JSON file to write, ``{metric name: value}``.
    """

    priority = 'LOW'

    def __init__(self, out_file: str) -> None:
        self.out_file = out_file

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Dump the metrics on rank 0."""
        if runner.rank != 0 or metrics is None:
            return
        text = json.dumps({k: float(v)
                           for k, v in metrics.items()}, indent=2) + '\n'
        atomic_write_text(self.out_file, text)


@HOOKS.register_module()
class TerminalProgressHook(Hook):
    """A progress bar on the terminal for training, validation and testing.

    MMEngine's ``LoggerHook`` prints a line every ``interval`` iterations
    (minutes apart on a CPU); this hook redraws one line on stderr after
    every iteration: iterations done of the total, the loss, the elapsed
    time and the time left (tqdm's estimate). Only the main process draws.

    Args:
        enabled (bool, optional): Draw the bar; None (default) draws it when
            stderr is a terminal, so logs of batch jobs stay clean.
        min_interval (float): Least seconds between redraws. Defaults to 0.5.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 enabled: Optional[bool] = None,
                 min_interval: float = 0.5) -> None:
        import sys
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.min_interval = min_interval
        self._bar = None
        self._train_bar = None

    def _open(self, runner, desc: str, total: int, initial: int = 0) -> None:
        from mmengine.dist import is_main_process
        from tqdm import tqdm
        self._close()
        if not self.enabled or not is_main_process():
            return
        self._bar = tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit='it',
            dynamic_ncols=True,
            mininterval=self.min_interval,
            leave=True)

    @staticmethod
    def _loop_len(loop) -> Optional[int]:
        """Iterations of a val / test loop: mmengine's loops hold one
        ``dataloader``, mmagic's ``MultiValLoop`` / ``MultiTestLoop`` a list
        of ``dataloaders``."""
        loaders = getattr(loop, 'dataloaders', None)
        if loaders is None:
            loaders = [getattr(loop, 'dataloader', None)]
        try:
            return sum(len(d) for d in loaders)
        except TypeError:  # a loader without a length
            return None

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _step(self, outputs=None) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        if isinstance(outputs, dict) and 'loss' in outputs:
            loss = outputs['loss']
            loss = float(loss.item() if hasattr(loss, 'item') else loss)
            self._bar.set_postfix_str(f'loss {loss:.4f}', refresh=False)

    def before_train(self, runner) -> None:
        """Open the training bar (resumed runs start at the resumed iter)."""
        self._open(runner, 'train', runner.max_iters, runner.iter)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Advance the training bar and show the loss."""
        self._step(outputs)

    def before_val_epoch(self, runner) -> None:
        """Pause the training bar; open one for validation."""
        self._train_bar, self._bar = self._bar, None
        self._open(runner, 'val', self._loop_len(runner.val_loop))

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        """Advance the validation bar."""
        self._step()

    def after_val_epoch(self, runner, metrics=None) -> None:
        """Close the validation bar and return to the training one."""
        self._close()
        self._bar, self._train_bar = self._train_bar, None

    def before_test_epoch(self, runner) -> None:
        """Open the test bar."""
        self._open(runner, 'test', self._loop_len(runner.test_loop))

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        """Advance the test bar."""
        self._step()

    def after_test_epoch(self, runner, metrics=None) -> None:
        """Close the test bar."""
        self._close()

    def after_train(self, runner) -> None:
        """Close the training bar."""
        self._close()


def _find_skip_counting_dataset(dataset: Any) -> Optional[Any]:
    """Find a dataset with ``num_skipped`` inside dataset wrappers."""
    seen = 0
    while dataset is not None and seen < 8:
        if hasattr(dataset, 'num_skipped'):
            return dataset
        if hasattr(dataset, 'datasets'):  # ConcatDataset
            for sub in dataset.datasets:
                found = _find_skip_counting_dataset(sub)
                if found is not None:
                    return found
            return None
        dataset = getattr(dataset, 'dataset', None)  # Repeat / ClassBalanced
        seen += 1
    return None


@HOOKS.register_module()
class SkippedImagesHook(Hook):
    """Put the count of skipped unreadable training images in the log.

    Reads the shared counter of ``UnlabeledImageDataset`` /
    ``ShardedImageDataset`` (``num_skipped``). Every iteration it records
    the count as the scalar ``train/skipped_images`` (printed by MMEngine's
    ``LoggerHook``); whenever the count has grown, every ``interval``
    iterations and at each epoch end it also writes an explicit log line.

    Args:
        interval (int): Iterations between checks for new skips.
            Defaults to 50.
    """

    priority = 'NORMAL'  # before LoggerHook (BELOW_NORMAL)

    def __init__(self, interval: int = 50) -> None:
        self.interval = interval
        self._reported = 0

    def _report(self, runner, log: bool, force: bool) -> None:
        loader = getattr(runner, 'train_dataloader', None)
        dataset = _find_skip_counting_dataset(
            getattr(loader, 'dataset', None))
        if dataset is None:
            return
        count = dataset.num_skipped
        runner.message_hub.update_scalar('train/skipped_images', count)
        if not log:
            return
        if count > self._reported or (force and count):
            runner.logger.info(
                f'{count} unreadable training image(s) skipped so far')
        self._reported = count

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Record the skip count; log it when it grew."""
        self._report(
            runner, self.every_n_train_iters(runner, self.interval), False)

    def after_train_epoch(self, runner) -> None:
        """Log the skip count at the end of each epoch."""
        self._report(runner, True, True)
