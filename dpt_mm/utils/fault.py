"""Fault injection for the kill tests of checkpoint writing.

``DPT_MM_FAULT=POINT[:FILE]`` makes the process send itself ``SIGKILL`` at a
named point of a checkpoint save (:func:`fault_point`, docs/reliability.md).
Unset (the normal case), every point is a dictionary look-up.
"""
import os
import os.path as osp
import signal
import sys

FAULT_ENV = 'DPT_MM_FAULT'


def fault_armed(point: str) -> bool:
    """Whether ``DPT_MM_FAULT`` names ``point`` (for any file)."""
    spec = os.environ.get(FAULT_ENV)
    return bool(spec) and spec.partition(':')[0] == point


def fault_point(point: str, path: str) -> None:
    """SIGKILL this process if ``DPT_MM_FAULT`` selects ``point`` / ``path``.

    ``DPT_MM_FAULT=POINT`` or ``DPT_MM_FAULT=POINT:FILE`` makes the process
    send itself ``SIGKILL`` when it reaches ``POINT`` (for the file whose
    base name is ``FILE``, if given), so that a test can stop a real
    training run at exactly the moment that matters (no Python clean-up
    code runs, as under ``kill -9`` or an out-of-memory kill). Points:

    - ``write``: half of a file written to its temporary name;
    - ``rename``: the temporary file complete and synced, not yet renamed;
    - ``last_checkpoint``: a checkpoint renamed into place,
      ``last_checkpoint`` not yet updated;
    - ``rotate``: ``last_checkpoint`` updated, outdated checkpoints not yet
      removed.

    Args:
        point (str): Name of the point reached.
        path (str): The file being written there.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    name, _, target = spec.partition(':')
    if name != point or (target and osp.basename(path) != target):
        return
    print(f'{FAULT_ENV}: SIGKILL at {point} ({path})', file=sys.stderr,
          flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
