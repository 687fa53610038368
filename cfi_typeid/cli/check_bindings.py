"""``check-bindings``: a C header against its Rust bindings, every pair and option set.

Prints a summary table first (how many pairs match under each option set), then the
mismatches grouped by cause (with the fix), then each mismatching pair in detail.  Exit status
0 when every pair matches under every option set asked about, 1 when one does not, 2 for bad
input.  ``--json`` prints one document instead; ``--suggest`` prints the Rust edits as a unified
diff against the bindings file (and the bindgen options that give the same result).
"""

from __future__ import annotations

import argparse
import json
import textwrap
from json.encoder import encode_basestring_ascii as _string
from pathlib import Path

from .app import EXIT_MISMATCH, EXIT_OK
from .io import add_c_standard, parse_crates
from ..crosscheck.bindings import BindingPair, BindingsReport
from ..errors import UsageError
from ..targets import DEFAULT_TARGET, TARGETS

#: A title for each advice rule, to group mismatches by cause.
_CAUSE_TITLES = {
    "option_callback": "bindgen's Option<fn> wrapper of a nullable callback",
    "generalized_fn_pointer": "fn pointers under pointer generalization (rustc PKv, clang Pv)",
    "c_int_vs_fixed": "C integer types vs Rust's fixed-width aliases (c_int = i32)",
    "named_vs_integer": "C enum vs a Rust integer",
    "named_vs_path": "struct names or paths differ",
    "normalized_ints": "integer sizes differ under normalization",
    "encoding_not_normalized": "a #[cfi_encoding] under integer normalization",
    "constness": "const vs mut pointee",
    "reference": "Rust reference vs C pointer",
    "never": "'-> !' vs void",
    "float16": "_Float16 vs f16",
    "array": "arrays (rustc writes no '_' after the length)",
    "substitutions": "substitution numbering after a fn pointer",
    "arity": "parameter counts differ",
    "no_prototype": "C declaration without a prototype",
    "variadic": "only one side is variadic",
    "flags": "the two sides use different flags",
}


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


def _cmd_check_bindings(args: argparse.Namespace) -> int:
    from ..crosscheck.files import check_bindings
    report = check_bindings(
        args.c, args.rust, target=args.target, options=_split(args.options),
        c_options=_split(args.c_options), rust_options=_split(args.rust_options),
        cpp=args.cpp, cpp_args=args.cpp_arg or (), edition=args.edition, crate=args.crate,
        crates=parse_crates(args.crates) or None, c_std=args.std)
    if args.json:
        doc = report.to_json()
        if args.suggest:
            doc["suggest"] = _suggestion_json(report, args.rust)
        print(dumps_indented(doc))
    elif args.suggest:
        print(render_suggestion(report, args.rust), end="")
    else:
        print(render_report(report))
    return EXIT_OK if report.matches else EXIT_MISMATCH


def dumps_indented(doc: object) -> str:
    """``json.dumps(doc, indent=2)``, the same text, written by one recursive function: with
    an indent the json module runs its pure-Python encoder, a generator per container, which
    was a tenth of check-bindings on sqlite3.h.  Anything but JSON's own types goes to
    json.dumps as before."""
    out: list[str] = []
    try:
        _indented(doc, out, "\n")
    except _NotPlain:
        return json.dumps(doc, indent=2)
    return "".join(out)


class _NotPlain(Exception):
    """A value _indented does not write (json.dumps says what is wrong with it)."""


def _indented(o: object, out: list[str], newline: str) -> None:
    # the order of json.encoder._iterencode: str, None, True, False, int, float, list, dict
    if isinstance(o, str):
        out.append(_string(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float) and o == o and o not in (float("inf"), float("-inf")):
        out.append(float.__repr__(o))
    elif isinstance(o, (list, tuple)):
        if not o:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for value in o:
            out.append(separator)
            _indented(value, out, inner)
            separator = "," + inner
        out.append(newline + "]")
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, value in o.items():
            if not isinstance(key, str):
                raise _NotPlain
            out.append(separator + _string(key) + ": ")
            _indented(value, out, inner)
            separator = "," + inner
        out.append(newline + "}")
    else:
        raise _NotPlain


def _texts(paths: list[str]) -> dict[str, str]:
    out = {}
    for p in paths:
        if p == "-":
            raise UsageError("--suggest needs the bindings as a file, not standard input")
        try:
            out[p] = Path(p).read_text(encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot read {p}: {e.strerror}") from None
    return out


def _suggestion_json(report: BindingsReport, paths: list[str]) -> dict[str, object]:
    from ..crosscheck.patch import suggest_patch
    patch = suggest_patch(report, _texts(paths))
    return {"diff": patch.diff, "fixed": [{"symbol": s, "options": list(o)}
                                          for s, o in patch.fixed],
            "unfixed": [{"symbol": s, "why": w} for s, w in patch.unfixed],
            "notes": list(patch.notes)}


def render_suggestion(report: BindingsReport, paths: list[str]) -> str:
    """Notes as ``#`` lines (``patch`` skips them), then the unified diff."""
    from ..crosscheck.patch import suggest_patch
    patch = suggest_patch(report, _texts(paths))
    head = [f"# {len(patch.fixed)} pair(s) fixed by this diff, {len(patch.unfixed)} not"]
    head += [f"# note: {n}" for n in patch.notes]
    head += [f"# not fixed: {s}: {w}" for s, w in patch.unfixed]
    return "\n".join(head) + "\n" + patch.diff


def _wrap(label: str, text: str, width: int = 96) -> list[str]:
    wrapped = textwrap.wrap(text, width - len(label)) or [""]
    return [(label if i == 0 else " " * len(label)) + w for i, w in enumerate(wrapped)]


def render_report(report: BindingsReport) -> str:
    """Summary table, mismatches grouped by cause, then the details."""
    s = report.summary()
    kinds: dict[str, int] = {}
    for p in report.pairs:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    lines = [f"{s['pairs']} pairs ({', '.join(f'{n} {k}s' for k, n in kinds.items()) or 'none'})"
             f" on {report.target}"]
    width = max([len(n) for n in report.option_names] + [len("every option set")])
    lines.append(f"  {'':{width}}  {'match':>7}  {'mismatch':>8}")
    match = s["match"]
    assert isinstance(match, dict)
    for name in report.option_names:
        lines.append(f"  {name:{width}}  {match[name]:>7}  {len(report.pairs) - match[name]:>8}")
    lines.append(f"  {'every option set':{width}}  {s['match_all']:>7}  {s['mismatch']:>8}")
    for label, decls in (("only in C", report.only_c), ("only in Rust", report.only_rust)):
        if decls:
            names = ", ".join(d.symbol or d.name for d in decls[:12])
            more = f", ... ({len(decls)} in all)" if len(decls) > 12 else ""
            lines.append(f"{label}: {names}{more}")
    for w in report.warnings[:20]:
        lines.append(f"warning: {w}")
    if len(report.warnings) > 20:
        lines.append(f"warning: ... {len(report.warnings) - 20} more")
    bad = [p for p in report.pairs if not p.matches]
    if bad:
        lines += ["", "Mismatches by cause:"]
        lines += _by_cause(bad)
        lines += ["", "Details:"]
        for p in bad:
            lines += _details(p)
    return "\n".join(lines)


def _by_cause(bad: list[BindingPair]) -> list[str]:
    """One line per cause and the option sets it shows under, largest first, with its fix
    (one per option set where they differ)."""
    sets: dict[tuple[str, str], list[str]] = {}
    fixes: dict[tuple[str, str, str], str] = {}
    for p in bad:
        for comp in p.comparisons:
            d = comp.difference
            if d is not None:
                sets.setdefault((d.rule or "other", p.symbol), []).append(comp.name)
                fixes.setdefault((d.rule or "other", comp.name, p.symbol), d.fix)
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (rule, symbol), names in sets.items():
        groups.setdefault((rule, tuple(names)), []).append(symbol)
    out = []
    for (rule, options), symbols in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        title = _CAUSE_TITLES.get(rule, "other differences")
        shown = ", ".join(symbols[:8]) + (", ..." if len(symbols) > 8 else "")
        out.append(f"  {title} [{', '.join(options)}]: {len(symbols)} pair(s): {shown}")
        by_fix: dict[str, list[str]] = {}
        for name in options:
            by_fix.setdefault(fixes[(rule, name, symbols[0])], []).append(name)
        example = f" (e.g. {symbols[0]})" if len(symbols) > 1 else ""
        for fix, names in by_fix.items():
            label = "fix" if len(by_fix) == 1 else f"fix ({', '.join(names)})"
            out += _wrap(f"      {label}{example}: ", fix)
    return out


def _details(p: BindingPair) -> list[str]:
    bad = [c.name for c in p.comparisons if not c.matches]
    out = ["", f"{p.symbol} ({p.c.file}:{p.c.line} / {p.rust.file}:{p.rust.line}): MISMATCH "
               f"under {', '.join(bad)}"]
    remedies = {r.options: r for r in p.remedies}
    for comp in p.comparisons:
        d = comp.difference
        if d is None:
            continue
        out += _wrap(f"  {comp.name}: ", f"{d.where}: C {d.c_type} ({d.c_code or '-'}) vs Rust "
                                         f"{d.rust_type} ({d.rust_code or '-'})")
        out += _wrap("    why: ", d.cause)
        r = remedies.get(comp.name)
        if r is not None and r.works:
            out += _wrap("    fix (verified): ", r.describe())
        else:
            out += _wrap("    fix: ", r.note if r is not None and r.note else d.fix)
        out.append(f"    ids: C {comp.c_typeid}  Rust {comp.rust_typeid}")
    return out


def add_check_bindings(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check-bindings", help="a C header against its Rust bindings: every pair, every option "
                               "set, and a fix that works",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Read the C headers and the Rust files, pair functions by symbol (#[link_name], #[no_mangle],
extern block names), function-pointer members by struct and member name and function typedefs
by name, and compare the CFI type ids of each pair under every option set. Prints a summary
table, the mismatches grouped by cause (with a fix), then the details. Exit status: 0 all
match, 1 a mismatch, 2 bad input.

Example:
  bindgen zlib.h -o zlib.rs
  python -m cfi_typeid check-bindings --c /usr/include/zlib.h --rust zlib.rs --suggest
""")
    p.add_argument("--c", nargs="+", required=True, metavar="HEADER", help="C header(s)")
    p.add_argument("--rust", nargs="+", required=True, metavar="FILE.rs",
                   help="the Rust bindings")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="TRIPLE",
                   help=f"target triple (default {DEFAULT_TARGET}); one of: " + ", ".join(TARGETS))
    p.add_argument("--options", metavar="SETS",
                   help="option sets, comma-separated (default: plain, normalized, "
                        "generalized, normalized+generalized)")
    p.add_argument("--c-options", metavar="SETS",
                   help="mixed settings: the C side's option sets, paired with --rust-options")
    p.add_argument("--rust-options", metavar="SETS", help="mixed settings: the Rust side's")
    p.add_argument("--crate", default="probe", help="Rust crate name (default probe)")
    p.add_argument("--crates", default="", metavar="NAME=DIS,...",
                   help="Rust crate disambiguators (see rust-crates; default: the local "
                        "rustc's, which bindgen's Option<fn> callbacks need)")
    p.add_argument("--edition", default="2021", help="Rust edition (default 2021)")
    p.add_argument("--cpp", action="store_true", help="run the C preprocessor on the headers")
    add_c_standard(p)
    p.add_argument("--cpp-arg", action="append", metavar="ARG",
                   help="an argument for the preprocessor (-I..., -D...); repeatable")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--suggest", action="store_true",
                   help="print the Rust edits as a unified diff against the bindings file")
    p.set_defaults(run=_cmd_check_bindings)
