"""What reading one Rust file gives (:class:`cfi_typeid.rust.file.FileReader`): its crate root,
the candidates for a type id, the problems as offsets, and what was skipped; the records of
:mod:`cfi_typeid.sources.rust_file` are made from these.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .items import Module
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)


@dataclass(frozen=True, slots=True)
class Problem:
    """A diagnostic before it is a record: the absolute offset, what, and whose."""

    offset: int
    message: str
    name: str = ""
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something that may have a type id: a function, an fn-pointer alias or field."""

    kind: str  # "function" | "type" | "field"
    name: str
    symbol: str
    module: Module
    offset: int
    #: A :class:`FnItem` (functions) or the alias/field's type expression.
    syntax: Any
    text: str


@dataclass
class FileItems:
    """What reading one file gave: its crate root, candidates, problems, skip counts."""

    text: str
    filename: str
    root: Module
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    items: int = 0
    #: Names of items that were skipped or failed, for the diagnostics of what uses them.
    lost: dict[str, tuple[int, str]] = field(default_factory=dict)
    _lines: list[int] = field(default_factory=list)

    def line_column(self, offset: int) -> tuple[int, int]:
        if not self._lines:
            self._lines = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1


_METHODS.close()
