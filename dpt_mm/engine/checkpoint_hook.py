"""A checkpoint hook that never leaves a work dir without a usable checkpoint.

MMEngine 0.10.7's ``CheckpointHook`` removes the oldest checkpoint *before*
it saves the new one and writes ``last_checkpoint`` with a plain
``open('w')``: a job killed during the save (``max_keep_ckpts=1``) is left
with no checkpoint and a ``last_checkpoint`` naming the deleted file.
:class:`SafeCheckpointHook` keeps every behaviour of MMEngine's hook
(intervals, ``save_best``, publishing, ...) and changes only the order and
the clean-up of a save.
"""
import os
import os.path as osp
import re
from typing import Iterable, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from dpt_mm.registry import HOOKS
from dpt_mm.utils.fault import fault_point
from dpt_mm.utils.io import atomic_write_text

#: message-hub key of the checkpoints a save was about to remove
PENDING_REMOVAL_KEY = 'dpt_mm_ckpts_to_remove'

# ``atomic_write`` names its temporary files ``.<target>.<8 chars>.tmp``
_TMP_RE = re.compile(r'^\.(?P<target>.+)\.[A-Za-z0-9_]{8}\.tmp$')


def is_checkpoint_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file of a checkpoint write.

    Args:
        name (str): A file name (no folder).

    Returns:
        bool: True for ``.iter_N.pth.XXXXXXXX.tmp`` (any ``*.pth`` target)
        and ``.last_checkpoint.XXXXXXXX.tmp``.
    """
    match = _TMP_RE.match(name)
    if match is None:
        return False
    target = match.group('target')
    return target.endswith('.pth') or target == 'last_checkpoint'


def remove_stale_temporaries(folders: Iterable[str]) -> List[str]:
    """Remove temporary checkpoint files that an interrupted save left.

    ``atomic_write`` removes its temporary file on any Python exception, so
    one that still exists when no save is running was left by a process
    that was killed (``SIGKILL``, out of memory, pre-emption).

    Args:
        folders (Iterable[str]): Folders to clean (not recursive).

    Returns:
        list[str]: One ``'PATH (SIZE MB)'`` per removed file.
    """
    removed = []
    for folder in sorted(set(folders)):
        if not osp.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = osp.join(folder, name)
            if not is_checkpoint_temporary(name) or not osp.isfile(path):
                continue
            try:
                size = osp.getsize(path)
                os.remove(path)
            except FileNotFoundError:
                continue
            removed.append(f'{path} ({size / 2**20:.1f} MB)')
    return removed


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` with save-then-rotate order.

    A save now runs: write ``iter_N.pth`` (atomically when the config opts
    in with :mod:`dpt_mm.engine.safe_io`), write ``last_checkpoint``
    (atomically, naming the complete file), and only then remove the
    checkpoints that fall out of ``max_keep_ckpts``. Killed at any moment, the work dir keeps the
    previous checkpoint and a ``last_checkpoint`` naming an existing file.
    Checkpoints a killed save did not get to remove are listed in the new
    checkpoint's message hub and removed on resume; temporary files of an
    interrupted write (``.iter_N.pth.XXXXXXXX.tmp``) are removed, and
    logged, before training and before every save.

    MMEngine's hook offers neither order nor clean-up as an option, hence
    the subclass. Arguments are those of
    :class:`mmengine.hooks.CheckpointHook`.
    """

    def before_train(self, runner) -> None:
        """Set up as MMEngine does, then clean what a killed job left."""
        super().before_train(runner)
        if not is_main_process():
            return
        self._clean_temporaries(runner)
        pending = runner.message_hub.get_info(PENDING_REMOVAL_KEY, None)
        if pending:
            keep = set(getattr(self, 'keep_ckpt_ids', ()))
            self._remove_checkpoints(runner,
                                     [s for s in pending if s not in keep])
            runner.message_hub.update_info(PENDING_REMOVAL_KEY, [])

    def _clean_temporaries(self, runner) -> None:
        """Remove and log stale temporary checkpoint files."""
        for entry in remove_stale_temporaries([self.out_dir,
                                               runner.work_dir]):
            runner.logger.warning(
                f'removed {entry}: a partial file left by an interrupted '
                'checkpoint save')

    def _remove_checkpoints(self, runner, steps: Iterable[int]) -> None:
        """Remove the checkpoints of ``steps`` (files or folders) if any."""
        for step in steps:
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                # checkpoints saved by deepspeed are directories
                self.file_backend.rmtree(path)
            else:
                continue
            runner.logger.info(f'removed the outdated checkpoint {path}')

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: Optional[dict]) -> None:
        """Save checkpoint ``step``; remove outdated ones only afterwards."""
        to_remove: List[int] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            # the same step twice (save + save_best) keeps one entry
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                to_remove.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        # saved inside the new checkpoint: a resume finishes the rotation
        runner.message_hub.update_info(PENDING_REMOVAL_KEY, to_remove)

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        if is_main_process():
            self._clean_temporaries(runner)

        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        # model-parallel runs gather sharded states on all ranks; only the
        # main process writes files
        if not is_main_process():
            return
        save_file = osp.join(runner.work_dir, 'last_checkpoint')
        fault_point('last_checkpoint', self.last_ckpt)
        atomic_write_text(save_file, str(self.last_ckpt))
        fault_point('rotate', self.last_ckpt)
        self._remove_checkpoints(runner, to_remove)
        runner.message_hub.update_info(PENDING_REMOVAL_KEY, [])
