"""Input handling the CLI commands share: text-or-file options, FILE-or-stdin arguments and
``--crates`` maps, each turning an OS problem into a :class:`UsageError` (exit 2, no
traceback)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO, Iterator

from ..errors import UsageError


def read_text(text: str, path: str | None) -> str:
    """``text``, or the contents of ``path`` when one is given (``--prelude`` /
    ``--prelude-file``)."""
    if path is None:
        return text
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None


@contextmanager
def open_input(path: str) -> Iterator[IO[str]]:
    """Standard input for ``-``, else the file at ``path``."""
    if path == "-":
        yield sys.stdin
        return
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    with f:
        yield f


def parse_crates(text: str) -> dict[str, str]:
    """``core=sgEmfK2I1SDT_,probe=...`` as a map of crate name → disambiguator."""
    crates: dict[str, str] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"--crates takes NAME=DISAMBIGUATOR pairs, not {item!r}")
        crates[name.strip()] = value.strip()
    return crates
