"""Cross-language check: does a Rust declaration get the same CFI ids as a C prototype?

Both sides are parsed into the one model, transformed for each option set, and encoded with their
own flavour.  When the ids differ, the two models are walked side by side to the first
component whose encodings differ ("parameter 2", "pointee of parameter 1", "return type"), and
:mod:`cfi_typeid.crosscheck.advice` says why and what fixes it.  The compilers' flags must agree between
the two sides (a ``.normalized`` id never equals a plain one: the suffix is part of the id and of
the KCFI hash), so mixed settings are reported as mismatches with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from .advice import Advice, Pair, advise, advise_here, advise_structure
from ..api import TypeIds, microsoft_mangling_reason, parse_function, transformed, typeids
from ..itanium.encoder import encode_type
from ..errors import UsageError
from ..flavours import CLANG, RUSTC
from ..hashes import kcfi_hash
from ..model import Array, FunctionType, Pointer, Qualified, Type
from ..targets import DEFAULT_C_STANDARD, DEFAULT_TARGET, Target, get_target
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)


@dataclass(frozen=True, slots=True)
class OptionSet:
    """One combination of the two flags that change an id."""

    normalize_integers: bool
    generalize_pointers: bool

    @property
    def name(self) -> str:
        return _OPTION_NAMES[self.normalize_integers, self.generalize_pointers]


#: Each option set's name (asked for several times per pair when a report is written).
_OPTION_NAMES = {(False, False): "plain", (True, False): "normalized",
                 (False, True): "generalized", (True, True): "normalized+generalized"}


OPTION_SETS: Mapping[str, OptionSet] = {
    s.name: s for s in (OptionSet(False, False), OptionSet(True, False),
                        OptionSet(False, True), OptionSet(True, True))
}


def option_set(name: str) -> OptionSet:
    """The option set called ``name`` (``plain``, ``normalized``, ``generalized``,
    ``normalized+generalized``)."""
    try:
        return OPTION_SETS[name]
    except KeyError:
        raise UsageError(f"unknown option set {name!r}; known: {', '.join(OPTION_SETS)}"
                         ) from None


@dataclass(frozen=True, slots=True)
class Difference:
    """The first component whose encodings differ, and what to do about it."""

    where: str
    c_type: str
    rust_type: str
    c_code: str
    rust_code: str
    cause: str
    fix: str
    #: The advice rule that explained it (groups mismatches by cause; not in the JSON).
    rule: str = field(default="", compare=False)

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "c_type": self.c_type, "rust_type": self.rust_type,
                "c_code": self.c_code, "rust_code": self.rust_code, "cause": self.cause,
                "fix": self.fix}


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both sides' ids and KCFI hashes under one pair of option sets."""

    c_options: OptionSet
    rust_options: OptionSet
    c_typeid: str
    rust_typeid: str
    difference: Difference | None

    @property
    def matches(self) -> bool:
        return self.c_typeid == self.rust_typeid

    @property
    def name(self) -> str:
        if self.c_options is self.rust_options or self.c_options == self.rust_options:
            return self.c_options.name
        return f"C {self.c_options.name} / Rust {self.rust_options.name}"

    def to_json(self) -> dict[str, object]:
        return {
            "options": self.name, "c_options": self.c_options.name,
            "rust_options": self.rust_options.name, "match": self.matches,
            "c": {"typeid": self.c_typeid, "kcfi": f"0x{kcfi_hash(self.c_typeid):08x}"},
            "rust": {"typeid": self.rust_typeid,
                     "kcfi": f"0x{kcfi_hash(self.rust_typeid):08x}"},
            "difference": self.difference.to_json() if self.difference else None,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The answer of :func:`check`: one comparison per option set asked about."""

    c_decl: str
    rust_decl: str
    target: str
    comparisons: tuple[Comparison, ...]

    @property
    def matches(self) -> bool:
        """True when every option set asked about matches."""
        return all(c.matches for c in self.comparisons)

    def to_json(self) -> dict[str, object]:
        return {"c": self.c_decl, "rust": self.rust_decl, "target": self.target,
                "match": self.matches, "comparisons": [c.to_json() for c in self.comparisons]}


def check(c: str, rust: str, *, target: str = DEFAULT_TARGET, c_prelude: str = "",
          rust_prelude: str = "", crate: str | None = None,
          crates: Mapping[str, str] | None = None,
          options: Iterable[str] | None = None,
          c_options: Sequence[str] | None = None,
          rust_options: Sequence[str] | None = None,
          c_std: str = DEFAULT_C_STANDARD) -> CheckResult:
    """Compare the CFI ids of C prototype ``c`` (read as the C standard ``c_std``) and Rust
    declaration ``rust``.

    By default every option set both sides may use (plain, normalized, generalized, both) is
    compared with the same setting on both sides.  ``options`` narrows that list; ``c_options``
    and ``rust_options`` (paired one to one) compare mixed settings, such as C compiled with
    integer normalisation and Rust without.
    """
    pairs = option_pairs(options, c_options, rust_options)
    if get_target(target).microsoft_mangling:
        return _never_on_msvc(c, rust, target, c_prelude, rust_prelude, crate, crates, pairs,
                              c_std)
    c_ids = typeids(c, lang="c", target=target, prelude=c_prelude, std=c_std)
    r_ids = typeids(rust, lang="rust", target=target, prelude=rust_prelude, crate=crate,
                    crates=crates)
    c_fn = parse_function(c, lang="c", target=target, prelude=c_prelude, std=c_std)
    r_fn = parse_function(rust, lang="rust", target=target, prelude=rust_prelude, crate=crate,
                          crates=crates)
    comparisons = compare_functions(c_fn, r_fn, c_ids, r_ids, get_target(target), pairs)
    return CheckResult(c, rust, target, comparisons)


def compare_functions(c_fn: FunctionType, r_fn: FunctionType, c_ids: TypeIds, r_ids: TypeIds,
                      target: Target, pairs: Sequence[tuple[OptionSet, OptionSet]]
                      ) -> tuple[Comparison, ...]:
    """One :class:`Comparison` per (C, Rust) option-set pair: the ids (``c_ids``/``r_ids``,
    those of ``c_fn``/``r_fn``) and, where they differ, the first difference.  What
    :func:`check` and the bindings check share."""
    comparisons = []
    for c_set, r_set in pairs:
        c_id = c_ids.select(normalize_integers=c_set.normalize_integers,
                            generalize_pointers=c_set.generalize_pointers)
        r_id = r_ids.select(normalize_integers=r_set.normalize_integers,
                            generalize_pointers=r_set.generalize_pointers)
        diff = None
        if c_id != r_id and c_set != r_set:
            diff = _settings_difference(c_set, r_set)
        elif c_id != r_id:
            cf = transformed(c_fn, CLANG, target, normalize_integers=c_set.normalize_integers,
                             generalize_pointers=c_set.generalize_pointers)
            rf = transformed(r_fn, RUSTC, target, normalize_integers=r_set.normalize_integers,
                             generalize_pointers=r_set.generalize_pointers)
            diff = first_difference(cf, rf, c_set, c_fn, r_fn)
        comparisons.append(Comparison(c_set, r_set, c_id, r_id, diff))
    return tuple(comparisons)


def option_pairs(options: Iterable[str] | None, c_options: Sequence[str] | None,
                 rust_options: Sequence[str] | None) -> list[tuple[OptionSet, OptionSet]]:
    """The (C, Rust) option-set pairs asked for: ``options`` on both sides (default: all),
    or the mixed settings ``c_options``/``rust_options`` paired one to one."""
    if c_options is not None or rust_options is not None:
        cs = list(c_options or rust_options or [])
        rs = list(rust_options or c_options or [])
        if len(cs) != len(rs):
            raise UsageError("give as many C option sets as Rust option sets")
        return [(option_set(a), option_set(b)) for a, b in zip(cs, rs)]
    names = list(options) if options is not None else list(OPTION_SETS)
    return [(option_set(n), option_set(n)) for n in names]


def _settings_difference(c_set: OptionSet, r_set: OptionSet) -> Difference:
    flags = []
    if c_set.normalize_integers != r_set.normalize_integers:
        on = "C" if c_set.normalize_integers else "Rust"
        flags.append(f"only the {on} side normalizes integers")
    if c_set.generalize_pointers != r_set.generalize_pointers:
        on = "C" if c_set.generalize_pointers else "Rust"
        flags.append(f"only the {on} side generalizes pointers")
    return Difference(
        where="compiler flags", c_type=c_set.name, rust_type=r_set.name, c_code="",
        rust_code="",
        cause="; ".join(flags) + ": the option suffix is part of the type id (and of the KCFI "
              "hash), so the ids cannot match",
        fix="use the same flags on both sides: clang -fsanitize-cfi-icall-experimental-"
            "normalize-integers with rustc -Zsanitizer-cfi-normalize-integers, and "
            "-fsanitize-cfi-icall-generalize-pointers with -Zsanitizer-cfi-generalize-pointers",
        rule="flags")


def first_difference(c_fn: FunctionType, r_fn: FunctionType, options: OptionSet,
                     c_source: FunctionType | None = None,
                     r_source: FunctionType | None = None) -> Difference:
    """Where two (transformed) function types first encode differently, with the cause and a
    fix.  ``c_source``/``r_source`` are the types as the user wrote them, before the option
    transforms: the advice speaks of those (``char``, not ``i8``)."""
    found = _walk_function(Pair(c_fn, r_fn, c_source, r_source, options.generalize_pointers),
                           "")
    if found is not None:
        return found
    advice = advise_structure("substitutions", c_fn, r_fn)
    return _difference("the whole signature", c_fn, r_fn, advice)


def _child(pair: Pair, c: Type, r: Type, pick: Callable[[Type], Type | None]) -> Pair:
    """The pair one level down, following the source types while they keep the same shape."""
    cs = pick(pair.c_source) if pair.c_source is not None else None
    rs = pick(pair.r_source) if pair.r_source is not None else None
    return Pair(c, r, cs, rs, pair.generalized)


def _walk_function(pair: Pair, of: str) -> Difference | None:
    c, r = pair.c, pair.r
    assert isinstance(c, FunctionType) and isinstance(r, FunctionType)
    suffix = f" of {of}" if of else ""
    if c.calling_convention != r.calling_convention:
        return _convention_difference("calling convention" + suffix, c, r)
    found = _walk(_child(pair, c.returns, r.returns, lambda t: _field(t, "returns")),
                  "return type" + suffix)
    if found is not None:
        return found
    if len(c.params) != len(r.params) or c.prototyped != r.prototyped:
        return _difference("parameter list" + suffix, c, r, advise_structure("arity", c, r))
    for i, (cp, rp) in enumerate(zip(c.params, r.params), 1):
        child = _child(pair, cp, rp, lambda t, i=i: _param(t, i - 1))  # type: ignore[misc]
        found = _walk(child, f"parameter {i}{suffix}")
        if found is not None:
            return found
    if c.variadic != r.variadic:
        return _difference("variadic '...'" + suffix, c, r, advise_structure("variadic", c, r))
    return None


def _field(t: Type | None, name: str) -> Type | None:
    return getattr(t, name, None) if isinstance(t, FunctionType) else None


def _param(t: Type | None, i: int) -> Type | None:
    if isinstance(t, FunctionType) and i < len(t.params):
        return t.params[i]
    return None


def _pointee(t: Type | None) -> Type | None:
    return t.pointee if isinstance(t, Pointer) else None


def _walk(pair: Pair, where: str) -> Difference | None:
    c, r = pair.c, pair.r
    if encode_type(c, CLANG) == encode_type(r, RUSTC):
        return None
    here = advise_here(pair)
    if here is not None:
        return _difference(where, c, r, here)
    inner: Difference | None = None
    match c, r:
        case Pointer(FunctionType() as cf), Pointer(FunctionType() as rf):
            inner = _walk_function(_child(pair, cf, rf, _pointee), where)
        case Pointer(cp), Pointer(rp):
            inner = _walk(_child(pair, cp, rp, _pointee), f"pointee of {where}")
        case Qualified(cb, cc, cv, cr), Qualified(rb, rc, rv, rr) if (cc, cv, cr) == (rc, rv, rr):
            inner = _walk(_child(pair, cb, rb, unqualified_or_none), where)
        case Array(ce, cl), Array(re_, rl) if cl == rl:
            inner = _walk(_child(pair, ce, re_, _element), f"element of {where}")
        case _:
            pass
    return inner if inner is not None else _difference(where, c, r, advise(pair))


def _convention_difference(where: str, c: FunctionType, r: FunctionType) -> Difference:
    """C's ``__attribute__((ms_abi))`` (``sysv_abi`` on Windows) against a Rust function,
    which never carries its ABI in the id."""
    cc = c.calling_convention
    rust_abi = {"ms_abi": '"win64" (or "efiapi" on x86_64)', "sysv_abi": '"sysv64"'}.get(
        cc, "of the same convention")
    return Difference(
        where=where, c_type=f"__attribute__(({cc}))", rust_type=f'extern "{r.abi}"',
        c_code=f"U{len(cc)}{cc}", rust_code="",
        cause=f"clang mangles a calling convention that is not the target's default into the "
              f"function type, as the vendor qualifier U{len(cc)}{cc} before F; rustc never "
              f"encodes the ABI, so an extern {rust_abi} fn gets the same id as an extern "
              '"C" one, and no Rust declaration can match this C function',
        fix=f"no Rust spelling adds U{len(cc)}{cc}: what can match is a C function without "
            f"the attribute (declare a default-convention C wrapper and make the indirect call "
            f"to it), or a check that does not compare these ids (rustc and clang agree on "
            f"every other part of the signature)")


def unqualified_or_none(t: Type | None) -> Type | None:
    return t.base if isinstance(t, Qualified) else t


def _element(t: Type | None) -> Type | None:
    return t.element if isinstance(t, Array) else None


def _difference(where: str, c: Type, r: Type, advice: Advice) -> Difference:
    return Difference(where=where, c_type=advice.c_type, rust_type=advice.rust_type,
                      c_code=encode_type(c, CLANG), rust_code=encode_type(r, RUSTC),
                      cause=advice.cause, fix=advice.fix, rule=advice.rule)


def _never_on_msvc(c: str, rust: str, target: str, c_prelude: str, rust_prelude: str,
                   crate: str | None, crates: Mapping[str, str] | None,
                   pairs: list[tuple[OptionSet, OptionSet]], c_std: str = DEFAULT_C_STANDARD
                   ) -> CheckResult:
    """On ``*-windows-msvc`` clang mangles the Microsoft way and rustc the Itanium way: every
    comparison is a mismatch, whatever the declarations (both are still parsed, so that bad
    input is reported)."""
    t = get_target(target)
    parse_function(c, lang="c", target=target, prelude=c_prelude, std=c_std)
    r_ids = typeids(rust, lang="rust", target=target, prelude=rust_prelude, crate=crate,
                    crates=crates)
    reason = microsoft_mangling_reason(t)
    comparisons = []
    for c_set, r_set in pairs:
        r_id = r_ids.select(normalize_integers=r_set.normalize_integers,
                            generalize_pointers=r_set.generalize_pointers)
        diff = Difference("the whole id", "(Microsoft-mangled by clang)", "(Itanium, by rustc)",
                          "?...@Z", r_id, reason,
                          "no spelling on either side fixes it; build for *-windows-gnu, or "
                          "check these calls with something other than CFI type ids")
        comparisons.append(Comparison(c_set, r_set, "(Microsoft-mangled: ?...@Z)", r_id, diff))
    return CheckResult(c, rust, target, tuple(comparisons))


_METHODS.close()
