"""How the CPU time of a piece of work grows with the size of its input.

``exponent(work, sizes)`` runs ``work(n)`` at each size (best of a few runs, CPU time of this
process) and fits ``time = c * n**k`` through the smallest and largest sizes; a test asserts
``k`` stays below a bound (1.2 for "linear"), which catches a quadratic loop (k ~ 2) without
being fooled by constant costs (they only lower k) or by noise (the sizes span 4x or more and
the best run is kept).  Work too fast to time at the smallest size is repeated until it is not.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

#: Below this much CPU time a measurement is repeated (timer resolution, scheduling noise).
MIN_SECONDS = 0.02


def cpu_seconds(work: Callable[[], object], repeat: int = 3) -> float:
    """The best CPU time of ``repeat`` runs of ``work`` (each run repeated until it takes at
    least :data:`MIN_SECONDS`, and divided back)."""
    best = math.inf
    for _ in range(repeat):
        loops, spent = 0, 0.0
        start = time.process_time()
        while spent < MIN_SECONDS:
            work()
            loops += 1
            spent = time.process_time() - start
        best = min(best, spent / loops)
    return best


def times(work: Callable[[int], object], sizes: Sequence[int], repeat: int = 3
          ) -> list[float]:
    """CPU seconds of ``work(n)`` for each ``n`` in ``sizes``."""
    return [cpu_seconds(lambda: work(n), repeat) for n in sizes]


def exponent(work: Callable[[int], object], sizes: Sequence[int] = (1000, 2000, 4000),
             repeat: int = 3) -> float:
    """``k`` in ``time ~ n**k`` for ``work``, measured at ``sizes`` (at least two, growing)."""
    measured = times(work, sizes, repeat)
    return fitted_exponent(sizes, measured)


def fitted_exponent(sizes: Sequence[int], seconds: Sequence[float]) -> float:
    """The slope of log time over log size between the first and the last measurement (the
    middle ones are for the report: a curve that bends shows there)."""
    return math.log(seconds[-1] / seconds[0]) / math.log(sizes[-1] / sizes[0])


def describe(name: str, sizes: Sequence[int], seconds: Sequence[float]) -> str:
    """``name: n=1000 1.2 ms, n=2000 2.3 ms, ... -> n^1.02`` for a test's message."""
    points = ", ".join(f"n={n} {s * 1000:.1f} ms" for n, s in zip(sizes, seconds))
    return f"{name}: {points} -> n^{fitted_exponent(sizes, seconds):.2f}"
