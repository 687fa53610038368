"""v0-style Rust paths inside rustc's vendor types: ``N<ns>.. C [s<base-62>_] <crate> <ident>..``.

The inverse of :func:`cfi_typeid.itanium.encoder.rust_path_name`, kept apart from the Itanium parser
because its grammar is v0's, not Itanium's: namespaces come innermost first, identifiers take a
``_`` separator when they start with a digit or ``_``, and the crate root carries the crate's
disambiguator.
"""

from __future__ import annotations

from typing import NoReturn

from ..errors import DecodeError
from ..model import PathSegment, RustPath


def is_identifier(name: str) -> bool:
    """Whether ``name`` can be a C or Rust identifier (``$`` allowed, as in GNU C)."""
    return name.replace("$", "_").isidentifier()


class _PathReader:
    def __init__(self, name: str, text: str, offset: int) -> None:
        self.name, self.text, self.offset, self.pos = name, text, offset, 0

    def fail(self, message: str) -> NoReturn:
        raise DecodeError(message, self.text, self.offset + self.pos)

    def identifier(self, allow_separator: bool) -> str:
        """``<undisambiguated-identifier> ::= <decimal-number> [_] <bytes>``."""
        name, start = self.name, self.pos
        while self.pos < len(name) and name[self.pos].isdigit() and name[self.pos].isascii():
            self.pos += 1
        if start == self.pos:
            self.fail("expected an identifier's length in a Rust path")
        length = int(name[start:self.pos])
        separated = allow_separator and name.startswith("_", self.pos)
        self.pos += separated
        ident = name[self.pos:self.pos + length]
        if length == 0 or len(ident) < length or not is_identifier(ident.lstrip("_") or "_"):
            self.fail("malformed identifier in a Rust path")
        if allow_separator and separated != (ident[0] == "_" or ident[0].isdigit()):
            self.fail("the '_' separator of a v0 identifier is missing or misplaced")
        self.pos += length
        return ident


def parse_v0_path(name: str, text: str, offset: int) -> RustPath:
    """The :class:`RustPath` (without arguments) spelled ``name``, which starts at ``offset``
    of ``text`` (for error positions)."""
    reader = _PathReader(name, text, offset)
    namespaces: list[str] = []
    while name.startswith("N", reader.pos) and name[reader.pos + 1:reader.pos + 2].isalpha():
        namespaces.append(name[reader.pos + 1])
        reader.pos += 2
    if not name.startswith("C", reader.pos):
        reader.fail("expected 'C' (the crate root of a Rust path)")
    reader.pos += 1
    disambiguator = ""
    if name.startswith("s", reader.pos):
        end = name.find("_", reader.pos)
        if end < 0 or not (name[reader.pos + 1:end].isalnum() or end == reader.pos + 1):
            reader.fail("malformed crate disambiguator (expected 's<base-62>_')")
        disambiguator, reader.pos = name[reader.pos:end + 1], end + 1
    crate = reader.identifier(allow_separator=False)
    segments = [PathSegment(ns, reader.identifier(allow_separator=True))
                for ns in reversed(namespaces)]
    if reader.pos != len(name):
        reader.fail("trailing characters in a Rust path")
    if not segments:
        reader.fail("a Rust path names an item inside a crate ('N' namespaces expected)")
    return RustPath(crate, disambiguator, tuple(segments))
