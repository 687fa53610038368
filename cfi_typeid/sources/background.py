"""Work that overlaps the caller's: :class:`Background`, one call in a thread, for the steps of
a whole-file command that wait on a subprocess (``rustc -vV`` for the crate disambiguators);
and :class:`Forked`, one call in a forked process, for work that needs a CPU of its own (the C
side of ``check-bindings`` while this process reads the Rust side: threads would take turns
under the GIL)."""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import threading
from typing import Callable, Generic, TypeVar

from ..regex_code import save_new_patterns

T = TypeVar("T")


class Background(Generic[T]):
    """``call()`` started now in a (daemon) thread; :meth:`result` waits for it and gives
    what it returned, or raises what it raised, each time it is asked.  (Not a
    ``concurrent.futures.Future``: importing it brings ``logging``, about 4 ms of every
    whole-file command's start, which otherwise never loads it.)"""

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._value: list[T] = []
        self._error: list[Exception] = []
        self._thread = threading.Thread(target=self._run, name="cfi_typeid-background",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value.append(self._call())
        except Exception as e:  # noqa: BLE001 - raised by result(), in the caller's thread
            self._error.append(e)

    def result(self) -> T:
        self._thread.join()
        if self._error:
            raise self._error[0]
        return self._value[0]


def spare_cpu() -> bool:
    """Whether this process may run on two CPUs or more (its affinity, where the system
    says), and can fork: what makes a :class:`Forked` call really run alongside."""
    if not hasattr(os, "fork"):
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus >= 2


class Forked(Generic[T]):
    """``call()`` run now in a forked child process, when there is a spare CPU for it
    (:func:`spare_cpu`), its value pickled back; :meth:`result` gives it (once).  Without a
    spare CPU, or when the child fails in any way, ``call`` runs in this process at
    :meth:`result`, so what it raises, and anything it writes, are exactly what calling it
    there gives.  A child that failed where the call itself did not (its value would not
    pickle or not load again, the child died) is a defect that only costs time, which is
    how it once hid (compiled ``check-bindings`` read its C side twice): :meth:`result`
    says so on standard error, and :attr:`fell_back` keeps why, for tests.

    ``call`` must not read standard input or write anything (the child leaves with
    ``os._exit``: what it buffered is lost, and it takes no lock another thread may have held
    at the fork), nor change anything but what it returns.  Both streams are flushed before
    the fork, so nothing buffered here is written twice."""

    def __init__(self, call: Callable[[], T], *, fork: bool | None = None) -> None:
        self._call = call
        self._pid = 0
        self._pipe = -1
        #: Why the call last ran here after its child failed ("" if it did not).
        self.fell_back = ""
        if spare_cpu() if fork is None else fork:
            self._start()

    def _start(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(self._call, write)
        os.close(write)
        self._pid, self._pipe = pid, read

    def ready(self) -> bool:
        """Whether :meth:`result` would not wait: the child has written its value (or
        ended); False when the call runs here."""
        if not self._pid:
            return False
        readable, _, _ = select.select([self._pipe], [], [], 0)
        return bool(readable)

    def cancel(self) -> None:
        """End the child without waiting for its value (:meth:`result` then runs the call
        here)."""
        if self._pid:
            pid, self._pid = self._pid, 0
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            os.close(self._pipe)
            os.waitpid(pid, 0)

    def result(self) -> T:
        if self._pid:
            pid, self._pid = self._pid, 0
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            if code == 0 and data:
                try:
                    value: T = pickle.loads(data)
                    return value
                except Exception as e:  # noqa: BLE001 - run it here: the same value, or its error
                    self.fell_back = f"its value did not load ({type(e).__name__}: {e})"
            elif code != _RAISED:
                self.fell_back = _CHILD_ENDS.get(code, f"it ended with status {code}")
            if self.fell_back:
                value = self._call()  # (its error, if it raises, is all the caller needs)
                print(f"warning: work done in a second process was done again here, which is"
                      f" slower: {self.fell_back}", file=sys.stderr)
                return value
        return self._call()


#: The child's exit statuses (besides 0): the call raised (the parent runs it for its
#: error, silently), or what came after it failed.
_RAISED, _UNPICKLED, _UNWRITTEN = 1, 2, 3
_CHILD_ENDS = {_UNPICKLED: "its value did not pickle", _UNWRITTEN: "it could not send its value"}


def _child(call: Callable[[], object], pipe: int) -> None:
    """Run ``call`` and write its pickled value to ``pipe``; exit 0 if that all went well.
    (``os._exit``: nothing of the parent's, no exit handler, no flush, runs here; so the
    regular expressions compiled here are written to their cache by hand, as an exit handler
    does elsewhere.)"""
    status = _RAISED
    try:
        value = call()
        status = _UNPICKLED
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        status = _UNWRITTEN
        with os.fdopen(pipe, "wb") as out:
            out.write(data)
        status = 0
        save_new_patterns()  # (after the value: only what was compiled anew, once)
    except BaseException:  # noqa: BLE001 - the parent runs the call again, for its error
        pass
    finally:
        os._exit(status)


__all__ = ["Background", "Forked", "spare_cpu"]
