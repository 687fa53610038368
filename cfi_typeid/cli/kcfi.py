"""``kcfi-lookup``, ``index``, ``elf`` and ``flags``: KCFI in the wild.

Thin: the readers (:mod:`cfi_typeid.sources`) read, :mod:`cfi_typeid.kcfi` answers, this
prints.  Exit status 0 when everything matched or agreed, 1 when something did not, 2 for bad
input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib import import_module
from typing import Sequence, cast

from ..errors import UsageError
from .io import parse_crates
from ..targets import DEFAULT_TARGET, TARGETS

EXIT_OK, EXIT_UNMATCHED = 0, 1
Sub = "argparse._SubParsersAction[argparse.ArgumentParser]"

_LOOKUP_HELP = """\
HASH is a KCFI hash as it reaches you: hex (0x1e2c5b9c), signed decimal as LLVM IR prints it
(-1109213240), an x86-64 call site's 'movl $0xe1d3a464,%r10d' (the negated hash), or whole
dmesg lines ('CFI failure at foo+0x1c/0x60 (target: bar+0x0/0x40; expected type: 0x...)');
'-' reads them from standard input. Each is looked up among the type ids of every declaration
in the --c headers and --rust files (or an --index), under each option set (plain, normalized,
generalized, normalized+generalized), hash algorithm (xxhash64, fnv1a) and salt (--salt).

--json: {"hashes": [{"hash": "0x1e2c5b9c", "input", "form", "matches": [{"name", "kind",
"file", "line", "option_set", "hash_algorithm", "salt", "typeid", "lang", "type"}],
"explanation"?, "caller"?, "target"?, "target_declarations"?}]}. Exit status 1 when some hash
matched nothing.
"""


def _add_sources(p: argparse.ArgumentParser, *, index: bool = True) -> None:
    p.add_argument("--c", nargs="+", action="extend", default=[], metavar="HEADER",
                   help="C headers (a directory: every .h under it)")
    p.add_argument("--rust", nargs="+", action="extend", default=[], metavar="FILE.rs",
                   help="Rust files (a directory: every .rs under it)")
    if index:
        p.add_argument("--index", metavar="DB", help="an index built by 'index build'")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE",
                   help=f"target triple (default: {DEFAULT_TARGET}); one of: "
                        + ", ".join(TARGETS))
    p.add_argument("--cpp", action="store_true", help="run headers through the preprocessor")
    p.add_argument("--crates", default="", metavar="NAME=DIS,...",
                   help="Rust: crate disambiguators for type paths (see 'rust-crates')")
    p.add_argument("--cpp-arg", action="append", default=[], metavar="ARG",
                   help="with --cpp: pass ARG on (-I..., -D..., -include FILE as two); "
                        "repeatable, e.g. --cpp-arg=-D__KERNEL__")


def _expand(paths: Sequence[str], suffix: str) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out += [os.path.join(root, f) for f in sorted(files) if f.endswith(suffix)]
        else:
            out.append(p)
    return out


def _declarations(args: argparse.Namespace) -> list[object]:
    """Every declaration of the --c and --rust files, through the whole-file readers."""
    decls: list[object] = []
    diagnostics = 0
    for paths, module, function, kwargs in (
            (_expand(args.c, ".h"), "c_header", "read_c_files",
             {"cpp": args.cpp, "cpp_args": tuple(args.cpp_arg)}),
            (_expand(args.rust, ".rs"), "rust_file", "read_rust_files",
             {"crates": parse_crates(args.crates)} if args.crates else {})):
        if not paths:
            continue
        try:
            read = getattr(import_module(f"cfi_typeid.sources.{module}"), function)
        except (ImportError, AttributeError):
            raise UsageError(f"this build has no cfi_typeid.sources.{module} to read "
                             f"{paths[0]}") from None
        scan = read(paths, target=args.target, **kwargs)
        decls += scan.declarations
        diagnostics += len(scan.diagnostics)
    if diagnostics:
        print(f"note: {diagnostics} declaration(s) could not be read and are not looked up "
              "(see the 'header' / 'rust-file' commands for why)", file=sys.stderr)
    return decls


def add_kcfi_lookup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``kcfi-lookup``."""
    p = sub.add_parser("kcfi-lookup", help="which declarations have this KCFI hash",
                       description=_LOOKUP_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hashes", nargs="*", metavar="HASH", help="hashes, dmesg lines, or '-'")
    _add_sources(p)
    p.add_argument("--salt", action="append", default=[], metavar="S",
                   help="also try this cfi_salt (repeatable; no salt is always tried)")
    p.add_argument("--hash-algorithm", action="append", choices=("xxhash64", "fnv1a"),
                   help="only this KCFI hash (default: both)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_cmd_lookup)


def _cmd_lookup(args: argparse.Namespace) -> int:
    from ..kcfi.lookup import ALGORITHMS, kcfi_lookup, parse_hashes
    texts = [a for a in args.hashes if a != "-"]
    wanted = parse_hashes(texts)
    if "-" in args.hashes:
        wanted += parse_hashes([sys.stdin.read()], lenient=True)
    if not wanted:
        raise UsageError("kcfi-lookup needs a HASH (or '-' and hashes on standard input)")
    if not (args.c or args.rust or args.index):
        raise UsageError("give the declarations to look the hash up in: --c HEADER..., "
                         "--rust FILE.rs... or --index DB")
    salts = ("", *args.salt)
    algorithms = tuple(args.hash_algorithm or ALGORITHMS)
    started = time.perf_counter()
    if args.index:
        answers = kcfi_lookup(wanted, index=args.index, salts=salts, algorithms=algorithms)
    else:
        from ..sources.records import Declaration
        answers = kcfi_lookup(wanted, cast(list[Declaration], _declarations(args)),
                              salts=salts, algorithms=algorithms)
    if args.json:
        print(json.dumps({"hashes": [a.to_json() for a in answers]}))
    else:
        for a in answers:
            print(_render_answer(a))
        print(f"({len(answers)} hash(es) looked up in {1000 * (time.perf_counter() - started):.1f}"
              " ms)", file=sys.stderr)
    return EXIT_OK if all(a.matches for a in answers) else EXIT_UNMATCHED


def _render_answer(a: object) -> str:
    from ..hashes import kcfi_hash
    from ..kcfi.lookup import Answer
    assert isinstance(a, Answer)
    h = a.hash
    head = f"0x{h.value:08x}"
    if h.form not in ("hex", "int"):
        head += f" (from {h.form}: {h.text})"
    lines = [head]
    if h.target:
        lines.append(f"  a call in {h.caller} expected this type; the target was {h.target}")
    for m in a.matches:
        lines += ["  " + s for s in str(m).splitlines()]
    for t in a.target_matches:
        lines.append(f"  target {t.name} ({t.file}:{t.line}: {t.text}) has "
                     f"{t.typeid} = 0x{kcfi_hash(t.typeid, t.hash_algorithm):08x} "
                     f"({t.option_set}, {t.hash_algorithm})")
    if not a.matches:
        lines.append("  no declaration matches.  " + a.explanation)
    return "\n".join(lines)


# ---- index ---------------------------------------------------------------------------------

def add_index(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``index build`` and ``index stats``."""
    p = sub.add_parser("index", help="an SQLite index of type ids and KCFI hashes",
                       description="'index build DB --c ... --rust ...' reads every file once "
                                   "(one process per CPU) and writes every declaration's ids "
                                   "and hashes; 'kcfi-lookup --index DB' then takes "
                                   "milliseconds. 'index stats DB' describes one.")
    isub = p.add_subparsers(dest="index_command", metavar="build|stats", required=True)
    b = isub.add_parser("build", help="read the files and write the index")
    b.add_argument("db", metavar="DB")
    _add_sources(b, index=False)
    b.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default 0: one per CPU)")
    b.add_argument("--salt", action="append", default=[], metavar="S",
                   help="also index the ids with this cfi_salt (repeatable)")
    b.set_defaults(run=_cmd_index_build)
    s = isub.add_parser("stats", help="what an index holds")
    s.add_argument("db", metavar="DB")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_cmd_index_stats)


def _cmd_index_build(args: argparse.Namespace) -> int:
    from ..kcfi.index import build_index
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    c, rust = _expand(args.c, ".h"), _expand(args.rust, ".rs")
    if not c and not rust:
        raise UsageError("index build needs files: --c HEADER... and/or --rust FILE.rs...")
    def progress(done: int, total: int) -> None:  # on a terminal only: logs stay clean
        if done == total or done % max(1, total // 100) == 0:
            print(f"\r  {done}/{total} files", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)
    report = build_index(args.db, c=c, rust=rust, target=args.target, jobs=args.jobs,
                         progress=progress if sys.stderr.isatty() else None, salts=args.salt,
                         c_options={"cpp": args.cpp, "cpp_args": tuple(args.cpp_arg)},
                         rust_options={"crates": parse_crates(args.crates)} if args.crates
                         else {})
    print(f"{args.db}: {report.declarations} declarations from {report.files} files "
          f"({report.rows} rows, {report.diagnostics} skipped) in {report.seconds:.2f} s")
    return EXIT_OK


def _cmd_index_stats(args: argparse.Namespace) -> int:
    from ..kcfi.index import open_index
    stats = open_index(args.db).stats()
    if args.json:
        print(json.dumps(stats))
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return EXIT_OK


# ---- elf -----------------------------------------------------------------------------------

_ELF_HELP = """\
Reads ELF objects, shared libraries, kernel modules and vmlinux: each function's KCFI tag (and
the patchable-entry prefix between tag and entry, found from the code), each x86-64 / AArch64 / RISC-V
indirect call's expected hash, and the __kcfi_typeid_<name> symbols. With declarations (--c,
--rust or --index) each tag and call site is matched to its declaration, and verdicts name
mismatched option sets, tags that match nothing, and patchable-entry mismatches between units.

--json: {"objects": [{"file", "arch", "type", "compiler", ...}], "functions": [{"name",
"address", "section", "tag": "0x%08x", "offset": -4, "prefix_nops", "arity": null|N,
"file"}], "call_sites": [{"function", "address", "section", "expected": "0x%08x",
"offset", "prefix_nops", "file"}], "typeid_symbols": [{"name", "value", "file"}],
"verdicts": [{"kind", "severity", "message", "file", "function", "fix"?}], "declarations"?:
{"0x%08x": [{"name", "kind", "file", "line", "option_set", "hash_algorithm", "salt",
"typeid", "lang"}]}} (with declarations: each tag's and expected hash's matches, once).
Exit status 1 when a verdict is an error.
"""


def add_elf(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``elf``."""
    p = sub.add_parser("elf", help="KCFI tags and call sites of ELF files, with verdicts",
                       description=_ELF_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_sources(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_cmd_elf)


def _cmd_elf(args: argparse.Namespace) -> int:
    from ..kcfi.lookup import HashTable, Match
    from ..kcfi.objects import Analysis, analyse, patchable_entry_verdicts
    from ..sources.elf import read_elf_files
    from ..sources.records import Declaration
    objects = read_elf_files(args.files)
    # Without declarations, what the objects alone show: prefix mismatches between units.
    analysis = Analysis(verdicts=tuple(patchable_entry_verdicts(objects)))
    if args.index:
        from ..kcfi.index import open_index
        analysis = analyse(objects, open_index(args.index))
    elif args.c or args.rust:
        analysis = analyse(objects, HashTable(cast(list[Declaration], _declarations(args))))

    # Each hash's declarations once (a vmlinux has thousands of call sites expecting the same
    # few types), keyed as the functions' "tag" and the call sites' "expected" are written.
    by_hash: dict[str, list[dict[str, object]]] = {}
    found: tuple[Match, ...]
    for obj in objects:
        for f in obj.functions:
            found = analysis.function_matches.get((obj.file, f.name, f.address), ())
            if f.tag is not None:
                by_hash.setdefault(f"0x{f.tag:08x}", [_decl(m) for m in found])
        for c in obj.call_sites:
            found = analysis.call_matches.get((c.file, c.address), ())
            by_hash.setdefault(f"0x{c.expected:08x}", [_decl(m) for m in found])
    out: dict[str, object] = {
        "objects": [o.to_json() for o in objects],
        "functions": [f.to_json() for o in objects for f in o.functions],
        "call_sites": [c.to_json() for o in objects for c in o.call_sites],
        "typeid_symbols": [t.to_json() for o in objects for t in o.typeid_symbols],
        "verdicts": [v.to_json() for v in analysis.verdicts]}
    if args.index or args.c or args.rust:
        out["declarations"] = by_hash
    if args.json:
        print(json.dumps(out))
    else:
        print(_render_elf(cast(dict[str, list[dict[str, object]]], out),
                          by_hash if "declarations" in out else None))
    return EXIT_UNMATCHED if any(v.severity == "error" for v in analysis.verdicts) else EXIT_OK


def _decl(m: object) -> dict[str, object]:
    from ..kcfi.lookup import Match
    assert isinstance(m, Match)
    return {k: v for k, v in m.to_json().items() if k != "type"}


def _render_elf(out: dict[str, list[dict[str, object]]],
                by_hash: dict[str, list[dict[str, object]]] | None) -> str:
    lines = []
    for o in out["objects"]:
        lines.append(f"{o['file']}: {o['arch']} {o['type']}, {o['compiler'] or 'compiler ?'}: "
                     f"{o['functions']} tagged functions, {o['call_sites']} call sites, "
                     f"{o['typeid_symbols']} __kcfi_typeid_ symbols; prefix nops "
                     f"{o['prefix_nops']}, assumed by call sites {o['call_site_prefix_nops']}")
        lines += [f"  note: {n}" for n in cast(list[str], o["notes"])]
        for f in (f for f in out["functions"] if f["file"] == o["file"]):
            arity = f" arity {f['arity']}" if f["arity"] is not None else ""
            lines.append(f"  tag {f['tag'] or f.get('tag_symbol')} at {f['offset']:>3} "
                         f"{f['name']} ({f['section']}+{f['address']}){arity}"
                         f"{_names(by_hash, f['tag'])}")
        for c in (c for c in out["call_sites"] if c["file"] == o["file"]):
            lines.append(f"  call in {c['function'] or '?'} at {c['address']} expects "
                         f"{c['expected']} (reads {c['offset']}){_names(by_hash, c['expected'])}")
        for t in (t for t in out["typeid_symbols"] if t["file"] == o["file"]):
            lines.append(f"  {t['name']} = {t['value']}")
    for v in out["verdicts"]:
        lines.append(f"{v['severity']}: {v['message']}")
        if v.get("fix"):
            lines.append(f"  fix: {v['fix']}")
    return "\n".join(lines)


def _names(by_hash: dict[str, list[dict[str, object]]] | None, key: object) -> str:
    if by_hash is None:
        return ""
    found = by_hash.get(str(key), [])
    if not found:
        return "  = ?"
    shown = sorted({f"{m['name']} [{m['option_set']}]" for m in found})
    return "  = " + ", ".join(shown[:4]) + (" ..." if len(shown) > 4 else "")


# ---- flags ---------------------------------------------------------------------------------

def add_flags(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``flags``."""
    p = sub.add_parser("flags", help="do the CFI flags of a C and a Rust build agree",
                       description="Compares the CFI-relevant flags of both halves of a mixed "
                                   "C/Rust build (sanitizer, integer normalization, pointer "
                                   "generalization, KCFI hash, patchable-entry prefix, arity, "
                                   "and rustc's target modifiers -Zfixed-x18, -Zregparm, "
                                   "-Zreg-struct-return, retpoline, ...) and says what breaks "
                                   "where they differ. Exit status 1 when any setting differs. "
                                   "Write a single flag as --rust=-Zsanitizer=kcfi (with '=').")
    p.add_argument("--c", default=None, metavar="CFLAGS", help="the C compiler's flags")
    p.add_argument("--compile-commands", metavar="FILE",
                   help="read the C flags of every entry of a compile_commands.json")
    p.add_argument("--rust", default="", metavar="RUSTFLAGS",
                   help="rustc's flags, or a whole rustc command line")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_cmd_flags)


def _cmd_flags(args: argparse.Namespace) -> int:
    from ..kcfi.flags import (CfiFlags, c_flags_from_compile_commands, compare_flags,
                              parse_c_flags, parse_rust_flags)
    groups: dict[CfiFlags, list[str]] = {}
    if args.compile_commands:
        for file, flags in c_flags_from_compile_commands(args.compile_commands):
            groups.setdefault(flags, []).append(file)
    if args.c is not None or not groups:
        groups.setdefault(parse_c_flags(args.c or ""), []).append("--c")
    rust = parse_rust_flags(args.rust)
    report = [{"c_files": files, "c": c.to_json(), "rust": rust.to_json(),
               "rows": [r.to_json() for r in compare_flags(c, rust)]}
              for c, files in groups.items()]
    if args.json:
        print(json.dumps({"comparisons": report}))
    else:
        for entry in report:
            files = cast(list[str], entry["c_files"])
            if len(groups) > 1 or files != ["--c"]:
                print(f"C flags of {len(files)} file(s): {', '.join(files[:5])}"
                      + (" ..." if len(files) > 5 else ""))
            for r in cast(list[dict[str, object]], entry["rows"]):
                mark = "agree" if r["agree"] else "DIFFER"
                print(f"{mark:6} {r['setting']}: C {r['c']}, Rust {r['rust']}")
                if r["note"]:
                    print(f"       {r['note']}")
    agree = all(r["agree"] for e in report for r in cast(list[dict[str, object]], e["rows"]))
    return EXIT_OK if agree else EXIT_UNMATCHED
