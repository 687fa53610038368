"""What the whole-file readers hand on: one :class:`Declaration` per function type a CFI check
is made against, and a :class:`Diagnostic` per declaration that could not be read.

Both readers (``c_header``, ``rust_file``) produce the same records, so that the consumers
above them (``crosscheck`` pairs a header with its bindings, ``kcfi`` looks hashes up, ``cli``
prints them) never care which language a record came from.  The model is kept next to its ids:
the cross-check explains a difference component by component, and the look-up re-hashes with
other salts and hash algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..api import TypeIds
from ..model import FunctionType
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

Language = Literal["c", "rust"]

#: ``kind`` values.  C: ``function`` (declared or defined), ``typedef`` (of a function or
#: function pointer type), ``member`` (a function-pointer member of a struct or union, named
#: ``tag.member``), ``variable`` (a function-pointer global).  Rust: ``function`` (an ``fn``
#: item, a foreign function, a method), ``type`` (an fn-pointer type alias), ``field`` (an
#: fn-pointer struct field, named ``Struct.field``).
KINDS = ("function", "typedef", "member", "variable", "type", "field")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A declaration skipped (or read with a caveat): where, and why, in plain words."""

    file: str
    line: int
    message: str
    column: int | None = None
    #: The declaration's name where it is known (``""`` otherwise).
    name: str = ""
    #: ``"error"`` (the declaration was skipped) or ``"warning"`` (read, with a caveat).
    severity: Literal["error", "warning"] = "error"

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "name": self.name, "severity": self.severity, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        named = f" '{self.name}'" if self.name else ""
        return f"{where}: {self.severity}:{named} {self.message}"


@dataclass(frozen=True, slots=True)
class Declaration:
    """One function type a CFI check is made against, with the ids its compiler gives it."""

    name: str
    kind: str
    lang: Language
    file: str
    line: int
    #: The type as the language writes it: C (``int (int, long)``) or the Rust signature.
    text: str
    #: The model, before any option's transform.
    function: FunctionType = field(compare=False, repr=False)
    typeids: TypeIds
    #: The linker symbol a function is called by (C: its name; Rust: ``#[link_name]`` without
    #: bindgen's ``\u{1}``, else the name); ``""`` for types, members and fields.
    symbol: str = ""
    #: Rust: the module path (``a::b``); C: ``""``.
    module: str = ""

    def to_json(self, kcfi: str = "xxhash64") -> dict[str, object]:
        """The documented JSON shape (README: ``header`` and ``rust-file`` output)."""
        out: dict[str, object] = {"name": self.name, "kind": self.kind}
        if self.lang == "rust":
            out["symbol"] = self.symbol
            out["module"] = self.module
        out.update({"file": self.file, "line": self.line, self.lang: self.text,
                    "typeids": self.typeids.to_json(kcfi)})
        return out


@dataclass(frozen=True, slots=True)
class Scan:
    """What reading one or more files gave: the records in file order, and the diagnostics."""

    declarations: tuple[Declaration, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


_METHODS.close()
