"""Whole C headers in, every function type out: :func:`scan_c` reads preprocessed C (with or
without ``# line`` markers) in one pass, :func:`read_c_files` reads files, running the
preprocessor first when asked.

Records (:class:`~cfi_typeid.sources.records.Declaration`): every function declared or
defined, once per name (its last declaration, as clang uses it); every function-pointer
typedef; every function-pointer member of a struct or union (``tag.member``); every
function-pointer global.  A declaration we cannot model is a
:class:`~cfi_typeid.sources.records.Diagnostic` (file, line, reason), and the read goes on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from typing import Callable, Sequence

from .line_markers import LineMap
from .records import Declaration, Diagnostic, Scan
from ..api import TypeIds, typeids_of
from ..c.reader import function_of, read_c_declarations
from ..c.render import render_c_type
from ..c.scope import Record, has_anonymous
from ..errors import CfiTypeidError, UsageError
from ..flavours import CLANG
from ..model import VOID, FunctionType, Type
from ..targets import (
    DEFAULT_C_STANDARD, DEFAULT_TARGET, Target, c_standard, get_target, with_c_standard,
)


def scan_c(text: str, *, target: str = DEFAULT_TARGET, filename: str = "<input>",
           progress: Callable[[int], None] | None = None, std: str = DEFAULT_C_STANDARD
           ) -> Scan:
    """The function types preprocessed C ``text`` declares, and what could not be read.
    Records and diagnostics name the original file and line where line markers say it,
    else ``filename`` and the line in ``text``.  ``progress`` is called now and then with
    how many characters of ``text`` are read.  ``std`` is the C standard (``-std=``)."""
    t = with_c_standard(get_target(target), std)
    found = read_c_declarations(text, t, filename, progress)
    where = LineMap(text, filename)
    declarations: list[Declaration] = []
    diagnostics: list[tuple[int, Diagnostic]] = []
    for skipped in found.skipped:
        file, line, column = where.locate(skipped.offset)
        diagnostics.append((skipped.offset, Diagnostic(file, line, skipped.message, column,
                                                       skipped.name)))
    answers: dict[Type, tuple[str, TypeIds]] = {}  # headers repeat types: each is done once
    for record in found.records:
        file, line, column = where.locate(record.offset)
        try:
            declarations.append(_declaration(record, t, file, line, answers))
        except CfiTypeidError as e:
            diagnostics.append((record.offset, Diagnostic(file, line, e.message, column,
                                                          record.name)))
    diagnostics.sort(key=lambda d: d[0])
    return Scan(tuple(declarations), tuple(d for _, d in diagnostics))


def _declaration(record: Record, target: Target, file: str, line: int,
                 answers: dict[Type, tuple[str, TypeIds]]) -> Declaration:
    fn = function_of(record)
    found = answers.get(record.type)
    if found is None:
        if has_anonymous(fn):
            raise UsageError("an unnamed struct, union or enum has no stable type id (clang "
                             "gives it a module-local one)")
        found = answers[record.type] = (render_c_type(record.type),
                                        typeids_of(fn, CLANG, target))
    symbol = ""
    if record.kind == "function":
        symbol = record.symbol or (_overloaded_symbol(record.name, fn, target)
                                   if record.overloadable else record.name)
    return Declaration(
        name=record.name, kind=record.kind, lang="c", file=file, line=line,
        text=found[0], function=fn, typeids=found[1], symbol=symbol)


def _overloaded_symbol(name: str, fn: FunctionType, target: Target) -> str:
    """An ``overloadable`` function's symbol, as clang mangles it: ``_Z``, the name, the
    parameters (``_Z18fortify_memcpy_chkmmmmmPKc``; ``v`` for none).  They are what the
    type id of the function returning ``void`` spells between ``_ZTSFv`` and ``E``: a
    builtin return type is no substitution candidate, nor is the function's name."""
    plain = typeids_of(FunctionType(VOID, fn.params, fn.variadic, fn.prototyped), CLANG,
                       target).plain
    if not (plain.startswith("_ZTSFv") and plain.endswith("E")):
        return name  # (a calling convention's vendor qualifier: not modelled here)
    return f"_Z{len(name)}{name}{plain[len('_ZTSFv'):-1]}"


def read_c_files(paths: Sequence[str], *, target: str = DEFAULT_TARGET, cpp: bool = False,
                 cpp_args: Sequence[str] = (), std: str = DEFAULT_C_STANDARD) -> Scan:
    """:func:`scan_c` over each file of ``paths`` (``"-"``: standard input), in order.  With
    ``cpp``, each is a raw header run through the preprocessor first (``clang-19 -E`` for
    ``target``, else ``cc -E`` for the host), with ``cpp_args`` (``-I``, ``-D``, ``-U``,
    ``-include``, ``--sysroot``) passed through.  An unreadable file raises
    :class:`UsageError`."""
    with_c_standard(get_target(target), std)  # an unknown one is refused before any work
    declarations: list[Declaration] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        scan = scan_c(read_c_text(path, target=target, cpp=cpp, cpp_args=cpp_args, std=std),
                      target=target, filename=display_name(path), std=std)
        declarations.extend(scan.declarations)
        diagnostics.extend(scan.diagnostics)
    return Scan(tuple(declarations), tuple(diagnostics))


def read_c_files_later(paths: Sequence[str], *, target: str = DEFAULT_TARGET,
                       cpp: bool = False, cpp_args: Sequence[str] = (),
                       std: str = DEFAULT_C_STANDARD) -> Callable[[], Scan]:
    """:func:`read_c_files`, to be finished by calling what this returns.  With ``cpp`` (and
    no standard input), the preprocessor runs start now, in a thread: they wait on their
    subprocesses, so the caller can read the other side of a check meanwhile.  The records,
    or the error, are the ones read_c_files gives; anything else is read now."""
    with_c_standard(get_target(target), std)  # an unknown one is refused before any work
    if not cpp or "-" in paths:
        scan = read_c_files(paths, target=target, cpp=cpp, cpp_args=cpp_args, std=std)
        return lambda: scan
    texts: list[str] = []
    failed: list[Exception] = []

    def preprocess_all() -> None:
        try:
            for path in paths:
                texts.append(preprocess(path, target, cpp_args, std))
        except Exception as e:  # noqa: BLE001 - raised by finish, where read_c_files would
            failed.append(e)
    thread = threading.Thread(target=preprocess_all, name="cfi_typeid-cpp", daemon=True)
    thread.start()

    def finish() -> Scan:
        thread.join()
        declarations: list[Declaration] = []
        diagnostics: list[Diagnostic] = []
        for i, path in enumerate(paths):
            if i == len(texts):
                raise failed[0]
            scan = scan_c(texts[i], target=target, filename=display_name(path), std=std)
            declarations.extend(scan.declarations)
            diagnostics.extend(scan.diagnostics)
        return Scan(tuple(declarations), tuple(diagnostics))
    return finish


def display_name(path: str) -> str:
    """How records name a file read from ``path`` (``-``: ``<stdin>``)."""
    return "<stdin>" if path == "-" else path


def read_c_text(path: str, *, target: str = DEFAULT_TARGET, cpp: bool = False,
                cpp_args: Sequence[str] = (), std: str = DEFAULT_C_STANDARD) -> str:
    """The text :func:`read_c_files` reads of ``path``: as is, or preprocessed."""
    return preprocess(path, target, cpp_args, std) if cpp else _read(path)


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8", errors="replace")
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None


def preprocessor(target: str, std: str = DEFAULT_C_STANDARD) -> list[str]:
    """The preprocessor command for ``target``: clang-19 (``-target``, so its predefines
    are the target's), else the host's ``cc`` (for the default target only).  A standard
    other than the default is passed as ``-std=`` (``__STDC_VERSION__``, ``bool`` in
    ``<stdbool.h>`` and ``nullptr_t`` in ``<stddef.h>`` depend on it)."""
    flags = [] if std == DEFAULT_C_STANDARD else [c_standard(std).clang_flag]
    clang = os.environ.get("CFI_TYPEID_CLANG") or shutil.which("clang-19")
    if clang:
        return [clang, "-target", get_target(target).triple, "-E", "-x", "c", *flags]
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc and get_target(target).triple == DEFAULT_TARGET:
        return [cc, "-E", "-x", "c", *flags]
    raise UsageError("--cpp needs a C preprocessor: install clang-19 (any target) or cc "
                     f"(the host's target), or preprocess yourself and pass the output")


def preprocess(path: str, target: str, cpp_args: Sequence[str] = (),
               std: str = DEFAULT_C_STANDARD) -> str:
    """``path`` run through :func:`preprocessor` (``"-"``: standard input)."""
    command = [*preprocessor(target, std), *cpp_args, path]
    stdin = sys.stdin.buffer.read() if path == "-" else None
    if path != "-" and not os.path.exists(path):
        raise UsageError(f"cannot read {path}: No such file or directory")
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        raise UsageError(f"the preprocessor failed to run: {e}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip()
        raise UsageError(f"the preprocessor failed on {path}:\n{message[:4000]}")
    output: bytes = done.stdout
    return output.decode("utf-8", errors="replace")
