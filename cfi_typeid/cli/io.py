"""Input handling the CLI commands share: text-or-file options, FILE-or-stdin arguments,
JSON Lines and ``--crates`` maps, each turning an OS or encoding problem into a
:class:`UsageError` (exit 2, no traceback) or an error of one line.

Files are read as bytes and split on ``\\n`` only (a bare CR stays inside its line), as the
same bytes on standard input would be: a file given by name and the same file piped in give
the same answer.  Text that is not UTF-8 is an error of the line it is on, never of the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import IO, Callable, Iterator

from .limits import MAX_FILE_BYTES, MAX_LINE_BYTES
from ..errors import UsageError

_BOM = b"\xef\xbb\xbf"


def read_text(text: str, path: str | None) -> str:
    """``text``, or the contents of ``path`` when one is given (``--prelude`` /
    ``--prelude-file``).  Bytes that are not UTF-8 become lone surrogates (as on standard
    input), which the parsers report as an unexpected character at their line and column."""
    if path is None:
        return text
    with open_binary(path) as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_FILE_BYTES:,} bytes (the limit for a "
                         "file read whole)")
    return data.removeprefix(_BOM).decode("utf-8", "surrogateescape")


@contextmanager
def open_binary(path: str) -> Iterator[IO[bytes]]:
    """Standard input's bytes for ``-``, else the file at ``path``, opened for reading bytes."""
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        f = open(path, "rb")
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    with f:
        yield f


def raw_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes | int]:
    """Each line of ``stream`` without its ``\\n`` (a UTF-8 byte order mark before the first
    one dropped), or, for a line longer than ``limit`` bytes, its length: such a line is
    skipped in pieces, never held in memory whole."""
    first = True
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if first:
            line, first = line.removeprefix(_BOM), False
        if line.endswith(b"\n"):
            yield line[:-1]
        elif len(line) <= limit:
            yield line  # the last line, without a newline
        else:
            length = len(line)
            while line and not line.endswith(b"\n"):
                line = stream.readline(1 << 16)
                length += len(line)
            yield length - line.endswith(b"\n")


def decode_line(raw: bytes) -> tuple[str, tuple[str, int] | None]:
    """A line's text and, when its bytes are not UTF-8, what is wrong and at which column
    (its text then has U+FFFD in their place)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        column = len(raw[:e.start].decode("utf-8", "replace")) + 1
        return (raw.decode("utf-8", "replace"),
                (f"not UTF-8: byte 0x{raw[e.start]:02x} at column {column}", column))


def surrogate_problem(text: str, what: str) -> str | None:
    """Why ``text`` cannot be hashed or compiled, when it holds a lone surrogate (an escape
    such as ``\\ud800`` in JSON, or a byte that is not UTF-8 in an argument), else None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return (f"{what} is not UTF-8 text: lone surrogate U+{ord(text[e.start]):04X} at "
                f"character {e.start + 1}")
    return None


def parse_crates(text: str) -> dict[str, str]:
    """``core=sgEmfK2I1SDT_,probe=...`` as a map of crate name → disambiguator."""
    crates: dict[str, str] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"--crates takes NAME=DISAMBIGUATOR pairs, not {item!r}")
        crates[name.strip()] = value.strip()
    return crates


def json_encoder(*, allow_nan: bool = True) -> Callable[[object], str]:
    """``json.dumps`` (default separators, ASCII) with ``allow_nan``, for a command that writes
    one JSON line per record: the C encoder is made once, where ``json.dumps`` makes it, and
    a dictionary of markers, anew for every call (~40% of a short line's cost).  Without
    markers: the values written are our records and JSON read back, which hold no cycle
    (nesting is bounded by RecursionError all the same)."""
    encoder = json.JSONEncoder(allow_nan=allow_nan)
    if c_make_encoder is None:
        return encoder.encode
    one_shot = c_make_encoder(None, encoder.default, encode_basestring_ascii, None,
                              encoder.key_separator, encoder.item_separator, False, False,
                              allow_nan)

    def encode(value: object) -> str:
        return "".join(one_shot(value, 0))
    return encode


def add_c_standard(p: argparse.ArgumentParser) -> None:
    """``--std``: the C standard C text is read in, as clang's ``-std=`` (which ``--cpp``
    is given too)."""
    from ..targets import C_STANDARDS, DEFAULT_C_STANDARD
    p.add_argument("--std", default=DEFAULT_C_STANDARD, choices=list(C_STANDARDS),
                   help=f"C standard, as clang's -std= (default: {DEFAULT_C_STANDARD}, "
                        "clang-19's; c23 reads 'void f()' as 'void f(void)')")
