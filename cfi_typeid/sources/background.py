"""One call run in a thread while the caller works: for the steps of a whole-file command
that wait on a subprocess (``rustc -vV`` for the crate disambiguators), so that the wait and
the reading overlap."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

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


__all__ = ["Background"]
