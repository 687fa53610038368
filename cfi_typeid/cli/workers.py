"""Signals and worker processes for ``batch``: a stopped batch leaves whole lines only, and
its workers live and die with it, silently.

SIGINT and SIGTERM stop the batch between two output lines (:func:`stopping_between_lines`):
a signal that comes while a line is being written takes effect once it is written.  A worker
ignores SIGINT (Ctrl-C reaches the whole process group: the parent stops the pool, the
workers do not each print a ``KeyboardInterrupt`` traceback), dies at SIGTERM, and asks the
kernel for a SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``), so even a batch killed
by SIGKILL leaves no worker behind.  A worker's standard error is closed off: what it raises
reaches the parent through the pool, and once the parent is gone there is no one to tell.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

_PR_SET_PDEATHSIG = 1

#: fork where there is one (the workers start with everything imported and the parser warm);
#: spawn elsewhere.
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


class Stopped(BaseException):
    """SIGINT or SIGTERM, raised between two output lines (the CLI exits 128 + signal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signal = signum


class _Lines:
    """Whether a line is being written, and a signal that came meanwhile."""

    writing = False
    pending: int | None = None


LINES = _Lines()


def _stop(signum: int, frame: FrameType | None) -> None:
    if LINES.writing:
        LINES.pending = signum
        return
    raise Stopped(signum)


@contextmanager
def stopping_between_lines() -> Iterator[_Lines]:
    """SIGINT and SIGTERM raise :class:`Stopped`, never while ``LINES.writing`` is set (see
    :func:`written`).  Outside the main thread signals cannot be caught: nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield LINES
        return
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield LINES
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        LINES.writing, LINES.pending = False, None


def written() -> None:
    """A line is written: a signal that came meanwhile stops the batch now."""
    LINES.writing = False
    if LINES.pending is not None:
        signum, LINES.pending = LINES.pending, None
        raise Stopped(signum)


def _die_with_parent(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


@contextmanager
def pool(jobs: int) -> Iterator[Pool]:
    """``jobs`` worker processes, stopped (not waited for) when the block is left."""
    import multiprocessing
    workers = multiprocessing.get_context(START_METHOD).Pool(
        jobs, initializer=_die_with_parent, initargs=(os.getpid(),))
    try:
        yield workers
    finally:
        workers.terminate()
