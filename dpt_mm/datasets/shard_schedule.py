"""Which shards each reader of a streamed data set reads, and where it stands.

:class:`ShardSchedule` orders the shards per pass; :func:`stream_positions`
replays a run's restarts to place every reader on resume (docs/streaming.md,
section 4). webdataset's resampling mode gives no disjointness and its epoch
mode no resume, hence this module.
"""
from dataclasses import asdict, dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np


@dataclass(frozen=True)
class StreamLayout:
    """How a training run reads the stream.

    A *reader* is one data-loader worker of one rank (the main process when
    ``num_workers=0``); reader ``(rank, worker)`` is slot ``rank + ranks *
    worker`` of ``ranks * workers`` slots. In an epoch of
    ``batches_per_epoch`` batches per rank, batch ``k`` comes from worker
    ``k % workers`` (PyTorch's round robin over iterable-dataset workers),
    so the position of every reader at any iteration follows from the
    iteration alone (:meth:`samples_read`).

    Args:
        ranks (int): Number of ranks (world size).
        workers (int): Readers per rank (``max(1, num_workers)``).
        batch_size (int): Samples per batch and rank.
        batches_per_epoch (int): Batches per epoch and rank.
        buffer (int): Shuffle buffer size of each reader.
    """

    ranks: int
    workers: int
    batch_size: int
    batches_per_epoch: int
    buffer: int

    @property
    def slots(self) -> int:
        """Readers in the whole job."""
        return self.ranks * self.workers

    def slot(self, rank: int, worker: int) -> int:
        """Slot index of reader ``(rank, worker)``."""
        return rank + self.ranks * worker

    def worker_of(self, slot: int) -> int:
        """Worker index of a slot."""
        return slot // self.ranks

    def samples_read(self, worker: int, iters: int) -> int:
        """Samples worker ``worker`` yields in ``iters`` iterations counted
        from an epoch start."""
        w_total = self.workers

        def batches(x: int) -> int:
            return x // w_total + (1 if worker < x % w_total else 0)

        full, rest = divmod(int(iters), max(1, self.batches_per_epoch))
        return self.batch_size * (
            full * batches(self.batches_per_epoch) + batches(rest))

    def batches_of(self, worker: int) -> int:
        """Batches worker ``worker`` yields in one epoch."""
        return self.samples_read(worker, self.batches_per_epoch) // max(
            1, self.batch_size)

    def same_readers(self, other: 'StreamLayout') -> bool:
        """Whether ``other`` has the same readers (ranks and workers)."""
        return (self.ranks, self.workers) == (other.ranks, other.workers)

    def to_dict(self) -> dict:
        """A plain dict (for checkpoints)."""
        return asdict(self)


class ShardSchedule:
    """Shard order per pass and stream positions of every slot.

    The stream is cut into *passes*: pass ``p`` orders all shards by a
    permutation drawn from ``(seed, p)`` (the same on every rank) and slot
    ``s`` reads the shards at positions ``s, s + slots, s + 2 * slots, ...``
    of it (what webdataset's ``split_by_node`` followed by
    ``split_by_worker`` gives), so within a pass every shard is read by
    exactly one reader of the whole job. A slot's stream is its shards of
    pass 0, then of pass 1, ...; a *position* counts the samples along it.

    Args:
        counts (Sequence[int]): Samples per shard.
        slots (int): Readers in the job; at most ``len(counts)``.
        seed (int): Seed of the per-pass shard permutations (the same on
            every rank). Defaults to 0.

    Raises:
        ValueError: More slots than shards, or no sample at all.
    """

    _MAX_EMPTY_PASSES = 1000

    def __init__(self, counts: Sequence[int], slots: int, seed: int = 0):
        self.counts = np.asarray(counts, dtype=np.int64)
        self.slots = int(slots)
        self.seed = int(seed)
        if self.slots < 1 or self.slots > len(self.counts):
            raise ValueError(
                f'{len(self.counts)} shard(s) cannot feed {self.slots} '
                'readers: every reader (rank x data-loader worker) needs at '
                'least one shard per pass')
        if self.counts.sum() <= 0:
            raise ValueError('the shards hold no sample')
        self._orders: Dict[int, np.ndarray] = {}
        # _starts[p][s]: position of slot s at the start of pass p
        self._starts: List[np.ndarray] = [
            np.zeros(self.slots, dtype=np.int64)
        ]

    def order(self, p: int) -> np.ndarray:
        """Shard indices of pass ``p`` in reading order (all slots)."""
        order = self._orders.get(p)
        if order is None:
            rng = np.random.default_rng([self.seed, int(p)])
            order = rng.permutation(len(self.counts))
            if len(self._orders) > 64:
                self._orders.clear()
            self._orders[p] = order
        return order

    def shards(self, slot: int, p: int) -> np.ndarray:
        """Shard indices slot ``slot`` reads in pass ``p``, in order."""
        return self.order(p)[slot::self.slots]

    def pass_lengths(self, p: int) -> np.ndarray:
        """Samples of every slot in pass ``p``."""
        order = self.order(p)
        return np.bincount(
            np.arange(len(order)) % self.slots,
            weights=self.counts[order],
            minlength=self.slots).astype(np.int64)

    def pass_start(self, slot: int, p: int) -> int:
        """Position of slot ``slot`` at the start of pass ``p``."""
        while len(self._starts) <= p:
            q = len(self._starts) - 1
            self._starts.append(self._starts[q] + self.pass_lengths(q))
        return int(self._starts[p][slot])

    def locate(self, slot: int, pos: int) -> Tuple[int, int, int]:
        """The shard holding stream position ``pos`` of ``slot``.

        Returns:
            tuple[int, int, int]: Pass, index of the shard in the slot's
            list of that pass, and samples of that shard before ``pos``.
        """
        p = 0
        while True:
            if self.pass_start(slot, p + 1) > pos:
                break
            p += 1
            if p > self._MAX_EMPTY_PASSES and self.pass_start(
                    slot, p) == self.pass_start(
                        slot, p - self._MAX_EMPTY_PASSES):
                raise ValueError(
                    f'reader slot {slot} got only empty shards in '
                    f'{self._MAX_EMPTY_PASSES} passes')
        offset = int(pos) - self.pass_start(slot, p)
        cum = np.cumsum(self.counts[self.shards(slot, p)])
        i = int(np.searchsorted(cum, offset, side='right'))
        before = int(cum[i - 1]) if i > 0 else 0
        return p, i, offset - before

    def next_boundary(self, slot: int, pos: int) -> int:
        """The first shard boundary of ``slot``'s stream at or after
        ``pos``."""
        p, i, within = self.locate(slot, pos)
        if within == 0:
            return int(pos)
        count = int(self.counts[self.shards(slot, p)[i]])
        return int(pos) - within + count

    def pass_of(self, slot: int, pos: int) -> int:
        """The pass that stream position ``pos`` of ``slot`` falls in."""
        return self.locate(slot, pos)[0]


def stream_positions(history: Sequence[dict], counts: Sequence[int],
                     seed: int, iteration: int
                     ) -> Tuple[StreamLayout, List[int], ShardSchedule]:
    """Replay the restarts of a run: every slot's position at ``iteration``.

    A *restart* (resume, or a new epoch with non-persistent workers)
    rebuilds the readers; each then starts at the first shard boundary at
    or after its position plus the shuffle buffer (every sample it already
    trained on lies before that point), i.e. on shards it has not read. The
    restarts are kept in the checkpoint, so a later resume replays them and
    lands on unread shards again. When the layout (ranks, workers) changes
    at a restart, the new readers start together at the pass after the
    furthest one any old reader had reached.

    Args:
        history (Sequence[dict]): Restarts in order, each
            ``dict(iter=..., **StreamLayout fields)``; the first is the
            run's start (usually iteration 0). Entries after ``iteration``
            are ignored.
        counts (Sequence[int]): Samples per shard.
        seed (int): Seed of the shard permutations.
        iteration (int): Iteration to compute the positions for.

    Returns:
        tuple: The layout in force, the position of each of its slots and
        its schedule.
    """
    entries = [h for h in history if int(h['iter']) <= iteration]
    if not entries:
        raise ValueError(f'no stream start at or before iteration '
                         f'{iteration}')

    def layout_of(entry: dict) -> StreamLayout:
        return StreamLayout(**{
            k: int(entry[k])
            for k in ('ranks', 'workers', 'batch_size', 'batches_per_epoch',
                      'buffer')
        })

    layout = layout_of(entries[0])
    schedule = ShardSchedule(counts, layout.slots, seed)
    positions = [0] * layout.slots
    start = int(entries[0]['iter'])
    for entry in entries[1:]:
        span = int(entry['iter']) - start
        positions = [
            pos + layout.samples_read(layout.worker_of(s), span)
            for s, pos in enumerate(positions)
        ]
        new = layout_of(entry)
        if new.same_readers(layout):
            positions = [
                schedule.next_boundary(s, pos + layout.buffer)
                for s, pos in enumerate(positions)
            ]
        else:
            furthest = max(
                schedule.pass_of(s, pos + layout.buffer)
                for s, pos in enumerate(positions))
            schedule = ShardSchedule(counts, new.slots, seed)
            positions = [
                schedule.pass_start(s, furthest + 1)
                for s in range(new.slots)
            ]
        layout, start = new, int(entry['iter'])
    span = int(iteration) - start
    positions = [
        pos + layout.samples_read(layout.worker_of(s), span)
        for s, pos in enumerate(positions)
    ]
    return layout, positions, schedule
