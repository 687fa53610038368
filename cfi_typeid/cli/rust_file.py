"""``python -m cfi_typeid rust-file FILE.rs...``: every function of whole Rust files (bindgen's
output, a crate's source, ``rustc -Zunpretty=expanded``), with its ids.

``core``, ``alloc`` and ``std``'s disambiguators (``Option<fn ...>`` needs ``core``'s) come
from the rustc on PATH (or ``--rustc``), read once per compiler version and cached;
``--crates`` overrides, ``--crates-from`` reads the local crate's from its build's IR.
"""

from __future__ import annotations

import argparse
import json
import sys

from .app import EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK
from .io import parse_crates
from ..errors import UsageError
from ..hashes import KCFI_HASHES
from ..targets import DEFAULT_TARGET, TARGETS

_DESCRIPTION = """\
Read whole Rust files and print the CFI type ids of every fn item, every function of every
extern block (its symbol: #[link_name] without bindgen's leading \\u{1}, else its name),
every fn-pointer type alias (kind "type") and fn-pointer struct field (kind "field"). Items no
id depends on (macro_rules!, macros, impl and trait blocks, statics, #[test] functions) are
skipped; an item that cannot be read is a diagnostic on stderr, and the rest of the file is
read. Exit status: 0 every item read, 1 some item had an error, 2 bad usage.

Rust paths in ids need their crate's disambiguator: core, alloc and std's are read from the
rustc on PATH (once per compiler version, cached); the local crate's (--crate) depends on its
build: pass --crates NAME=DIS or --crates-from with the build's LLVM IR (a .ll file, or a cargo
target directory after 'cargo rustc -- -Zsanitizer=cfi --emit=llvm-ir').

Example:
  bindgen /usr/include/zlib.h -o zlib.rs && python -m cfi_typeid rust-file --jsonl zlib.rs
"""


def _crates(args: argparse.Namespace) -> tuple[dict[str, str], str]:
    """The crate map to use and where it came from."""
    from ..rust.crates import read_ir_disambiguators, standard_disambiguators
    crates: dict[str, str] = {}
    source = "none"
    try:
        crates, version = standard_disambiguators(args.rustc)
        source = version
    except UsageError as e:
        if args.rustc is not None:
            raise
        print(f"note: {e}; paths of core/alloc/std types will need --crates",
              file=sys.stderr)
    if args.crates_from:
        crates.update(read_ir_disambiguators(args.crates_from))
        source += f" + {args.crates_from}"
    crates.update(parse_crates(args.crates))
    return crates, source


def _cmd_rust_file(args: argparse.Namespace) -> int:
    from ..sources.background import Background
    from ..sources.rust_file import read_rust_files_reporting
    asked = Background(lambda: _crates(args))  # rustc -vV runs while the files are cut
    try:
        scan, reports = read_rust_files_reporting(
            args.files, target=args.target, edition=args.edition, crate=args.crate,
            crates=lambda: asked.result()[0], uses=args.use, progress=sys.stderr.isatty(),
            parallel=None)
    except Exception:
        asked.result()  # an error finding the crates comes first, as when it was asked first
        raise
    crates, source = asked.result()
    out = sys.stdout
    if args.json:
        json.dump({"declarations": [d.to_json(args.kcfi_hash) for d in scan.declarations],
                   "diagnostics": [d.to_json() for d in scan.diagnostics],
                   "crates": crates,
                   "files": [{"file": r.file, "items": r.items, "skipped": dict(r.skipped)}
                             for r in reports]}, out, ensure_ascii=False)
        out.write("\n")
    else:
        for d in scan.declarations:
            if args.jsonl:
                out.write(json.dumps(d.to_json(args.kcfi_hash), ensure_ascii=False) + "\n")
            else:
                named = f"{d.name} ({d.symbol})" if d.symbol and d.symbol != d.name else d.name
                out.write(f"{d.file}:{d.line}: {d.kind} {named}: {d.typeids.plain}\n")
        for diagnostic in scan.diagnostics:
            print(diagnostic, file=sys.stderr)
        used = ",".join(f"{k}={v}" for k, v in crates.items())
        print(f"crates: {used or '(none)'} ({source})", file=sys.stderr)
    if any(d.severity == "error" for d in scan.diagnostics):
        return EXIT_MISMATCH
    return EXIT_OK


def add_rust_file(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``rust-file`` subcommand."""
    from ..rust.file import EDITIONS
    p = sub.add_parser("rust-file", help="the CFI ids of every function of whole Rust files",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=_DESCRIPTION)
    p.add_argument("files", nargs="+", metavar="FILE.rs", help="Rust files ('-' = stdin)")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE",
                   help=f"target triple (default: {DEFAULT_TARGET}); one of: "
                        + ", ".join(TARGETS))
    p.add_argument("--edition", default="2021", choices=EDITIONS,
                   help="Rust edition (default: 2021; 2015 reads '::name' from the crate root)")
    p.add_argument("--crate", default="probe", metavar="NAME",
                   help="the files' crate name (default: probe)")
    p.add_argument("--crates", default="", metavar="NAME=DIS,...",
                   help="crate disambiguators, over those read from rustc")
    p.add_argument("--crates-from", default=None, metavar="IR|DIR",
                   help="read disambiguators from a build's LLVM IR file or target directory")
    p.add_argument("--rustc", default=None, metavar="PATH",
                   help="rustc to read core/alloc/std's disambiguators from (default: PATH)")
    p.add_argument("--use", action="append", default=[], metavar="PATH",
                   help="a use every file starts with, e.g. 'std::ffi::*' (repeatable)")
    p.add_argument("--kcfi-hash", choices=sorted(KCFI_HASHES), default="xxhash64",
                   help="KCFI hash of the kcfi fields (default: xxhash64)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true",
                       help='one JSON object: {"declarations", "diagnostics", "crates", "files"}')
    group.add_argument("--jsonl", action="store_true", help="one JSON object per declaration")
    p.set_defaults(run=_cmd_rust_file)


__all__ = ["EXIT_BAD_INPUT", "add_rust_file"]
