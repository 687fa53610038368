"""``python -m cfi_typeid header FILE...``: whole C headers in, every function type out.

Thin: :mod:`cfi_typeid.sources.c_header` reads each file (preprocessed already, or run through
the preprocessor with ``--cpp``); this prints the records as a table, JSON Lines or one JSON
document, and the diagnostics on standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any, Callable, Sequence

from ..errors import UsageError
from ..targets import DEFAULT_TARGET, TARGETS
from .io import add_c_standard

EXIT_OK = 0

_HELP = """\
FILE is preprocessed C (cc -E, with or without line markers: records then name the original
file and line), or with --cpp a raw header, run through clang-19 -E for --target (else cc -E)
with CPP-ARGS (-I, -D, -U, -include, --sysroot, ...) passed through; --cpp comes last, and
everything after it goes to the preprocessor. "-" reads standard input.

Every function declared or defined is reported once (its last declaration), with every
function-pointer typedef, struct/union member ("tag.member") and global: each type a CFI
check is made against. A declaration that cannot be read is skipped with a warning (file,
line, reason) on standard error; what depends on it says so.

--jsonl writes one object per record: {"name", "kind": "function"|"typedef"|"member"|
"variable", "file", "line", "c", "typeids": {"plain", "generalized", "normalized",
"normalized_generalized", "kcfi", "kcfi_normalized"}}; --json one document {"declarations":
[...], "diagnostics": [{"file", "line", "column", "name", "severity", "message"}]}.
"""


def add_header(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``header`` (one line in :data:`cfi_typeid.cli.app.COMMANDS`)."""
    p = sub.add_parser("header", help="the type ids of every function type in C headers",
                       description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help="C files ('-': standard input)")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE",
                   help=f"target triple (default: {DEFAULT_TARGET}); one of: "
                        + ", ".join(TARGETS))
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON document")
    form.add_argument("--jsonl", action="store_true", help="one JSON object per record")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show progress on standard error (default: when it is a terminal)")
    add_c_standard(p)
    p.add_argument("--cpp", nargs=argparse.REMAINDER, default=None, metavar="CPP-ARGS",
                   help="preprocess each FILE first; the arguments after it go to the "
                        "preprocessor (must come last)")
    p.set_defaults(run=_cmd_header)


#: header's own flags, which no preprocessor has: after --cpp they are a slip, not CPP-ARGS.
_OWN_FLAGS = frozenset({"--json", "--jsonl", "--progress", "--no-progress", "--std"})


def _cmd_header(args: argparse.Namespace) -> int:
    from ..sources.c_header import display_name, read_c_text, scan_c
    from ..sources.records import Declaration, Diagnostic
    from ..targets import get_target, with_c_standard
    from .io import json_encoder
    with_c_standard(get_target(args.target), args.std)
    if args.files.count("-") > 1:
        raise UsageError("'-' (standard input) can be read only once")
    cpp = args.cpp is not None
    for arg in args.cpp or ():
        if arg in _OWN_FLAGS:
            raise UsageError(f"{arg} comes after --cpp, which passes everything after it to the "
                             f"preprocessor: put {arg} before --cpp")
    declarations: list[Declaration] = []
    diagnostics: list[Diagnostic] = []
    show = sys.stderr.isatty() if args.progress is None else args.progress
    for path in args.files:
        text = read_c_text(path, target=args.target, cpp=cpp, cpp_args=args.cpp or (),
                           std=args.std)
        with _progress_bar(show, len(text), display_name(path)) as tick:
            scan = scan_c(text, target=args.target, filename=display_name(path),
                          progress=tick, std=args.std)
        for d in scan.diagnostics:
            print(f"warning: skipped: {d}", file=sys.stderr)
        if args.jsonl:
            encode = json_encoder()
            for record in scan.declarations:
                sys.stdout.write(encode(record.to_json()) + "\n")
        declarations.extend(scan.declarations)
        diagnostics.extend(scan.diagnostics)
    if args.json:
        json.dump({"declarations": [d.to_json() for d in declarations],
                   "diagnostics": [d.to_json() for d in diagnostics]}, sys.stdout)
        sys.stdout.write("\n")
    elif not args.jsonl:
        _table(declarations, sys.stdout)
    return EXIT_OK


class _progress_bar:
    """A tqdm bar over the characters read (nothing when not shown or tqdm is missing)."""

    def __init__(self, show: bool, total: int, name: str) -> None:
        self._bar: Any = None
        if show:
            try:
                from tqdm import tqdm  # type: ignore[import-untyped]
            except ImportError:  # pragma: no cover - tqdm is a dependency
                return
            self._bar = tqdm(total=total, desc=name, unit="B", unit_scale=True,
                             file=sys.stderr, leave=False)

    def __enter__(self) -> Callable[[int], None] | None:
        if self._bar is None:
            return None
        bar = self._bar

        def tick(done: int) -> None:
            bar.update(done - bar.n)
        return tick

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def _table(declarations: Sequence[Any], out: IO[str]) -> None:
    """A readable table: where, kind, name, plain id and KCFI hash, then the C type."""
    rows = [(f"{d.file}:{d.line}", d.kind, d.name, d.typeids.plain,
             d.typeids.to_json()["kcfi"], d.text) for d in declarations]
    if not rows:
        out.write("no function types found\n")
        return
    header = ("WHERE", "KIND", "NAME", "TYPE ID", "KCFI", "C TYPE")
    widths = [min(60, max(len(r[i]) for r in [header, *rows])) for i in range(5)]
    for row in [header, *rows]:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[5]
                  + "\n")
