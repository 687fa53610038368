"""Verdicts on ELF objects against declarations: is each KCFI tag the hash of its function's
prototype, under which option set; does each call site expect a type some function here
carries; do the units agree on the patchable-entry prefix the checks assume.

Every indirect call between two units fails when they disagree on any of these, and the trap
names only a hash.  Each verdict names the functions and call sites involved and the flag that
fixes it, on which side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Protocol, Sequence

from ..hashes import kcfi_hash
from ..sources.elf_records import NOP_SIZE, CallSite, ElfObject, FunctionTag
from .lookup import Match

Severity = Literal["info", "warning", "error"]


class Resolver(Protocol):
    """What answers "which declarations have this hash" (a :class:`~.lookup.HashTable` or an
    :class:`~.index.Index`)."""

    def lookup(self, value: int) -> tuple[Match, ...]: ...

    def declarations_named(self, symbol: str) -> tuple[Match, ...]: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """One finding.  ``kind``: ``match``, ``other-option-set``, ``prototype-mismatch``,
    ``tag-matches-nothing``, ``tag-of-other-declarations``, ``no-function-carries``,
    ``call-site-matches-nothing``, ``option-set-mismatch``, ``patchable-entry-mismatch``."""

    kind: str
    severity: Severity
    message: str
    file: str = ""
    function: str = ""
    #: Names of the functions / call sites involved (patchable-entry and option-set verdicts).
    functions: tuple[str, ...] = ()
    call_sites: tuple[str, ...] = ()
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "severity": self.severity,
                                  "message": self.message, "file": self.file,
                                  "function": self.function}
        if self.functions:
            out["functions"] = list(self.functions)
        if self.call_sites:
            out["call_sites"] = list(self.call_sites)
        if self.fix:
            out["fix"] = self.fix
        return out


@dataclass(frozen=True, slots=True)
class Analysis:
    """Each tag's and call site's declarations, and the verdicts."""

    #: (file, function name, address) → the declarations whose id hashes to its tag.
    function_matches: dict[tuple[str, str, int], tuple[Match, ...]] = field(default_factory=dict)
    #: (file, address) → the declarations whose id hashes to the call's expected hash.
    call_matches: dict[tuple[str, int], tuple[Match, ...]] = field(default_factory=dict)
    verdicts: tuple[Verdict, ...] = ()


Setting = tuple[str, str]  # (option set, hash algorithm)


class _Memo:
    """A resolver asked each hash and name once: a vmlinux has tens of thousands of call
    sites expecting the same few types, which would otherwise each hold their own matches."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.hashes: dict[int, tuple[Match, ...]] = {}
        self.names: dict[str, tuple[Match, ...]] = {}

    def lookup(self, value: int) -> tuple[Match, ...]:
        found = self.hashes.get(value)
        if found is None:
            found = self.hashes[value] = self.resolver.lookup(value)
        return found

    def declarations_named(self, symbol: str) -> tuple[Match, ...]:
        found = self.names.get(symbol)
        if found is None:
            found = self.names[symbol] = self.resolver.declarations_named(symbol)
        return found


def analyse(objects: Sequence[ElfObject], resolver: Resolver) -> Analysis:
    """Match every tag and call site of ``objects`` to declarations, and judge them."""
    resolver = _Memo(resolver)
    verdicts: list[Verdict] = []
    fmatches: dict[tuple[str, str, int], tuple[Match, ...]] = {}
    own_sets: dict[tuple[str, str, int], set[Setting]] = {}
    for obj in objects:
        for fn in obj.functions:
            key = (obj.file, fn.name, fn.address)
            if fn.tag is None:
                continue
            fmatches[key] = resolver.lookup(fn.tag)
            own = _same_language(resolver.declarations_named(fn.name), obj.compiler)
            own_sets[key] = {(m.option_set, m.hash_algorithm) for m in own
                             if kcfi_hash(m.typeid, m.hash_algorithm) == fn.tag}
            if not own:
                verdicts.append(_unnamed(obj, fn, fmatches[key]))
            elif not own_sets[key]:
                verdicts.append(_mismatch(obj, fn, own, fmatches[key]))
    verdicts += _option_sets(objects, own_sets, resolver)
    cmatches = {(c.file, c.address): resolver.lookup(c.expected)
                for obj in objects for c in obj.call_sites}
    verdicts += _call_sites(objects, cmatches)
    verdicts += patchable_entry_verdicts(objects)
    return Analysis(fmatches, cmatches, tuple(verdicts))


def _same_language(own: tuple[Match, ...], compiler: str) -> tuple[Match, ...]:
    """A C unit's function is judged against its C prototype, a Rust unit's against its Rust
    item, when both languages declare the name (bindings do)."""
    lang = {"clang": "c", "rustc": "rust"}.get(compiler)
    mine = tuple(m for m in own if m.lang == lang)
    return mine or own


def _describe(m: Match) -> str:
    return f"{m.kind} {m.name} ({m.file}:{m.line}: {m.typeid}, {m.option_set})"


def _unnamed(obj: ElfObject, fn: FunctionTag, found: tuple[Match, ...]) -> Verdict:
    assert fn.tag is not None
    if not found:
        return Verdict("tag-matches-nothing", "warning",
                       f"{fn.name}: no declaration named {fn.name}, and its tag 0x{fn.tag:08x} "
                       "is the hash of no declaration given", obj.file, fn.name)
    names = "; ".join(_describe(m) for m in found[:4])
    return Verdict("tag-of-other-declarations", "info",
                   f"{fn.name}: no declaration named {fn.name}; its tag 0x{fn.tag:08x} is the "
                   f"type of {names}", obj.file, fn.name)


def _mismatch(obj: ElfObject, fn: FunctionTag, own: tuple[Match, ...],
              found: tuple[Match, ...]) -> Verdict:
    assert fn.tag is not None
    plain = next(m for m in own if m.option_set == "plain")
    other = "; ".join(_describe(m) for m in found[:4]) or "no declaration given"
    return Verdict("prototype-mismatch", "error",
                   f"{fn.name}: its tag 0x{fn.tag:08x} is not the hash of its prototype "
                   f"({plain.file}:{plain.line}: {plain.text}, {plain.typeid} = "
                   f"0x{kcfi_hash(plain.typeid):08x}) under any option set; the tag is the type "
                   f"of {other}", obj.file, fn.name)


def _option_sets(objects: Sequence[ElfObject], own_sets: dict[tuple[str, str, int], set[Setting]],
                 resolver: Resolver) -> list[Verdict]:
    """The option set most tags match is the build's; a tag matching its prototype only under
    another one, and a unit whose tags do, are the mismatch of flags between units."""
    votes: Counter[Setting] = Counter(s for sets in own_sets.values() for s in sets)
    if not votes:
        return []
    main = max(votes, key=lambda s: (votes[s], s == ("plain", "xxhash64")))
    out: list[Verdict] = []
    unit_sets: dict[str, Counter[Setting]] = {}
    for (file, name, _), sets in own_sets.items():
        if sets:
            unit_sets.setdefault(file, Counter()).update(sets)
        if sets and main not in sets:
            got = ", ".join(f"{s} ({a})" for s, a in sorted(sets))
            out.append(Verdict(
                "other-option-set", "error",
                f"{name}: its tag matches its prototype only under {got}, while the other "
                f"functions match under {main[0]} ({main[1]}): its unit was built with other "
                "CFI options, and indirect calls between the units fail", file, name,
                fix=_option_fix(main, sorted(sets)[0])))
    for file, counter in unit_sets.items():
        unit_main = max(counter, key=lambda s: (counter[s], s == main))
        if main not in counter:
            out.append(Verdict(
                "option-set-mismatch", "error",
                f"{file}: its functions' tags are the hashes of their prototypes under "
                f"{unit_main[0]} ({unit_main[1]}), the other units' under {main[0]} "
                f"({main[1]}): every indirect call between them fails", file,
                functions=tuple(n for (f, n, _), s in own_sets.items() if f == file and s),
                fix=_option_fix(main, unit_main)))
    return out


def _option_fix(want: Setting, got: Setting) -> str:
    fixes = []
    w_norm, g_norm = "normalized" in want[0], "normalized" in got[0]
    if w_norm != g_norm:
        fixes.append(("add" if w_norm else "drop") + " integer normalization on that unit "
                     "(clang -fsanitize-cfi-icall-experimental-normalize-integers, rustc "
                     "-Zsanitizer-cfi-normalize-integers), or the opposite on the others")
    w_gen, g_gen = "generalized" in want[0], "generalized" in got[0]
    if w_gen != g_gen:
        fixes.append(("add" if w_gen else "drop") + " pointer generalization "
                     "(-fsanitize-cfi-icall-generalize-pointers, rustc "
                     "-Zsanitizer-cfi-generalize-pointers)")
    if want[1] != got[1]:
        fixes.append(f"use the same KCFI hash on both (clang -fsanitize-kcfi-hash=; "
                     f"{want[1]} against {got[1]})")
    return "; ".join(fixes)


def _call_sites(objects: Sequence[ElfObject],
                cmatches: dict[tuple[str, int], tuple[Match, ...]]) -> list[Verdict]:
    carried: dict[int, list[str]] = {}
    for obj in objects:
        for fn in obj.functions:
            if fn.tag is not None:
                carried.setdefault(fn.tag, []).append(fn.name)
        for t in obj.typeid_symbols:
            carried.setdefault(t.value, []).append(t.name)
    out = []
    for obj in objects:
        # One verdict per expected hash and unit: thousands of call sites share a type.
        by_hash: dict[int, list[CallSite]] = {}
        for c in obj.call_sites:
            by_hash.setdefault(c.expected, []).append(c)
        for expected, sites in by_hash.items():
            where = [f"{c.function or '?'}+0x{c.address:x}" for c in sites]
            said = f"{len(sites)} call sites" if len(sites) > 1 else "call site"
            shown = ", ".join(where[:3]) + (", ..." if len(where) > 3 else "")
            found = cmatches[(sites[0].file, sites[0].address)]
            if not found:
                out.append(Verdict("call-site-matches-nothing", "warning",
                                   f"{said} in {shown} expect 0x{expected:08x}, the hash of no "
                                   "declaration given", obj.file, sites[0].function,
                                   call_sites=tuple(where)))
            if expected not in carried:
                types = "; ".join(_describe(m) for m in found[:3]) or "an unknown type"
                out.append(Verdict("no-function-carries", "warning",
                                   f"{said} in {shown} expect 0x{expected:08x} ({types}), and "
                                   "no function in these objects carries that tag (the callees "
                                   "are elsewhere, or were built differently)",
                                   obj.file, sites[0].function, call_sites=tuple(where)))
    return out


# ---- patchable entry -----------------------------------------------------------------------

def patchable_entry_verdicts(objects: Sequence[ElfObject]) -> list[Verdict]:
    """Call sites of one unit reading the tag at −(4+N·s) where another unit's functions,
    built with another N, keep it: each pair of disagreeing units, the functions and call
    sites, and the flag that fixes it on each side."""
    out = []
    for caller in objects:
        assumed = Counter(c.prefix_nops for c in caller.call_sites)
        for n_call in assumed:
            sites = [c for c in caller.call_sites if c.prefix_nops == n_call]
            expected = {c.expected for c in sites}
            for callee in objects:
                wrong = [f for f in callee.functions
                         if f.tag is not None and f.prefix_nops != n_call]
                if not wrong or callee.arch != caller.arch:
                    continue
                hit = [f for f in wrong if f.tag in expected] or wrong
                hit_sites = [c for c in sites if c.expected in {f.tag for f in hit}] or sites
                n_fn = Counter(f.prefix_nops for f in hit).most_common(1)[0][0]
                out.append(_patchable(caller, callee, n_call, n_fn, hit, hit_sites))
    return out


def _flag(obj: ElfObject, n: int) -> str:
    rust = obj.compiler == "rustc"
    if n == 0:
        return ("no -Zpatchable-function-entry prefix (leave the flag out, or give =M,0)"
                if rust else
                "no -fpatchable-function-entry prefix (leave the flag out, or give =M,0)")
    return (f"-Zpatchable-function-entry=M,{n}" if rust else f"-fpatchable-function-entry=M,{n}"
            ) + f" (M >= {n})"


def _patchable(caller: ElfObject, callee: ElfObject, n_call: int, n_fn: int,
               functions: list[FunctionTag], sites: list[CallSite]) -> Verdict:
    step = NOP_SIZE.get(caller.arch, 1)
    read_at, kept_at = -4 - step * n_call, -4 - step * n_fn
    same = caller.file == callee.file
    who = "its own" if same else f"{callee.file}'s"
    msg = (f"patchable-entry mismatch: call sites in {caller.file} read the tag at {read_at} "
           f"(they assume {n_call} prefix nops), but {who} functions keep it at {kept_at} "
           f"({n_fn} prefix nops): every indirect call from {caller.file} to them fails")
    fix = (f"build {callee.file} ({callee.compiler or 'its compiler'}) with "
           f"{_flag(callee, n_call)}, or {caller.file} ({caller.compiler or 'its compiler'}) "
           f"with {_flag(caller, n_fn)}")
    return Verdict("patchable-entry-mismatch", "error", msg, caller.file,
                   functions=tuple(f"{callee.file}:{f.name}" for f in functions),
                   call_sites=tuple(f"{c.function or '?'}+0x{c.address:x}" for c in sites),
                   fix=fix)
