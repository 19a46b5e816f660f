"""Admission control for the matting page: bounded work in flight, a
bounded queue and a memory budget; and the process memory it measures.

Used by :mod:`dpt_mm.apis.webapp`; plain Python (no FastAPI), so that it
can be tested and reused without a server. See docs/serve.md for how the
limits are chosen.
"""
import ctypes
import ctypes.util
import functools
import math
import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Deque, Iterator, Optional


class Overloaded(RuntimeError):
    """Every slot and queue place is taken (or the wait timed out).

    Args:
        message (str): What is full.
        retry_after (int): Seconds after which a retry may succeed.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLarge(ValueError):
    """A request that could never be served within a limit (HTTP 413)."""


def default_in_flight(device: Optional[str]) -> int:
    """One request per CPU core the process may use, one per GPU.

    Args:
        device (str, optional): 'cpu', 'cuda' or 'cuda:N' (one GPU);
            None means cuda when available.

    Returns:
        int: The default number of requests in flight.
    """
    if device is None:
        import torch
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if device.startswith('cuda'):
        return 1  # the service runs on one GPU
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def available_memory() -> int:
    """Bytes the system can give without swapping (``MemAvailable``), or
    the physical memory where /proc/meminfo is missing."""
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')


class ProcessMemory:
    """Resident memory of this process: now, peak, and a peak reset.

    On Linux the peak is the kernel's high-water mark (``VmHWM``), reset by
    writing 5 to ``/proc/self/clear_refs``; elsewhere ``ru_maxrss`` (not
    resettable).
    """

    def __init__(self, pid: Optional[int] = None) -> None:
        self.proc = f'/proc/{pid or "self"}'

    def _status(self, field: str) -> Optional[int]:
        try:
            with open(f'{self.proc}/status') as f:
                for line in f:
                    if line.startswith(field + ':'):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def rss(self) -> int:
        """Resident bytes now."""
        value = self._status('VmRSS')
        if value is not None:
            return value
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def peak(self) -> int:
        """Peak resident bytes since start or the last :meth:`reset_peak`."""
        value = self._status('VmHWM')
        if value is not None:
            return value
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def reset_peak(self) -> bool:
        """Set the peak to the current resident size.

        Returns:
            bool: Whether the peak could be reset.
        """
        try:
            with open(f'{self.proc}/clear_refs', 'w') as f:
                f.write('5')
            return True
        except OSError:
            return False

    def peak_during(self,
                    fn: Callable[[], object],
                    interval: float = 0.002) -> int:
        """Peak resident bytes while ``fn()`` runs: the kernel's peak when
        it can be reset, else the largest of samples every ``interval``
        seconds.

        Args:
            fn (callable): Work to measure.
            interval (float): Sampling period when sampling. Defaults to
                0.002.

        Returns:
            int: Peak resident bytes.
        """
        if self.reset_peak():
            fn()
            return self.peak()
        peak = [self.rss()]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(interval):
                peak[0] = max(peak[0], self.rss())

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            fn()
        finally:
            done.set()
            thread.join()
        return max(peak[0], self.rss())


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, or None elsewhere."""
    try:
        return ctypes.CDLL(ctypes.util.find_library('c')).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def release_free_memory() -> None:
    """Give freed heap memory back to the system (glibc ``malloc_trim``),
    so that the resident size follows the work in flight; a no-op
    elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class AdmissionControl:
    """Admits requests while slots and memory last; queues a few; refuses
    the rest at once.

    A request states its estimated memory (``cost``, bytes). It starts when
    a slot is free, the costs in flight plus its own fit in the budget and
    it is first in the queue (FIFO, so a large request is not overtaken
    forever). It waits in the queue when that is not yet the case and the
    queue has room, and is refused with :class:`Overloaded` when the queue
    is full or the wait exceeds ``queue_timeout``. A cost above the whole
    budget raises :class:`TooLarge` at once.

    Args:
        max_in_flight (int): Requests running at once, >= 1.
        max_queue (int): Requests waiting, >= 0.
        memory_budget (int): Bytes that the running requests may use.
        queue_timeout (float): Longest wait in the queue in seconds.
            Defaults to 300.
    """

    def __init__(self,
                 max_in_flight: int,
                 max_queue: int,
                 memory_budget: int,
                 queue_timeout: float = 300.) -> None:
        if max_in_flight < 1:
            raise ValueError(f'max_in_flight must be >= 1, got '
                             f'{max_in_flight}')
        if max_queue < 0:
            raise ValueError(f'max_queue must be >= 0, got {max_queue}')
        if memory_budget <= 0:
            raise ValueError(f'memory_budget must be > 0, got '
                             f'{memory_budget}')
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.memory_budget = int(memory_budget)
        self.queue_timeout = queue_timeout
        self.in_flight = 0
        self.memory_in_flight = 0
        self._queue: Deque[object] = deque()
        self._cond = threading.Condition()
        self._seconds = 10.  # running mean of request durations

    @property
    def waiting(self) -> int:
        """Requests in the queue."""
        return len(self._queue)

    def retry_after(self) -> int:
        """Seconds a refused client should wait: the mean request duration
        times the requests ahead per slot, at least 1."""
        ahead = (self.in_flight + len(self._queue)) / self.max_in_flight
        return max(1, math.ceil(self._seconds * max(ahead, 1.)))

    def _can_start(self, ticket: object, cost: int) -> bool:
        return (self._queue[0] is ticket
                and self.in_flight < self.max_in_flight
                and self.memory_in_flight + cost <= self.memory_budget)

    @contextmanager
    def admit(self, cost: int, what: str = 'the request') -> Iterator[None]:
        """Hold a slot and ``cost`` bytes of the budget while the block
        runs.

        Args:
            cost (int): Estimated bytes the request needs.
            what (str): Names the request in the :class:`TooLarge` message.

        Raises:
            TooLarge: ``cost`` exceeds the whole budget.
            Overloaded: No queue place, or the wait timed out.
        """
        cost = int(cost)
        if cost > self.memory_budget:
            raise TooLarge(
                f'{what} needs about {cost / 2**30:.2f} GB, more than the '
                f'memory budget ({self.memory_budget / 2**30:.2f} GB)')
        ticket = object()
        with self._cond:
            idle = (not self._queue and self.in_flight < self.max_in_flight
                    and self.memory_in_flight + cost <= self.memory_budget)
            if not idle and len(self._queue) >= self.max_queue:
                raise Overloaded(
                    f'busy: {self.in_flight} requests running and '
                    f'{len(self._queue)} waiting (the limits are '
                    f'{self.max_in_flight} and {self.max_queue})',
                    self.retry_after())
            self._queue.append(ticket)
            deadline = time.monotonic() + self.queue_timeout
            while not self._can_start(ticket, cost):
                left = deadline - time.monotonic()
                if left <= 0:
                    self._queue.remove(ticket)
                    self._cond.notify_all()
                    raise Overloaded(
                        f'busy: waited {self.queue_timeout:g} s in the '
                        f'queue', self.retry_after())
                self._cond.wait(left)
            self._queue.popleft()
            self.in_flight += 1
            self.memory_in_flight += cost
            self._cond.notify_all()  # the next in the queue may fit too
        start = time.monotonic()
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self.memory_in_flight -= cost
                self._seconds = 0.8 * self._seconds + 0.2 * (
                    time.monotonic() - start)
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Run the block alone: wait for the work in flight to end and keep
        new work out meanwhile (for measuring a model's memory). Waits in
        the queue like a request, without its limits."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            while not (self._queue[0] is ticket and self.in_flight == 0):
                self._cond.wait()
            self._queue.popleft()
            self.in_flight += 1
            self.memory_in_flight += self.memory_budget
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self.memory_in_flight -= self.memory_budget
                self._cond.notify_all()
