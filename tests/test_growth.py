"""Time linear in the input for the decoder and batch (issue 17): CPU time measured at three
sizes, n^1.2 at most (``tests/growth.py``).  Each family was quadratic, or is one a careless
change would make so."""

from __future__ import annotations

import io
import json
from typing import Callable

import pytest

from cfi_typeid.cli.batch import process_line, run_batch
from cfi_typeid.cli.io import raw_lines
from cfi_typeid.errors import DecodeError
from cfi_typeid.itanium.decoded import decode_typeid

from growth import describe, fitted_exponent, times

BOUND = 1.2


def _decode(text: str) -> None:
    try:
        decode_typeid(text)
    except DecodeError:
        pass


class _LongLine(io.RawIOBase):
    """``n`` bytes of ``x``, a newline, ``ok``: a stream that holds none of it in memory, so
    the time measured is that of the reader, not of caches missed over megabytes."""

    def __init__(self, n: int) -> None:
        self.left, self.tail = n, b"\nok\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        if self.left:
            size = min(len(buffer), self.left, 1 << 16)
            buffer[:size] = _XS[:size]
            self.left -= size
            return size
        size = len(self.tail[:len(buffer)])
        buffer[:size], self.tail = self.tail[:size], self.tail[size:]
        return size


_XS = b"x" * (1 << 16)


def _batch(lines: bytes) -> None:
    run_batch(raw_lines(io.BytesIO(lines)), io.StringIO())


FAMILIES: dict[str, tuple[Callable[[int], object], tuple[int, int, int]]] = {
    # 1,000 took 5.5 s: each repeated vendor integer searched the instances from 0
    "decode: n Rust integers": (lambda n: _decode("_ZTSF" + "u3i32" * n + "E"),
                                (500, 1000, 2000)),
    # malformed: a reference with n arguments (4,000 took 80 s)
    "decode: u3refI with n arguments": (
        lambda n: _decode("_ZTSFvu3refI" + "u3i32" * n + "E"), (500, 1000, 2000)),
    "decode: n C parameters": (lambda n: _decode("_ZTSFv" + "lPKcS_" * n + "E"),
                               (500, 1000, 2000)),
    "decode: n substitutions": (
        lambda n: _decode("_ZTSFv" + "".join(f"{len(f'T{i}')}T{i}" for i in range(n)) +
                          "S_" * n + "E"), (200, 400, 800)),
    "decode: n distinct structs of one name": (
        lambda n: _decode("_ZTSFv" + "2S2" * n + "E"), (500, 1000, 2000)),
    "batch: n lines": (
        lambda n: _batch(b"".join(json.dumps({"decl": f"void f(long)", "id": i}).encode()
                                  + b"\n" for i in range(n))), (500, 1000, 2000)),
    "batch: n lines sharing a bad prelude": (
        lambda n: _batch(b"".join(json.dumps({"decl": f"void f{i}(T)", "id": i,
                                              "prelude": "typedef int T; oops;"}).encode()
                                  + b"\n" for i in range(n))), (500, 1000, 2000)),
    "batch: one line with an echoed key of n characters": (
        lambda n: process_line(json.dumps({"decl": "void f(long)", "note": "x" * n})),
        (25_000, 50_000, 100_000)),
    "batch: a line of n bytes over the limit": (
        lambda n: list(raw_lines(io.BufferedReader(_LongLine(n)), limit=1000)),
        (1_000_000, 2_000_000, 4_000_000)),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_time_is_linear(name: str) -> None:
    work, sizes = FAMILIES[name]
    seconds = times(work, sizes)
    for _ in range(2):  # again on a loaded machine, keeping the best time of each size
        if fitted_exponent(sizes, seconds) <= BOUND:
            break
        seconds = [min(a, b) for a, b in zip(seconds, times(work, sizes))]
    assert fitted_exponent(sizes, seconds) <= BOUND, describe(name, sizes, seconds)


def _peak_bytes_per_character(work: Callable[[], object], size: int) -> float:
    import tracemalloc
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / size
    finally:
        tracemalloc.stop()


N = 400_000
#: Peak memory per character of input, at most (measured: C blanks 1, C comment 10 — was 128
#: and 131 before the parameter-span regexp became possessive —, a batch line ~4, decode 46).
MEMORY: dict[str, tuple[Callable[[], object], float]] = {
    "C declaration with a long run of blanks": (
        lambda: process_line(json.dumps({"decl": "void f(long" + " " * N + ");"})), 16),
    "C declaration with a long comment": (
        lambda: process_line(json.dumps({"decl": "void f(long /*" + "x" * N + "*/);"})), 24),
    "Rust declaration with a long run of blanks": (
        lambda: process_line(json.dumps({"decl": "fn f(a: i32" + " " * N + ")",
                                         "lang": "rust"})), 16),
    "batch line with a long echoed key": (
        lambda: process_line(json.dumps({"decl": "void f(long)", "note": "x" * N})), 16),
    "decode of a long id": (lambda: _decode("_ZTSFv" + "lPKc" * (N // 40) + "E"), 64),
}


@pytest.mark.parametrize("name", list(MEMORY))
def test_memory_is_a_small_multiple_of_the_input(name: str) -> None:
    work, bound = MEMORY[name]
    # what the first use of a front end builds once (its imports, grammar tables, parsers:
    # ~7 MB for Rust) is not memory per character: warm them up with short inputs first
    process_line(json.dumps({"decl": "void f(long);"}))
    process_line(json.dumps({"decl": "fn f(a: i32)", "lang": "rust"}))
    _decode("_ZTSFvlE")
    size = N if not name.startswith("decode") else N // 10
    assert _peak_bytes_per_character(work, size) <= bound
