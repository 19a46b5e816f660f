"""Exact resume: random number generator states saved in checkpoints.

MMEngine 0.10.7 saves the seed in a checkpoint's ``meta`` but no generator
state; ``--resume`` re-seeds and the run drifts from the first iteration
after the checkpoint (drop-path, the pretext draws and augmentation use the
global torch / numpy / Python generators). :class:`RandomStateHook` saves
those states in every checkpoint and restores them at the point the
uninterrupted run would continue from; see ``docs/reliability.md`` for what
that covers.
"""
import os
import random
from typing import Callable, Iterator, Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from dpt_mm.registry import HOOKS

#: checkpoint key of the saved states
RANDOM_STATE_KEY = 'random_state'


def thread_info() -> dict:
    """The thread settings that CPU results depend on.

    Returns:
        dict: ``torch`` (intra-op threads), ``torch_interop`` and the
        ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` variables (None if unset).
    """
    return dict(
        torch=torch.get_num_threads(),
        torch_interop=torch.get_num_interop_threads(),
        OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS'),
        MKL_NUM_THREADS=os.environ.get('MKL_NUM_THREADS'))


def get_random_state() -> dict:
    """Capture the global torch (CPU and CUDA), numpy and Python states.

    Only plain types and tensors are stored, so the result loads with
    ``torch.load(weights_only=True)``.

    Returns:
        dict: The states, restorable with :func:`set_random_state`.
    """
    np_state = np.random.get_state(legacy=False)
    state = dict(
        torch=torch.get_rng_state(),
        numpy=dict(
            bit_generator=np_state['bit_generator'],
            key=np_state['state']['key'].tolist(),
            pos=int(np_state['state']['pos']),
            has_gauss=int(np_state['has_gauss']),
            gauss=float(np_state['gauss'])),
        python=random.getstate(),
        threads=thread_info())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: dict) -> None:
    """Restore the states captured by :func:`get_random_state`.

    Args:
        state (dict): The captured states (CUDA states are restored when
            present and CUDA is available).
    """
    torch.set_rng_state(state['torch'])
    np_state = state['numpy']
    np.random.set_state(
        dict(
            bit_generator=np_state['bit_generator'],
            state=dict(
                key=np.asarray(np_state['key'], dtype=np.uint32),
                pos=np_state['pos']),
            has_gauss=np_state['has_gauss'],
            gauss=np_state['gauss']))
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    if 'cuda' in state and torch.cuda.is_available():
        cuda = list(state['cuda'])[:torch.cuda.device_count()]
        torch.cuda.set_rng_state_all(cuda)


class _RestoreBeforeFetch:
    """Iterator proxy: calls ``restore`` just before batch ``skip + 1``.

    MMEngine's ``IterBasedTrainLoop`` resumes by fetching (and dropping)
    the batches already trained on, which runs the data pipeline and so
    moves the generators; the saved states must be put back after that
    replay, right before the first new batch is loaded.

    Args:
        iterator (Iterator): The loop's data iterator.
        skip (int): Batches fetched before the restore.
        restore (Callable[[], None]): Restores the states.
    """

    def __init__(self, iterator: Iterator, skip: int,
                 restore: Callable[[], None]) -> None:
        self._iterator = iterator
        self._skip = skip
        self._restore: Optional[Callable[[], None]] = restore

    def __iter__(self) -> '_RestoreBeforeFetch':
        return self

    def __next__(self):
        if self._restore is not None:
            if self._skip == 0:
                self._restore()
                self._restore = None
            else:
                self._skip -= 1
        return next(self._iterator)

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save and restore the generator states for bit-exact ``--resume``.

    - ``before_run``: logs the thread counts (CPU results depend on them).
    - ``before_save_checkpoint``: stores :func:`get_random_state` under
      ``checkpoint['random_state']``.
    - on resume: restores them after MMEngine has replayed the trained
      batches (iteration-based loops) or before the first epoch
      (epoch-based loops), and warns when the thread count differs from the
      one the checkpoint was written with.
    - around validation inside training: saves the states before and
      restores them after, so that validating (which a resumed run does not
      repeat) does not change the training draws.

    Loading a checkpoint with ``load_from`` (no resume) restores nothing.
    In multi-process runs only rank 0 saves checkpoints, so only rank 0's
    states are restored (see ``docs/reliability.md``).
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._loaded: Optional[dict] = None
        self._loaded_meta: dict = {}
        self._restore_in_epoch = False
        self._val_state: Optional[dict] = None

    def before_run(self, runner) -> None:
        """Log the thread settings."""
        info = thread_info()
        runner.logger.info(
            f'threads: torch {info["torch"]} intra-op / '
            f'{info["torch_interop"]} inter-op, OMP_NUM_THREADS='
            f'{info["OMP_NUM_THREADS"] or "unset"}, MKL_NUM_THREADS='
            f'{info["MKL_NUM_THREADS"] or "unset"} (CPU results depend on '
            'the thread count)')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the generator states in the checkpoint."""
        checkpoint[RANDOM_STATE_KEY] = get_random_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the loaded states until the run continues."""
        self._loaded = checkpoint.get(RANDOM_STATE_KEY)
        self._loaded_meta = dict(checkpoint.get('meta') or {})

    def _restore(self, runner) -> None:
        state, self._loaded = self._loaded, None
        if state is None:
            return
        saved = state.get('threads', {}).get('torch')
        if saved is not None and saved != torch.get_num_threads():
            runner.logger.warning(
                f'the checkpoint was written with {saved} torch threads, '
                f'this run uses {torch.get_num_threads()}: results will not '
                'match an uninterrupted run exactly')
        set_random_state(state)
        runner.logger.info('restored the random generator states of the '
                           'checkpoint')

    def before_train(self, runner) -> None:
        """Arrange the restore of a resumed checkpoint's states."""
        if self._loaded is None:
            return
        resumed = runner.iter > 0 and self._loaded_meta.get(
            'iter') == runner.iter
        if not resumed:  # load_from: weights only, fresh random draws
            self._loaded = None
            return
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):  # IterBasedTrainLoop
            loop.dataloader_iterator = _RestoreBeforeFetch(
                loop.dataloader_iterator, runner.iter,
                lambda: self._restore(runner))
        else:  # EpochBasedTrainLoop: no replay, restore before the epoch
            self._restore_in_epoch = True

    def before_train_epoch(self, runner) -> None:
        """Restore the states before the first epoch of a resumed run."""
        if self._restore_in_epoch:
            self._restore_in_epoch = False
            self._restore(runner)

    def before_val(self, runner) -> None:
        """Save the states before validation."""
        self._val_state = get_random_state()

    def after_val(self, runner) -> None:
        """Restore the states of before validation."""
        if self._val_state is not None:
            set_random_state(self._val_state)
            self._val_state = None
