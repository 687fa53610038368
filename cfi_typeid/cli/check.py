"""``check`` and ``suggest-encoding``: the cross-language commands.

``check`` prints one screen: the verdict, then for each option set that does not match the fix
first, then where and why, then both ids.  Exit status 0 when every option set asked about
matches, 1 when one does not, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import textwrap

from ..crosscheck.check import CheckResult, Comparison
from .app import EXIT_MISMATCH, EXIT_OK
from .io import add_c_standard, parse_crates, read_text
from ..errors import UsageError
from ..hashes import kcfi_hash

from ..targets import DEFAULT_TARGET, TARGETS



def _split(text: str | None, flag: str) -> list[str] | None:
    if text is None:
        return None
    sets = [s.strip() for s in text.split(",") if s.strip()]
    if not sets:
        raise UsageError(f"{flag} needs at least one option set (e.g. {flag} plain,normalized)")
    return sets


def _cmd_check(args: argparse.Namespace) -> int:
    from ..crosscheck.check import check
    result = check(args.c, args.rust, target=args.target,
                   c_prelude=read_text(args.c_prelude, args.c_prelude_file),
                   rust_prelude=read_text(args.rust_prelude, args.rust_prelude_file),
                   crate=args.crate, crates=parse_crates(args.crates),
                   options=_split(args.options, "--options"),
                   c_options=_split(args.c_options, "--c-options"),
                   rust_options=_split(args.rust_options, "--rust-options"),
                   c_std=args.std)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK if result.matches else EXIT_MISMATCH
    print(render_check(result))
    return EXIT_OK if result.matches else EXIT_MISMATCH


def _cmd_suggest(args: argparse.Namespace) -> int:
    from ..crosscheck.suggest import suggest_encoding
    s = suggest_encoding(args.c, prelude=read_text(args.prelude, args.prelude_file),
                         target=args.target, name=args.name)
    if args.json:
        print(json.dumps(s.to_json(), indent=2))
        return EXIT_OK
    print(f"cfi_encoding: {s.encoding}")
    print()
    print(s.rust_declaration)
    for note in s.notes:
        print()
        print(f"note: {note}")
    return EXIT_OK


def _wrap(label: str, text: str) -> list[str]:
    indent = " " * len(label)
    out: list[str] = []
    for i, para in enumerate(text.split("\n")):
        wrapped = textwrap.wrap(para, 96 - len(label)) or [""]
        out.extend((label if i == 0 and j == 0 else indent) + w for j, w in enumerate(wrapped))
    return out


def render_check(result: CheckResult) -> str:
    """One screen: the verdict, each distinct fix first (with where and why), then the ids."""
    bad = [c for c in result.comparisons if not c.matches]
    good = [c.name for c in result.comparisons if c.matches]
    if not bad:
        lines = [f"MATCH under {', '.join(good)}: the Rust declaration gets the same CFI ids "
                 "as the C prototype."]
    else:
        lines = [f"MISMATCH under {', '.join(c.name for c in bad)}"
                 + (f" (match under {', '.join(good)})" if good else "") + "."]
    groups: dict[tuple[str, str, str], list[Comparison]] = {}
    for comp in bad:
        if comp.difference is not None:
            key = (comp.difference.where, comp.difference.cause, comp.difference.fix)
            groups.setdefault(key, []).append(comp)
    for comps in groups.values():
        d = comps[0].difference
        assert d is not None
        names = [c.name for c in comps]
        lines.append("")
        lines.extend(_wrap(f"Fix ({', '.join(names)}): ", d.fix))
        lines.extend(_wrap("  where: ", f"{d.where}: C {d.c_type} ({d.c_code or '-'}) vs "
                                        f"Rust {d.rust_type} ({d.rust_code or '-'})"))
        lines.extend(_wrap("  why:   ", d.cause))
    width = max(len(c.name) for c in result.comparisons)
    ids = max(len(i) for c in result.comparisons for i in (c.c_typeid, c.rust_typeid))
    lines.append("")
    lines.append(f"{'':{width}}       {'type id':{ids}}  KCFI")
    for comp in result.comparisons:
        c_h, r_h = kcfi_hash(comp.c_typeid), kcfi_hash(comp.rust_typeid)
        verdict = "match" if comp.matches else "MISMATCH"
        lines.append(f"{comp.name:{width}}  C    {comp.c_typeid:{ids}}  0x{c_h:08x}  {verdict}")
        lines.append(f"{'':{width}}  Rust {comp.rust_typeid:{ids}}  0x{r_h:08x}")
    return "\n".join(lines)


def add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check", help="does a Rust declaration get the same CFI ids as a C prototype?",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Compare the CFI type ids (and KCFI hashes) of a C prototype and a Rust declaration under every
option set both sides may use: plain, normalized (integer normalization), generalized (pointer
generalization), and both. For a mismatch it names the first component that differs, why, and
a fix. Exit status: 0 all match, 1 a mismatch, 2 bad input.

Example:
  python -m cfi_typeid check --c 'void f(long);' --rust 'extern "C" fn f(x: core::ffi::c_long)'
""")
    p.add_argument("--c", required=True, metavar="PROTOTYPE", help="the C prototype")
    p.add_argument("--rust", required=True, metavar="SIGNATURE",
                   help="the Rust function item or fn-pointer type")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE",
                   help=f"target triple (default {DEFAULT_TARGET}); one of: "
                        + ", ".join(TARGETS))
    p.add_argument("--c-prelude", default="", metavar="TEXT", help="C declarations it uses")
    p.add_argument("--c-prelude-file", metavar="FILE")
    p.add_argument("--rust-prelude", default="", metavar="TEXT", help="Rust items it uses")
    p.add_argument("--rust-prelude-file", metavar="FILE")
    p.add_argument("--crate", default=None, help="Rust crate name of the prelude's items")
    p.add_argument("--crates", default="", metavar="NAME=DIS,...",
                   help="Rust crate disambiguators (see rust-crates)")
    p.add_argument("--options", metavar="SETS",
                   help="option sets to compare, comma-separated (default: all of plain, "
                        "normalized, generalized, normalized+generalized)")
    p.add_argument("--c-options", metavar="SETS",
                   help="mixed settings: the C side's option sets, paired with --rust-options")
    p.add_argument("--rust-options", metavar="SETS",
                   help="mixed settings: the Rust side's option sets")
    add_c_standard(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=_cmd_check)


def add_suggest(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "suggest-encoding", help="the Rust cfi_encoding (and newtype) that matches a C type",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Print the #[cfi_encoding = "..."] string that makes a Rust type encode as the C type, and a
ready Rust declaration. Example:
  python -m cfi_typeid suggest-encoding --c 'enum handler_return'
""")
    p.add_argument("--c", required=True, metavar="TYPE", help="a C type name")
    p.add_argument("--prelude", default="", metavar="TEXT", help="C declarations it uses")
    p.add_argument("--prelude-file", metavar="FILE")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE")
    p.add_argument("--name", default=None, help="name of the Rust type to declare")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=_cmd_suggest)
