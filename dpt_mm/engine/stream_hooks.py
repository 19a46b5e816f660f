"""The hook that ties a streamed (sharded) training set to the training loop.

MMEngine's loops only know map-style datasets with samplers; an iterable
stream needs to be told the loader's batch size and worker count, the
first iteration of each epoch (so every worker takes its share of the
epoch's batches from the right place), and across ``--resume`` the history
of restarts, which this hook keeps in the checkpoint's ``meta``.
"""
from typing import Any, List, Optional

from mmengine.dist import all_gather_object, get_world_size
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from dpt_mm.datasets.shard_schedule import StreamLayout
from dpt_mm.datasets.shards import shard_name
from dpt_mm.registry import HOOKS

META_KEY = 'shard_stream'
_META_VERSION = 1


def find_stream_dataset(dataset: Any) -> Optional[Any]:
    """Find a dataset with ``bind_stream`` inside dataset wrappers."""
    for _ in range(8):
        if dataset is None or hasattr(dataset, 'bind_stream'):
            return dataset
        dataset = getattr(dataset, 'dataset', None)
    return None


@HOOKS.register_module()
class ShardStreamHook(Hook):
    """Bind a ``ShardedImageDataset`` to the run and make it resumable.

    * ``before_train``: gives the dataset the loader's layout (ranks,
      workers, batch size, batches per epoch, shuffle buffer) and the run's
      restart history (from the resumed checkpoint, plus this start); on a
      resumed run, logs for every reader of this rank where its stream
      continues (pass, shard, stream position).
    * ``before_train_epoch``: tells the dataset the epoch's first
      iteration; with non-persistent workers, which rebuild their streams
      every epoch, records that as a restart.
    * ``before_save_checkpoint`` / ``after_load_checkpoint``: keep the
      restart history in ``checkpoint['meta']['shard_stream']``.

    Does nothing when the training set is not a stream, so it may stay in
    a config whose dataset is switched back to a folder.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._history: List[dict] = []
        self._loaded: Optional[List[dict]] = None

    @staticmethod
    def _dataset(runner) -> Optional[Any]:
        loader = getattr(runner.train_loop, 'dataloader', None)
        return find_stream_dataset(getattr(loader, 'dataset', None))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Read the restart history of a resumed checkpoint."""
        meta = (checkpoint.get('meta') or {}).get(META_KEY)
        if isinstance(meta, dict) and meta.get('version') == _META_VERSION:
            self._loaded = [dict(h) for h in meta.get('restarts', [])]

    def before_train(self, runner) -> None:
        """Bind the stream to the loader; log where a resumed run goes on."""
        dataset = self._dataset(runner)
        if dataset is None:
            return
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(
                f'{type(dataset).__name__} needs an EpochBasedTrainLoop '
                '(`samples_per_epoch` makes its epochs); '
                f'{type(runner.train_loop).__name__} would re-read the '
                'stream batch by batch on resume')
        loader = runner.train_loop.dataloader
        layout = StreamLayout(
            ranks=get_world_size(),
            workers=max(1, int(loader.num_workers)),
            batch_size=int(loader.batch_size),
            batches_per_epoch=len(loader),
            buffer=int(dataset.shuffle_buffer))
        start = int(runner.iter)
        history = [h for h in (self._loaded or []) if int(h['iter']) < start]
        if start > 0 and not history:
            runner.logger.warning(
                'shard stream: the checkpoint has no stream history (saved '
                'without ShardStreamHook?); assuming this layout since '
                'iteration 0')
            history = [dict(iter=0, **layout.to_dict())]
        history.append(dict(iter=start, **layout.to_dict()))
        self._history = history
        dataset.bind_stream(layout, history)
        dataset.set_start_iter(start)
        if start > 0:
            lines = [
                f'shard stream resumed at iteration {start} (epoch '
                f'{runner.epoch}): rank {dataset.rank} worker '
                f'{pos["worker"]} continues with unread shard '
                f'{shard_name(pos["shard"])} (pass {pos["pass"]}, shard '
                f'{pos["index"] + 1} of this reader, stream position '
                f'{pos["position"]})'
                for pos in dataset.reader_positions(start)
            ]
            # rank 0's log (the one written by default) names every rank's
            if layout.ranks > 1:
                lines = [x for part in all_gather_object(lines) for x in part]
            for line in lines:
                runner.logger.info(line)

    def before_train_epoch(self, runner) -> None:
        """Give the epoch's first iteration to the stream's readers."""
        dataset = self._dataset(runner)
        if dataset is None:
            return
        loader = runner.train_loop.dataloader
        start = int(runner.iter)
        rebuilds = loader.num_workers > 0 and not getattr(
            loader, 'persistent_workers', False)
        if rebuilds and self._history and start > int(
                self._history[-1]['iter']):
            entry = dict(self._history[-1], iter=start)
            self._history.append(entry)
            dataset.bind_stream(dataset.stream_layout, self._history)
        dataset.set_start_iter(start)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the restart history in the checkpoint's meta."""
        if not self._history:
            return
        checkpoint.setdefault('meta', {})[META_KEY] = dict(
            version=_META_VERSION, restarts=[dict(h) for h in self._history])
