"""The differential half of ``fuzz``: our six fields against the compiler's, case by case.

A *side* knows one language: how to put many cases into one source file, which field each
compile gives, and how to write a reproducer.  The cases of a target are compiled together;
the compiler's verdict on each case is a dict of the fields it showed, or the message with
which it refused the case.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from typing import Any, Sequence, TextIO

from ..api import prelude_warnings
from ..rust.crates import disambiguators_from_ir
from ..strategies import (
    c_cases, c_mutants, c_source, rust_cases, rust_mutants, rust_strategies,
)
from .fuzz import drawn, unique
from .fuzz_compile import (
    VARIANTS, CompileError, Compiler, ids_from_ir, kcfi_from_output,
)

Verdict = dict[str, str] | str
Case = Any  # CCase | RustCase

#: Items that make rustc spell the paths of the probe crate, core and alloc, to read their
#: disambiguators from its IR (without core on the targets that have none installed).
_MARKER = ("pub struct CfiTypeidMarker;\n#[no_mangle] pub fn cfi_typeid_marker("
           "_: &CfiTypeidMarker, _: Option<&u8>, _: &Box<u8>) {}")
_NO_CORE_MARKER = ("pub struct CfiTypeidMarker;\n#[no_mangle] pub fn cfi_typeid_marker("
                   "_: &CfiTypeidMarker) {}")


@dataclass
class Side:
    """One language against its compiler, on one target."""

    compiler: Compiler
    target: str
    fields: tuple[str, ...]

    @property
    def lang(self) -> str:
        return self.compiler.lang

    def variants(self) -> list[tuple[str, str, str, bool]]:
        """The compiles the chosen fields need."""
        wanted = {"cfi": ("plain", "generalized"), "cfi_normalized": ("normalized",
                                                                      "normalized_generalized"),
                  "kcfi": ("kcfi",), "kcfi_normalized": ("kcfi_normalized",)}
        return [v for v in VARIANTS if set(wanted[v[0]]) & set(self.fields)]

    def source(self, cases: Sequence[Case], normalized: bool) -> str:
        if self.lang == "c":
            return c_source(list(cases))
        core = self.target == "x86_64-unknown-linux-gnu"
        return rust_strategies.rustc_crate([c.case for c in cases],
                                           "cfi_norm" if normalized else "cfi_plain",
                                           _MARKER if core else _NO_CORE_MARKER, core)

    def verdicts(self, cases: Sequence[Case]) -> tuple[dict[str, Verdict], dict[str, str]]:
        """Case name → the compiler's fields (or why it refused the case); and, for Rust,
        the crate disambiguators its IR shows."""
        theirs: dict[str, dict[str, str]] = {c.name: {} for c in cases}
        crates: dict[str, str] = {}
        for name, c_flags, rust_flags, normalized in self.variants():
            flags = c_flags if self.lang == "c" else rust_flags
            output = self.compiler.run(self.source(cases, normalized), self.target, flags)
            if name.startswith("kcfi"):
                for fn, value in kcfi_from_output(output).items():
                    if fn in theirs:
                        theirs[fn][name] = f"0x{value:08x}"
                continue
            if self.lang == "rust" and not normalized:
                crates = {k: v for k, v in disambiguators_from_ir(output).items()
                          if k in ("probe", "core", "alloc")}
            for fn, ids in ids_from_ir(output).items():
                if fn in theirs:
                    theirs[fn].update(_cfi_fields(self.lang, ids, normalized))
        return dict(theirs), crates

    def ours(self, case: Case, crates: dict[str, str]) -> dict[str, str] | str:
        answer: dict[str, str] | str = (case.typeids() if self.lang == "c"
                                        else case.typeids(crates))
        return answer


def _cfi_fields(lang: str, ids: list[str], normalized: bool) -> dict[str, str]:
    if lang == "rust":  # rustc gives all four ids; each crate is right for two of them
        names = ("normalized", "normalized_generalized") if normalized else ("plain",
                                                                            "generalized")
        picked = ids[2:4] if normalized else ids[0:2]
        return dict(zip(names, picked))
    out: dict[str, str] = {}
    for typeid in ids:
        field = "generalized" if typeid.endswith(".generalized") else "plain"
        if normalized:
            field = "normalized" if field == "plain" else "normalized_generalized"
        out[field] = typeid
    return out


def verdicts_isolating_refusals(side: Side, cases: Sequence[Case]
                                ) -> tuple[dict[str, Verdict], dict[str, str]]:
    """:meth:`Side.verdicts`, halving the cases while the compiler refuses them, so that one
    case it refuses costs the others nothing."""
    try:
        return side.verdicts(cases)
    except CompileError as e:
        if len(cases) == 1:
            return {cases[0].name: f"refused ({_first_error(str(e))})"}, {}
    half = len(cases) // 2
    first, crates = verdicts_isolating_refusals(side, cases[:half])
    second, more = verdicts_isolating_refusals(side, cases[half:])
    return {**first, **second}, crates or more


def _first_error(message: str) -> str:
    """The compiler's first error, without the file name and position (which differ from
    run to run), so that equal refusals are seen to be equal."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line]
    first = (errors or lines or ["no message"])[0]
    first = re.sub(r"^\S*case\.(?:c|rs):\d+:\d+:\s*", "", first)
    return re.sub(r"\b[cf]\d+\b", "<case>", first)[:300]


def signature(diff: list[tuple[str, str, str]]) -> tuple[object, ...]:
    """What a shrunk case must still show: the same refusal (by its message), or
    differences in the same fields."""
    if diff and diff[0][0] == "compiles":
        return ("compiles",) + diff[0][1:]
    return tuple(f for f, _, _ in diff)


def _kind(diff: list[tuple[str, str, str]], case: Case) -> tuple[object, ...]:
    """What makes two differences the same: a refusal by its message, anything else by the
    fields, the case (its name left out) and the target."""
    if diff and diff[0][0] == "compiles":
        return ("compiles",) + diff[0][1:]
    return (case.target, case.prelude, case.renamed("cfi_case").decl,
            tuple(f for f, _, _ in diff))


def differences(side: Side, case: Case, theirs: Verdict, crates: dict[str, str]
                ) -> list[tuple[str, str, str]]:
    """(field, ours, theirs) for each field that differs.  A case the compiler refuses agrees
    with one we refuse, or answer with a warning that its prelude has a declaration we skipped
    (a prelude is read as tolerantly as a header, as issue 12 asks: the answer says so)."""
    ours = side.ours(case, crates)
    if isinstance(theirs, str):
        if isinstance(ours, str) or prelude_warnings(case.prelude, lang=side.lang,
                                                     target=side.target):
            return []
        return [("compiles", "accepted", theirs)]
    if isinstance(ours, str):
        return [("compiles", ours, "accepted")]
    return [(f, ours[f], theirs.get(f, "(none)")) for f in side.fields
            if ours[f] != theirs.get(f)]


def still_differs(side: Side, case: Case, wanted: tuple[object, ...]) -> bool:
    """Whether ``case`` alone shows the difference ``wanted`` (a :func:`signature`): a
    smaller case that differs for another reason is another bug, not this one smaller."""
    verdicts, crates = verdicts_isolating_refusals(side, [case])
    diff = differences(side, case, verdicts[case.name], crates)
    return bool(diff) and signature(diff) == wanted


def run_differential(lang: str, examples: int, seed: int, target: str | None,
                     command: str | None, fields: tuple[str, ...], shrink_budget: int,
                     out: TextIO, mutants: bool = False) -> int:
    """Compare ``examples`` drawn cases; with ``mutants``, cases with one change a compiler
    may refuse, compiled one at a time (most are refused) for their plain and generalized
    ids only."""
    compiler = Compiler.for_lang(lang, command)
    if mutants:
        strategy = c_mutants(target) if lang == "c" else rust_mutants(target)
        fields = tuple(f for f in fields if f in ("plain", "generalized")) or ("plain",)
    else:
        strategy = c_cases(target) if lang == "c" else rust_cases(target)
    cases = unique(drawn(strategy, examples, seed), key=lambda c: (c.target, c.prelude, c.decl))
    by_target: dict[str, list[Case]] = {}
    for i, case in enumerate(cases):
        name = f"f{i}" if lang == "c" else f"c{i}"
        by_target.setdefault(case.target, []).append(case.renamed(name))
    found = compared = 0
    shown: dict[tuple[object, ...], int] = {}
    from .fuzz_shrink import reproducer, shrink
    for triple, group in by_target.items():
        side = Side(compiler, triple, fields)
        size = 1 if mutants else 400
        for start in range(0, len(group), size):
            chunk = group[start:start + size]
            verdicts, crates = verdicts_isolating_refusals(side, chunk)
            for case in chunk:
                compared += 1
                diff = differences(side, case, verdicts[case.name], crates)
                if not diff:
                    continue
                found += 1
                small = shrink(side, case, signature(diff), shrink_budget) \
                    if shrink_budget else case
                verdict, small_crates = verdicts_isolating_refusals(side, [small])
                small_diff = differences(side, small, verdict[small.name], small_crates) or diff
                key = _kind(small_diff, small)
                if key in shown:
                    shown[key] += 1
                    continue
                shown[key] = 1
                out.write(reproducer(side, small, small_diff, small_crates or crates) + "\n")
                out.flush()
    for key, count in shown.items():
        if count > 1:
            out.write(f"# {count} cases showed this difference: {' '.join(map(str, key))[:300]}\n")
    print(f"fuzz: {compared} {lang} {'mutants' if mutants else 'cases'} compared with {shlex.split(compiler.template)[0]} "
          f"on {len(by_target)} target(s), {found} with differences "
          f"({len(shown)} distinct after shrinking)", file=sys.stderr)
    return 1 if found else 0
