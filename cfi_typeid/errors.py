"""Typed errors.  Everything the package raises for bad input is a :class:`CfiTypeidError`.

Errors about a piece of text carry its position so that the CLI and ``batch`` can name the line
and column, and ``str(error)`` draws the offending line with a caret under the spot.
"""

from __future__ import annotations

from typing import Iterable, Mapping


def expected_phrase(allowed: Iterable[str], words: Mapping[str, str],
                    limit: int | None = None) -> str:
    """``"; expected ')' or ','"``: the terminals a parser would have taken, in plain words
    (those ``words`` names; at most ``limit`` of them, then ``...``), or ``""``."""
    found = sorted({words[a] for a in allowed if a in words})
    if not found:
        return ""
    if limit is not None and len(found) > limit:
        found = found[:limit] + ["..."]
    return "; expected " + (", ".join(found[:-1]) + " or " + found[-1] if len(found) > 1
                            else found[0])


class CfiTypeidError(Exception):
    """Root of every error this package raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, object]:
        """The error as the ``"error"`` object of a batch output line."""
        return {"message": self.message, "line": None, "column": None}


class UsageError(CfiTypeidError):
    """An option or argument that makes no sense (unknown target, missing crate map ...)."""


class NotExpressibleError(CfiTypeidError):
    """A model type that the requested language has no spelling for (a Rust reference as C,
    a ``.generalized`` ``void *restrict``, an ``_ZTS`` vendor type C does not know ...)."""


class PositionedError(CfiTypeidError):
    """An error at an offset of some input text."""

    def __init__(self, message: str, text: str, offset: int, *, what: str = "input") -> None:
        super().__init__(message)
        self.text = text
        self.offset = max(0, min(offset, len(text)))
        self.what = what
        before = text[: self.offset]
        self.line = before.count("\n") + 1
        self.column = self.offset - (before.rfind("\n") + 1) + 1

    def __str__(self) -> str:
        lines = self.text.split("\n")
        source = lines[self.line - 1] if self.line - 1 < len(lines) else ""
        return (f"{self.what}:{self.line}:{self.column}: error: {self.message}\n"
                f"  {source}\n  {' ' * (self.column - 1)}^")

    def to_json(self) -> dict[str, object]:
        return {"message": self.message, "line": self.line, "column": self.column}


class ParseError(PositionedError):
    """The C or Rust text is not a declaration we can read."""


class DecodeError(PositionedError):
    """A string is not a well-formed type id."""

    def __init__(self, message: str, text: str, offset: int) -> None:
        super().__init__(message, text, offset, what="typeid")
        self.offset_in_id = offset
