"""Command-line interface: ``python -m cfi_typeid COMMAND ...`` (or ``cfi-typeid``).

Thin by design: it reads arguments, calls the library, prints.  Bad input prints a message with
the line, column and a caret, and exits 2; it never shows a Python traceback.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from importlib import import_module
from typing import Callable, Mapping, Sequence

from .io import add_c_standard, open_binary, parse_crates, raw_lines, read_text, surrogate_problem
from .limits import MAX_DECL_CHARS, cpu_count
from .workers import Stopped
from ..errors import CfiTypeidError, UsageError
from ..hashes import KCFI_HASHES, as_signed32, kcfi_hash
from ..targets import DEFAULT_TARGET, TARGETS

# Start-up time is part of every one-off run, so a module is imported only by the command that
# needs it (the library itself by the commands that encode; see COMMANDS).

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2

_DESCRIPTION = """\
Compute LLVM CFI / KCFI type identifiers exactly as clang-19 and rustc do.

A type id is the Itanium-mangled name of a function's type ("_ZTSFvlE" for C void(long)); an
indirect call passes CFI only when the caller's expected id equals the callee's. KCFI checks a
32-bit hash of that string instead.
"""

_ENCODE_HELP = """\
DECL is a C prototype ('int f(const char *, ...);'), a C type name ('void (long)'), or with
--lang rust a Rust function item or fn-pointer type. For a pointer to a function
('int (*)(char)', or a variable of that type) the id is that of the function it points to: that
is what CFI checks at a call through the pointer. Declarations DECL needs (typedefs, structs,
enums) go in --prelude, or before it in DECL itself, separated by ';'. Common typedefs
(size_t, int64_t, wchar_t, va_list, ...) are predefined for each target.
"""


def _add_common(p: argparse.ArgumentParser) -> None:
    from ..api import LANGUAGES
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="c",
                   help="language of DECL (default: c)")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE",
                   help=f"target triple (default: {DEFAULT_TARGET}); one of: "
                        + ", ".join(TARGETS))
    group = p.add_mutually_exclusive_group()
    group.add_argument("--prelude", default="", metavar="TEXT",
                       help="declarations DECL uses (typedefs, structs; Rust items)")
    group.add_argument("--prelude-file", metavar="FILE", help="read the prelude from FILE")
    p.add_argument("--crate", default=None, metavar="NAME",
                   help="Rust: crate name of the prelude's items (default: probe)")
    p.add_argument("--crates", default="", metavar="NAME=DIS,...",
                   help="Rust: crate disambiguators, e.g. core=sgEmfK2I1SDT_,probe=sXXId2UFtzX_")
    add_c_standard(p)


def _cmd_encode(args: argparse.Namespace) -> int:
    from ..api import prelude_warnings, typeids
    if len(args.decl) > MAX_DECL_CHARS:
        raise UsageError(f"DECL has {len(args.decl):,} characters, more than the limit "
                         f"({MAX_DECL_CHARS:,})")
    prelude = read_text(args.prelude, args.prelude_file)
    ids = typeids(args.decl, lang=args.lang, target=args.target, prelude=prelude,
                  crate=args.crate, crates=parse_crates(args.crates), salt=args.salt,
                  std=args.std)
    for warning in prelude_warnings(prelude, lang=args.lang, target=args.target,
                                    std=args.std):
        print(warning, file=sys.stderr)
    if args.json:
        import json
        print(json.dumps(ids.to_json(args.kcfi_hash)))
        return EXIT_OK
    chosen = ids.select(normalize_integers=args.normalize_integers,
                        generalize_pointers=args.generalize_pointers)
    if args.kcfi:
        h = kcfi_hash(chosen, args.kcfi_hash)
        print(f"0x{h:08x} {as_signed32(h)}")
    else:
        print(chosen)
    return EXIT_OK


def _add_encode(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("encode", help="print the type id (or KCFI hash) of one declaration",
                       description=_ENCODE_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("decl", metavar="DECL", help="the declaration or type name")
    _add_common(p)
    p.add_argument("--normalize-integers", action="store_true",
                   help="integers by size (clang -fsanitize-cfi-icall-experimental-normalize-"
                        "integers, rustc -Zsanitizer-cfi-normalize-integers)")
    p.add_argument("--generalize-pointers", action="store_true",
                   help="pointers as void* (clang -fsanitize-cfi-icall-generalize-pointers)")
    p.add_argument("--kcfi", action="store_true",
                   help="print the KCFI hash (hex, then signed decimal as LLVM IR shows it)")
    p.add_argument("--kcfi-hash", choices=sorted(KCFI_HASHES), default="xxhash64",
                   help="KCFI hash: xxhash64 (LLVM default) or fnv1a "
                        "(-fsanitize-kcfi-hash=FNV-1a)")
    p.add_argument("--salt", default="", help="cfi_salt string (appended as .SALT)")
    p.add_argument("--json", action="store_true",
                   help="print all four ids and both KCFI hashes as one JSON object")
    p.set_defaults(run=_cmd_encode)


def _add_batch(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "batch", help="JSON Lines in, JSON Lines out: the ids of many declarations",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Each input line is a JSON object {"decl": ..., "lang": "c"|"rust", "prelude": ..., "target":
..., "crate": ..., "crates": {...}, "salt": ..., "std": "gnu17"|"c23"|"gnu23"}; only "decl" is
required. Each output line holds
the keys batch does not read ("id" and the like; not "decl", "prelude", ...) plus "typeids":
{"plain", "generalized", "normalized", "normalized_generalized", "kcfi", "kcfi_normalized"}, or
"error": {"message", "line", "column"} ("in": "prelude" when the prelude is at fault).
Exactly one output line per input line (lines end at \\n only), in order, always valid JSON;
a bad line (not UTF-8, not JSON, NaN, a key of the wrong type, longer than 16 MiB) gets an
error and the batch goes on. SIGINT/SIGTERM stop it between two lines.
Blank input lines give blank output lines.""")
    p.add_argument("file", nargs="?", default="-", metavar="FILE|-",
                   help="input file (default: standard input)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="worker processes (default 1; 0: one per CPU; at most the CPU count); "
                        "for thousands of lines")
    p.set_defaults(run=_cmd_batch)


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    cpus = cpu_count()
    jobs = args.jobs or cpus
    if jobs > cpus:
        print(f"batch: --jobs {jobs:,} capped at {cpus}, the CPUs this process may use",
              file=sys.stderr)
        jobs = cpus
    gc.freeze()
    gc.enable()
    try:
        with open_binary(args.file) as f:
            return run_batch(raw_lines(f), sys.stdout, jobs)
    finally:
        gc.unfreeze()


Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: Subcommands, in the order --help lists them: name → (module, registrar function).  Only the
#: module of the command being run is imported; --help (or no command) imports them all.
COMMANDS: Mapping[str, tuple[str, str]] = {
    "encode": (__name__, "_add_encode"),
    "batch": (__name__, "_add_batch"),
    "check": ("cfi_typeid.cli.check", "add_check"),
    "suggest-encoding": ("cfi_typeid.cli.check", "add_suggest"),
    "check-bindings": ("cfi_typeid.cli.check_bindings", "add_check_bindings"),
    "decode": ("cfi_typeid.cli.decode", "add_decode"),
    "rust-crates": ("cfi_typeid.rust.crates", "add_rust_crates"),
    "header": ("cfi_typeid.cli.header", "add_header"),
    "rust-file": ("cfi_typeid.cli.rust_file", "add_rust_file"),
    "kcfi-lookup": ("cfi_typeid.cli.kcfi", "add_kcfi_lookup"),
    "index": ("cfi_typeid.cli.kcfi", "add_index"),
    "elf": ("cfi_typeid.cli.kcfi", "add_elf"),
    "flags": ("cfi_typeid.cli.kcfi", "add_flags"),
    "fuzz": ("cfi_typeid.cli.fuzz", "add_fuzz"),
}


def _registrar(name: str) -> Registrar:
    module, function = COMMANDS[name]
    register: Registrar = getattr(import_module(module), function)
    return register


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand, or only ``command`` when it names one."""
    parser = argparse.ArgumentParser(prog="python -m cfi_typeid", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if command is None or command not in COMMANDS else [command]:
        _registrar(name)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # No cyclic garbage collection while starting up (see __main__.py); a long batch turns it
    # back on, with everything loaded so far frozen out of its scans.  Called in a process of
    # its own or not, the collector is left as it was found.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if collecting:
            gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        _check_arguments(args)
        result: int = args.run(args)
        return result
    except CfiTypeidError as e:
        print(str(e), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return _quiet_exit(130)
    except Stopped as e:
        return _quiet_exit(128 + e.signal)
    except BrokenPipeError:
        return _quiet_exit(EXIT_OK)


def _check_arguments(args: argparse.Namespace) -> None:
    """Every text argument must be UTF-8: a byte that is not becomes a lone surrogate in
    ``sys.argv``, which no compiler would accept and no hash can take."""
    for name, value in vars(args).items():
        for text in value if isinstance(value, list) else [value]:
            problem = isinstance(text, str) and surrogate_problem(
                text, f"argument {name.upper() if name in ('decl', 'typeid') else '--' + name.replace('_', '-')}")
            if problem:
                raise UsageError(problem)


def _quiet_exit(status: int) -> int:
    """Leave without the interpreter's own complaints about a standard output that is gone
    (a closed pipe): what is still buffered is whole lines, written if it can be."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return status
