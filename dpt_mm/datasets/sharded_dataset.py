"""Streamed DPT pre-training data from WebDataset tar shards.

The streaming counterpart of ``UnlabeledImageDataset`` (same pipeline and
output) for images read from tar shards with no index; the schedule lives
in :mod:`dpt_mm.datasets.shard_schedule`, backgrounds come from a pairing
shuffle buffer, and :class:`dpt_mm.engine.ShardStreamHook` drives it.
"""
import logging
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import Compose
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from torch.utils.data import IterableDataset, get_worker_info

from dpt_mm.registry import DATASETS
from .shard_schedule import ShardSchedule, StreamLayout, stream_positions
from .shards import (IMAGE_SUFFIXES, ShardListError, count_samples,
                     open_shard, resolve_shards, shard_name)
from .transforms.loading import UnreadableImageError
from .unlabeled_dataset import SharedCounter, record_skip


class PairingShuffleBuffer:
    """A shuffle buffer that also draws a partner for every sample it emits.

    Filling and drawing follow webdataset's ``shuffle`` stage: the buffer
    grows by two samples per draw until it holds ``size``; once it holds
    ``initial`` samples, each step takes a uniformly random sample out (the
    foreground) and names another uniformly random one still in the buffer
    (the background, which stays there).

    Args:
        size (int): Buffer capacity (>= 2).
        initial (int): Samples held before the first draw (2..size).
        rng (np.random.Generator): Random source.
    """

    def __init__(self, size: int, initial: int,
                 rng: np.random.Generator) -> None:
        if size < 2:
            raise ValueError(f'shuffle buffer size must be >= 2, got {size}')
        self.size = int(size)
        self.initial = int(min(max(2, initial), self.size))
        self.rng = rng
        self.buf: List[dict] = []

    def _take(self) -> Tuple[dict, dict]:
        i = int(self.rng.integers(len(self.buf)))
        fg = self.buf[i]
        self.buf[i] = self.buf[-1]
        self.buf.pop()
        bg = self.buf[int(self.rng.integers(len(self.buf)))]
        return fg, bg

    def pairs(self, source: Iterator[dict]) -> Iterator[Tuple[dict, dict]]:
        """Yield ``(foreground, background)`` pairs from ``source``."""
        for sample in source:
            self.buf.append(sample)
            if len(self.buf) < self.size:
                nxt = next(source, None)
                if nxt is not None:
                    self.buf.append(nxt)
            if len(self.buf) >= self.initial:
                yield self._take()
        while len(self.buf) >= 2:
            yield self._take()

    def discard(self, sample: dict) -> None:
        """Remove ``sample`` (e.g. an unreadable background) if present."""
        for i, other in enumerate(self.buf):
            if other is sample:
                self.buf[i] = self.buf[-1]
                self.buf.pop()
                return


@DATASETS.register_module()
class ShardedImageDataset(IterableDataset):
    """Unlabeled images streamed from tar shards, paired with backgrounds.

    Shards: a brace pattern (``data/cc12m/{00000..01242}.tar``), a list
    file (one shard per line, optionally ``url samples``) or a list of
    those, relative to ``data_root``; or only a ``manifest`` (as written by
    ``tools/dataset_converters/folder2shards.py``), which also gives the
    sample count of every shard. The stream needs the counts to know where
    it stands; shards without one are counted at build (their tar headers
    are read; slow for remote shards, so give a manifest or counts).

    Each rank and data-loader worker is one *reader*; in each pass over
    the shards (a permutation drawn from ``seed``, the same on every rank)
    every shard goes to exactly one reader, so no two ranks (or workers)
    read a shard twice in a pass. A reader's samples go through a
    :class:`PairingShuffleBuffer` of ``shuffle_buffer`` samples: each
    foreground is drawn from it and its background is another sample of
    the buffer. The pipeline gets ``fg_path`` / ``bg_path``
    (``<shard url>/<member>``, for messages), the encoded images as
    ``fg_bytes`` / ``bg_bytes`` (which ``LoadImageReduced`` decodes) and
    ``sample_idx`` (the reader's stream position), so the folder dataset's
    pipeline runs unchanged.

    An epoch is ``samples_per_epoch`` samples over all ranks
    (``len(dataset)`` is the per-rank share), so an ``EpochBasedTrainLoop``
    gets ``samples_per_epoch // (world_size * batch_size)`` iterations per
    epoch and its schedule, checkpoints and ``--resume`` work as with the
    folder dataset. Under the training loop :class:`ShardStreamHook` binds
    the stream to the data loader; a resumed run continues every reader on
    shards it has not read (see :mod:`dpt_mm.datasets.shard_schedule`).

    An unreadable image (corrupt member, sample without an image) is
    skipped with a warning naming it and counted in :attr:`num_skipped`
    (shared by forked workers, reported by ``SkippedImagesHook``); an
    unreadable shard is skipped with a warning and counted in
    :attr:`num_bad_shards`. ``probe_limit`` unreadable samples in a row
    stop the run.

    Args:
        shards (str | Sequence[str], optional): Shard pattern(s) or list
            file. Defaults to None (use the manifest's list).
        manifest (str, optional): ``manifest.json`` with per-shard counts.
            Defaults to None.
        data_root (str): Folder (or URL prefix) of relative shard paths.
            Defaults to ''.
        pipeline (list): Transforms (the folder dataset's pipeline).
            Defaults to [].
        samples_per_epoch (int, optional): Samples of one epoch over all
            ranks; None uses the number of samples in the shards.
        shuffle_buffer (int): Samples in each reader's shuffle buffer.
            Defaults to 1000.
        initial_buffer (int): Samples buffered before the first draw.
            Defaults to 100.
        seed (int): Seed of the shard order and of the buffer draws.
            Defaults to 0.
        backend_args (dict, optional): MMEngine backend arguments for
            opening shards. Defaults to None.
        skip_unreadable (bool): Skip unreadable images (True) or raise.
            Defaults to True.
        probe_limit (int): Unreadable samples in a row that stop the run.
            Defaults to 32.
        log_shards (bool): Log every shard a reader opens (rank, worker,
            pass, name). Defaults to True.
    """

    def __init__(self,
                 shards: Union[str, Sequence[str], None] = None,
                 manifest: Optional[str] = None,
                 data_root: str = '',
                 pipeline: Sequence[Any] = (),
                 samples_per_epoch: Optional[int] = None,
                 shuffle_buffer: int = 1000,
                 initial_buffer: int = 100,
                 seed: int = 0,
                 backend_args: Optional[dict] = None,
                 skip_unreadable: bool = True,
                 probe_limit: int = 32,
                 log_shards: bool = True) -> None:
        super().__init__()
        self.backend_args = backend_args
        self.shuffle_buffer = int(shuffle_buffer)
        self.initial_buffer = int(initial_buffer)
        self.seed = int(seed)
        self.skip_unreadable = skip_unreadable
        self.probe_limit = int(probe_limit)
        self.log_shards = log_shards
        if self.shuffle_buffer < 2:
            raise ValueError(f'{type(self).__name__}: shuffle_buffer must be '
                             f'>= 2, got {shuffle_buffer}')
        try:
            entries = resolve_shards(shards, manifest, data_root,
                                     backend_args)
        except ShardListError as err:
            raise ValueError(f'{type(self).__name__}: {err}') from err
        self.urls = [u for u, _ in entries]
        missing = [i for i, (_, c) in enumerate(entries) if c is None]
        counts = [c or 0 for _, c in entries]
        if missing:
            print_log(
                f'{type(self).__name__}: counting the samples of '
                f'{len(missing)} shard(s) without a count (give a manifest '
                'to skip this)',
                logger='current')
            for i in missing:
                try:
                    counts[i] = count_samples(self.urls[i], backend_args)
                except (OSError, ValueError) as err:  # incl. tarfile errors
                    print_log(
                        f'{type(self).__name__}: cannot read shard '
                        f'{self.urls[i]} ({type(err).__name__}: {err}); '
                        'it is left out',
                        logger='current',
                        level=logging.WARNING)
                    counts[i] = 0
        self.counts = np.asarray(counts, dtype=np.int64)
        self.total_samples = int(self.counts.sum())
        if self.total_samples <= 0:
            raise ValueError(f'{type(self).__name__}: the {len(self.urls)} '
                             f'shard(s) hold no image sample')
        self.samples_per_epoch = int(samples_per_epoch or self.total_samples)
        self.rank, self.world_size = get_dist_info()
        if self.samples_per_epoch < self.world_size:
            raise ValueError(f'{type(self).__name__}: samples_per_epoch '
                             f'{self.samples_per_epoch} < {self.world_size} '
                             'ranks')
        self.pipeline = Compose(list(pipeline))
        self._skip_counter = SharedCounter()
        self._bad_shard_counter = SharedCounter()
        self._start_iter = SharedCounter()
        self._layout: Optional[StreamLayout] = None
        self._history: List[dict] = []
        self._live: Optional[dict] = None
        self._unbound = False  # iterated without ShardStreamHook
        self._calls = 0

    # ----------------------------------------------------------- metadata
    @property
    def metainfo(self) -> dict:
        """Dataset meta (what MMEngine's loops read from datasets)."""
        return dict(
            shards=len(self.urls),
            samples=self.total_samples,
            samples_per_epoch=self.samples_per_epoch)

    def __len__(self) -> int:
        """Samples of one epoch on this rank."""
        return self.samples_per_epoch // self.world_size

    @property
    def num_skipped(self) -> int:
        """Unreadable images skipped so far (all forked workers)."""
        return self._skip_counter.value

    @property
    def num_bad_shards(self) -> int:
        """Unreadable shards skipped so far (all forked workers)."""
        return self._bad_shard_counter.value

    # -------------------------------------------------- binding to a loop
    def bind_stream(self, layout: StreamLayout,
                    history: Sequence[dict]) -> None:
        """Tie the stream to a data loader and a run's restart history.

        Called by ``ShardStreamHook`` before the data-loader workers start.

        Args:
            layout (StreamLayout): The loader's readers and batches.
            history (Sequence[dict]): The run's restarts (see
                :func:`stream_positions`); the last one is this start.

        Raises:
            ValueError: Fewer shards than readers in the job.
        """
        if layout.ranks != self.world_size:
            raise ValueError(f'{type(self).__name__}: layout for '
                             f'{layout.ranks} ranks, running on '
                             f'{self.world_size}')
        try:
            ShardSchedule(self.counts, layout.slots, self.seed)
        except ValueError as err:
            raise ValueError(
                f'{type(self).__name__}: {err} ({layout.ranks} rank(s) x '
                f'{layout.workers} worker(s)); write smaller shards or use '
                'fewer data-loader workers') from err
        self._layout = layout
        self._history = [dict(h) for h in history]

    @property
    def stream_layout(self) -> Optional[StreamLayout]:
        """The layout given by :meth:`bind_stream` (None before)."""
        return self._layout

    def set_start_iter(self, iteration: int) -> None:
        """Set the first iteration of the coming epoch (seen by workers)."""
        self._start_iter.set(iteration)

    def reader_positions(self, iteration: int) -> List[Dict[str, Any]]:
        """Where each reader of this rank stands at ``iteration``.

        Returns:
            list[dict]: Per worker: ``worker``, ``slot``, ``position``,
            ``pass``, ``index`` (in the reader's shard list of the pass),
            ``offset`` (samples into that shard) and ``shard`` (its URL).
        """
        layout, positions, schedule = stream_positions(
            self._history, self.counts, self.seed, iteration)
        out = []
        for worker in range(layout.workers):
            slot = layout.slot(self.rank, worker)
            p, i, offset = schedule.locate(slot, positions[slot])
            url = self.urls[int(schedule.shards(slot, p)[i])]
            out.append({
                'worker': worker, 'slot': slot, 'position': positions[slot],
                'pass': p, 'index': i, 'offset': offset, 'shard': url})
        return out

    # ----------------------------------------------------------- reading
    def _tar_error(self, exn: Exception) -> bool:
        """webdataset handler: warn about an unreadable shard, go on."""
        count = self._bad_shard_counter.increment()
        where = ' '.join(str(a) for a in exn.args[1:] if isinstance(a, str))
        print_log(
            f'skipped the rest of an unreadable shard {where} '
            f'({type(exn).__name__}: {exn.args[0] if exn.args else exn}); '
            f'{count} unreadable shard(s) so far',
            logger='current',
            level=logging.WARNING)
        return True

    def _shard_samples(self, url: str) -> Iterator[dict]:
        """The samples of one shard: ``{key, url, suffix, data}``."""
        from webdataset.tariterators import group_by_keys, tar_file_expander
        try:
            stream = open_shard(url, self.backend_args)
        except Exception as err:  # missing file, network, permissions
            err.args = (str(err), url)
            self._tar_error(err)
            return
        try:
            files = tar_file_expander([dict(url=url, stream=stream)],
                                      handler=self._tar_error)
            for sample in group_by_keys(files, handler=self._tar_error):
                suffix = next((s for s in IMAGE_SUFFIXES if s in sample),
                              None)
                key = sample['__key__']
                yield dict(
                    key=key,
                    url=url,
                    suffix=suffix,
                    data=sample[suffix] if suffix else None)
        finally:
            stream.close()

    def _reader_samples(self, slot: int, schedule: ShardSchedule,
                        worker: int, position: int) -> Iterator[dict]:
        """A reader's endless sample stream from stream ``position``."""
        p, i, skip = schedule.locate(slot, position)
        while True:
            order = schedule.shards(slot, p)
            for k in range(i, len(order)):
                url = self.urls[int(order[k])]
                if self.counts[int(order[k])] == 0:
                    continue
                if self.log_shards:
                    print_log(
                        f'shard stream rank {self.rank} worker {worker}: '
                        f'reads {shard_name(url)} (pass {p}, shard '
                        f'{k + 1}/{len(order)} of this reader)',
                        logger='current')
                samples = self._shard_samples(url)
                for sample in samples:
                    if skip > 0:
                        skip -= 1
                        continue
                    yield sample
            p, i, skip = p + 1, 0, 0

    def _pairs(self, slot: int, schedule: ShardSchedule, worker: int,
               position: int) -> Iterator[Tuple[dict, dict, int]]:
        """``(fg, bg, buffer)`` pairs of a reader from ``position`` on."""
        rng = np.random.default_rng([self.seed, slot, int(position), 1])
        buffer = PairingShuffleBuffer(self.shuffle_buffer,
                                      self.initial_buffer, rng)
        source = self._reader_samples(slot, schedule, worker, position)
        for fg, bg in buffer.pairs(source):
            yield fg, bg, buffer

    # ---------------------------------------------------------- iterating
    def _reader_info(self) -> Tuple[int, int]:
        """``(worker, workers)`` of the calling process."""
        info = get_worker_info()
        if info is None:
            return 0, 1
        return info.id, info.num_workers

    def _ensure_bound(self, workers: int) -> None:
        """Bind a default layout when iterated without the hook."""
        if self._layout is not None:
            if self._layout.workers != workers:
                raise RuntimeError(
                    f'{type(self).__name__} was bound for '
                    f'{self._layout.workers} reader(s) per rank but runs '
                    f'in {workers}')
            return
        if workers > 1:
            raise RuntimeError(
                f'{type(self).__name__} in a {workers}-worker data loader '
                'needs ShardStreamHook (custom_hooks) or bind_stream() to '
                'know the batch size')
        layout = StreamLayout(
            ranks=self.world_size,
            workers=1,
            batch_size=1,
            batches_per_epoch=len(self),
            buffer=self.shuffle_buffer)
        self.bind_stream(layout, [dict(iter=0, **layout.to_dict())])
        self._unbound = True

    def __iter__(self) -> Iterator[Any]:
        """One epoch of this reader: its share of the rank's batches."""
        worker, workers = self._reader_info()
        self._ensure_bound(workers)
        layout = self._layout
        if self._unbound:
            start_iter = self._calls * layout.batches_per_epoch
        else:
            start_iter = self._start_iter.value
        self._calls += 1
        slot = layout.slot(self.rank, worker)
        _, positions, schedule = stream_positions(
            self._history, self.counts, self.seed, start_iter)
        expected = positions[slot]
        live = self._live
        if live is None or live['expected'] != expected or live[
                'slot'] != slot:
            last_restart = max(int(h['iter']) for h in self._history
                               if int(h['iter']) <= start_iter)
            position = expected
            if live is not None or last_restart != start_iter:
                # rebuilt outside the recorded restarts: skip to unread
                # shards (a later resume may then re-read a few samples)
                position = schedule.next_boundary(slot,
                                                  expected + layout.buffer)
                print_log(
                    f'shard stream rank {self.rank} worker {worker}: '
                    f'restarted at iteration {start_iter} outside the '
                    'recorded restarts; continuing at stream position '
                    f'{position}',
                    logger='current',
                    level=logging.WARNING)
            # `expected` follows the replayed schedule, `position` the
            # samples actually taken from the stream
            live = dict(
                slot=slot,
                expected=expected,
                position=position,
                pairs=self._pairs(slot, schedule, worker, position))
            self._live = live
        quota = layout.samples_read(worker, layout.batches_per_epoch)
        produced = 0
        failures = 0
        while produced < quota:
            fg, bg, buffer = next(live['pairs'])
            out = self._prepare(fg, bg, buffer, live['position'])
            if out is None:
                failures += 1
                if failures >= self.probe_limit > 0:
                    raise RuntimeError(
                        f'{type(self).__name__}: {failures} unreadable '
                        'samples in a row; are these image shards? (last: '
                        f'{fg["url"]}/{fg["key"]})')
                continue
            failures = 0
            produced += 1
            live['position'] += 1
            live['expected'] += 1
            yield out

    def _prepare(self, fg: dict, bg: dict, buffer: PairingShuffleBuffer,
                 position: int) -> Optional[Any]:
        """Run the pipeline on one pair; None (counted) if unreadable."""
        fg_path = f'{fg["url"]}/{fg["key"]}.{fg["suffix"] or "?"}'
        bg_path = f'{bg["url"]}/{bg["key"]}.{bg["suffix"] or "?"}'
        try:
            if fg['data'] is None:
                raise UnreadableImageError(fg_path, 'no image member')
            if bg['data'] is None:
                raise UnreadableImageError(bg_path, 'no image member')
            info = dict(
                fg_path=fg_path,
                bg_path=bg_path,
                fg_bytes=fg['data'],
                bg_bytes=bg['data'],
                sample_idx=int(position))
            out = self.pipeline(info)
        except UnreadableImageError as err:
            if not self.skip_unreadable:
                raise
            if err.filename == bg_path:
                buffer.discard(bg)
            record_skip(self._skip_counter, err)
            return None
        return out
