"""Whole Rust files in: every function a CFI check may be made against, with its four ids.

``scan_rust(text)`` reads one file (bindgen's output, a crate's source, ``rustc
-Zunpretty=expanded`` output) and gives a :class:`~cfi_typeid.sources.records.Scan`: one
:class:`Declaration` per ``fn`` item, per function of every ``extern`` block (its ``symbol`` is
the ``#[link_name]`` without bindgen's leading ``\\u{1}``, else its name), per fn-pointer type
alias (kind ``type``) and per fn-pointer field of a struct or union (kind ``field``,
``Struct.field``); and one :class:`Diagnostic` per item that could not be read.  Methods of
``impl`` blocks are skipped (their modelling is another stage's).

``crates`` maps crate names to the disambiguators rustc puts in v0 paths; the types that need
one (``Option<fn ...>`` needs ``core``'s) without it get a diagnostic naming the crate.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..api import typeids_of
from ..errors import CfiTypeidError, PositionedError, UsageError
from ..flavours import RUSTC
from ..model import FunctionType
from ..rust.file import (
    EDITIONS, Candidate, Elsewhere, FileItems, FileReader, is_fn_pointer_syntax, use_glob,
)
from ..rust.frontend import builtin_crates, function_item, pointee_function
from ..rust.items import DEFAULT_CRATE
from ..rust.lower import Lowering
from ..rust.resolve import Env, Resolver
from ..rust.types import RAdt, RFnPtr, RTy
from ..targets import DEFAULT_TARGET, get_target
from .background import Forked, spare_cpu
from .records import Declaration, Diagnostic, Scan
from ..regex_code import cached_regex


#: Crate disambiguators, or a call giving them (or None: none) when they are first needed,
#: after a file is cut into items (the command's ``rustc -vV`` runs meanwhile).
Crates = Mapping[str, str] | Callable[[], Mapping[str, str] | None]


@dataclass
class RustFileReport:
    """Per file: how many items, how many skipped and why (for the report and ``--json``)."""

    file: str
    items: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def scan_rust(text: str, *, target: str = DEFAULT_TARGET, filename: str = "<input>",
              edition: str = "2021", crate: str = DEFAULT_CRATE,
              crates: Mapping[str, str] | None = None, uses: Sequence[str] = (),
              parallel: bool | None = False) -> Scan:
    """The records of one Rust file's text (see the module docstring; ``parallel``: see
    :func:`read_rust_files`)."""
    return _scan(text, target, filename, edition, crate, crates or {}, uses, parallel)[0]


def read_rust_files(paths: Sequence[str], *, target: str = DEFAULT_TARGET,
                    edition: str = "2021", crate: str = DEFAULT_CRATE,
                    crates: Crates | None = None, uses: Sequence[str] = (),
                    progress: bool = False, parallel: bool | None = False) -> Scan:
    """The records of every file of ``paths`` ("-" = stdin), in order; each file is its own
    crate root.  A file that cannot be read is a diagnostic.  ``crates`` may be a call
    giving them (see :data:`Crates`).  ``parallel``: a large file's second half is parsed in
    a forked process (None: when there is a spare CPU; the whole-file commands' choice); the
    records are the same."""
    return read_rust_files_reporting(paths, target=target, edition=edition, crate=crate,
                                     crates=crates, uses=uses, progress=progress,
                                     parallel=parallel)[0]


def read_rust_files_reporting(
        paths: Sequence[str], *, target: str = DEFAULT_TARGET, edition: str = "2021",
        crate: str = DEFAULT_CRATE, crates: Crates | None = None,
        uses: Sequence[str] = (), progress: bool = False, parallel: bool | None = False
) -> tuple[Scan, list[RustFileReport]]:
    """:func:`read_rust_files`, and per file how many items it had and what was skipped
    (``crates`` may be a call, see :data:`Crates`)."""
    declarations: list[Declaration] = []
    diagnostics: list[Diagnostic] = []
    reports: list[RustFileReport] = []
    for path in _progress(paths, progress):
        text, problem = _read(path)
        if problem is not None:
            diagnostics.append(problem)
            reports.append(RustFileReport(path))
            continue
        scan, report = _scan(text, target, path, edition, crate, crates or {}, uses, parallel)
        declarations += scan.declarations
        diagnostics += scan.diagnostics
        reports.append(report)
    return Scan(tuple(declarations), tuple(diagnostics)), reports


def _progress(paths: Sequence[str], progress: bool) -> Iterable[str]:
    if progress and len(paths) > 1:
        try:
            from tqdm import tqdm  # type: ignore[import-untyped]
        except ImportError:
            return paths
        return tqdm(paths, unit="file", file=sys.stderr)  # type: ignore[no-any-return]
    return paths


def _read(path: str) -> tuple[str, Diagnostic | None]:
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        return "", Diagnostic(path, 0, f"cannot read the file: {e.strerror or e}")
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        return "", Diagnostic(path, line, f"the file is not valid UTF-8 (byte {e.start}): "
                              "rustc refuses it too")


def _check(edition: str, crate: str) -> None:
    if edition not in EDITIONS:
        raise UsageError(f"unknown edition {edition!r}; known: {', '.join(EDITIONS)}")
    if not crate.isidentifier():
        raise UsageError(f"{crate!r} is not a crate name")


def _scan(text: str, target: str, filename: str, edition: str, crate: str,
          crates: Crates, uses: Sequence[str], parallel: bool | None = False
          ) -> tuple[Scan, RustFileReport]:
    _check(edition, crate)
    t = get_target(target)
    out = FileReader(text, filename, crate, _elsewhere(parallel)).read()
    for path in uses:  # --use 'std::ffi::*': as if the file began with that use
        use = use_glob(path)
        if use.alias == "*":
            out.root.globs.append(use)
        else:
            out.root.uses[use.alias] = use
    known_crates = crates() if callable(crates) else crates
    lowering = Lowering(Resolver(builtin_crates(t), t, edition), dict(known_crates or {}))
    declarations: list[Declaration] = []
    diagnostics = [_diagnostic(out, p.offset, p.message, p.name, p.severity)
                   for p in out.problems]
    known: dict[int, dict[Any, RTy]] = {}  # by module: its resolved types (bindgen repeats them)
    for c in sorted(out.candidates, key=lambda c: c.offset):
        try:
            fn = _function(c, lowering, known.setdefault(id(c.module), {}))
            ids = None if fn is None else typeids_of(fn, RUSTC, t)
        except CfiTypeidError as e:
            if c.kind == "function" or is_fn_pointer_syntax(c.syntax):
                diagnostics.append(_error(out, c, e))
            continue
        except RecursionError:
            diagnostics.append(_diagnostic(out, c.offset, "types nested too deeply", c.name))
            continue
        if fn is None or ids is None:
            continue
        line, _ = out.line_column(c.offset)
        declarations.append(Declaration(
            c.name, c.kind, "rust", filename, line, c.text or c.name, fn,
            ids, c.symbol, "::".join(c.module.path)))
    diagnostics.sort(key=lambda d: d.line)
    report = RustFileReport(filename, out.items, out.skipped)
    return Scan(tuple(declarations), tuple(diagnostics)), report


def _elsewhere(parallel: bool | None) -> Elsewhere | None:
    """How a file's reader runs a share of its parsing in a forked process, if it may."""
    if parallel is False or (parallel is None and not spare_cpu()):
        return None
    return lambda call: Forked(call, fork=True)


def _function(c: Candidate, lowering: Lowering, known: dict[Any, RTy]) -> FunctionType | None:
    env = Env(c.module)
    if c.kind == "function":
        return function_item(c.syntax, lowering, env, known)
    t = _pointer(lowering.resolver.type(c.syntax, env))
    return None if t is None else pointee_function(t, lowering)


def _pointer(t: RTy) -> RFnPtr | None:
    """The fn pointer ``t`` is, or ``Option`` holds (a nullable callback)."""
    if isinstance(t, RAdt) and t.adt.crate == "core" and t.adt.path == ("option", "Option"):
        t = t.args[0]
    return t if isinstance(t, RFnPtr) else None


_MISSING = cached_regex(r"cannot find (?:value|type) '(?:[^':]*::)*([^':]+)'")


def _error(out: FileItems, c: Candidate, e: CfiTypeidError) -> Diagnostic:
    message = e.message
    m = _MISSING.search(message)
    if m is not None and m.group(1) in out.lost:
        at, why = out.lost[m.group(1)]
        line, _ = out.line_column(at)
        message += f" (an item named {m.group(1)!r} at line {line} was not read: {why})"
    offset = e.offset if isinstance(e, PositionedError) and e.text is out.text else c.offset
    return _diagnostic(out, offset, message, c.name)


def _diagnostic(out: FileItems, offset: int, message: str, name: str = "",
                severity: str = "error") -> Diagnostic:
    line, column = out.line_column(offset)
    return Diagnostic(out.filename, line, message, column, name,
                      "warning" if severity == "warning" else "error")

