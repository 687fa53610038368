"""A header against its Rust bindings: every pair, every option set, and a fix that works.

The two whole-file readers hand on :class:`~cfi_typeid.sources.records.Declaration` records;
this module pairs them — functions by linker symbol (``#[link_name]``, ``#[no_mangle]``, the
name in an ``extern`` block), function-pointer members by struct and member name (C
``tag.member``, Rust ``Struct.field``: bindgen names C's ``struct foo`` ``foo``), function
typedefs by name — and compares each pair under each option set with
:func:`~cfi_typeid.crosscheck.check.compare_functions`, the comparison ``check`` makes.  A
mismatch gets the first differing component and its cause from the advice rules, and a
:class:`~cfi_typeid.crosscheck.remedy.Remedy`: Rust edits proved (by encoding the whole
rewritten signature) to give C's id, or why none do and which flags would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..api import TypeIds
from .check import Comparison, OptionSet, compare_functions, option_pairs
from .remedy import Remedy, remedy
from ..sources.records import Declaration, Scan
from .suggest import RUST_KEYWORDS
from ..targets import DEFAULT_TARGET, Target, get_target
from ..dataclass_code import compiled_once
from ..model import FunctionType

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

#: Pair kinds: C record kinds and the Rust kind each pairs with.
_PAIRED_KINDS = {"function": "function", "member": "field", "typedef": "type"}


@dataclass(frozen=True, slots=True)
class BindingPair:
    """One C declaration and its Rust binding, compared under each option set."""

    symbol: str
    kind: str
    c: Declaration
    rust: Declaration
    comparisons: tuple[Comparison, ...]
    #: One per mismatching comparison whose two sides use the same option set.
    remedies: tuple[Remedy, ...] = field(default=())

    @property
    def matches(self) -> bool:
        return all(c.matches for c in self.comparisons)

    def match_by_set(self) -> dict[str, bool]:
        return {c.name: c.matches for c in self.comparisons}

    def causes(self) -> list[dict[str, object]]:
        """The distinct first differences, each with the option sets it shows under."""
        groups: dict[tuple[str, str], dict[str, object]] = {}
        for comp in self.comparisons:
            d = comp.difference
            if d is None:
                continue
            entry = groups.setdefault((d.where, d.cause), {"options": [], **d.to_json()})
            entry.pop("fix", None)
            assert isinstance(entry["options"], list)
            entry["options"].append(comp.name)
        return list(groups.values())

    def fixes(self) -> list[dict[str, object]]:
        """For each cause, the advice's fix; for each option set, the proved remedy."""
        out: list[dict[str, object]] = []
        advice: dict[str, list[str]] = {}
        for comp in self.comparisons:
            if comp.difference is not None:
                advice.setdefault(comp.difference.fix, []).append(comp.name)
        out.extend({"options": names, "advice": fix} for fix, names in advice.items())
        out.extend(r.to_json() for r in self.remedies)
        return out

    def to_json(self) -> dict[str, object]:
        return {"symbol": self.symbol, "kind": self.kind, "c": _side(self.c),
                "rust": _side(self.rust), "match": self.match_by_set(),
                "causes": self.causes(), "fixes": self.fixes()}


def _side(d: Declaration) -> dict[str, object]:
    return {"name": d.name, "file": d.file, "line": d.line, "decl": d.text,
            "typeids": d.typeids.to_json()}


def _brief(d: Declaration) -> dict[str, object]:
    return {"name": d.name, "kind": d.kind, "symbol": d.symbol, "file": d.file, "line": d.line}


@dataclass(frozen=True, slots=True)
class BindingsReport:
    """Every pair, the declarations on one side only, and the readers' warnings."""

    target: str
    option_names: tuple[str, ...]
    pairs: tuple[BindingPair, ...]
    only_c: tuple[Declaration, ...]
    only_rust: tuple[Declaration, ...]
    warnings: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return all(p.matches for p in self.pairs)

    def summary(self) -> dict[str, object]:
        by_set = {name: sum(1 for p in self.pairs if p.match_by_set().get(name, False))
                  for name in self.option_names}
        return {"target": self.target, "pairs": len(self.pairs),
                "functions": sum(1 for p in self.pairs if p.kind == "function"),
                "match": by_set, "match_all": sum(1 for p in self.pairs if p.matches),
                "mismatch": sum(1 for p in self.pairs if not p.matches),
                "only_c": len(self.only_c), "only_rust": len(self.only_rust)}

    def to_json(self) -> dict[str, object]:
        return {"summary": self.summary(), "pairs": [p.to_json() for p in self.pairs],
                "only_c": [_brief(d) for d in self.only_c],
                "only_rust": [_brief(d) for d in self.only_rust],
                "warnings": list(self.warnings)}


def pairing_key(d: Declaration) -> tuple[str, str] | None:
    """The (kind, name) a declaration pairs on, or None when it takes no part in pairing."""
    if d.lang == "c":
        kind = _PAIRED_KINDS.get(d.kind)
        if kind is None:
            return None
        if kind == "function":
            return kind, d.symbol or d.name
        if kind == "field":
            return kind, _member_key(d.name)
        return kind, d.name
    if d.kind == "function":
        return "function", d.symbol or d.name
    if d.kind == "field":
        return "field", _member_key(d.name)
    if d.kind == "type":
        return "type", d.name
    return None


def _member_key(name: str) -> str:
    """``struct foo.bar`` / ``foo.type_`` → ``foo.bar`` / ``foo.type``: bindgen drops the tag
    keyword and appends ``_`` to a field named by a Rust keyword."""
    tag, _, member = name.rpartition(".")
    for prefix in ("struct ", "union "):
        tag = tag.removeprefix(prefix)
    if member.endswith("_") and member[:-1] in RUST_KEYWORDS:
        member = member[:-1]
    return f"{tag.strip()}.{member}"


def _index(decls: Iterable[Declaration], warnings: list[str], side: str
           ) -> dict[tuple[str, str], Declaration]:
    out: dict[tuple[str, str], Declaration] = {}
    for d in decls:
        key = pairing_key(d)
        if key is None:
            continue
        first = out.get(key)
        if first is None:
            out[key] = d
        elif first.typeids != d.typeids:
            warnings.append(f"{d.file}:{d.line}: {side} declares {key[1]!r} again with another "
                            f"type (first at {first.file}:{first.line}); the first is compared")
    return out


def check_bindings(c: Scan, rust: Scan, *, target: str = DEFAULT_TARGET,
                   options: Iterable[str] | None = None,
                   c_options: Sequence[str] | None = None,
                   rust_options: Sequence[str] | None = None) -> BindingsReport:
    """Pair the C declarations of ``c`` with their Rust bindings in ``rust`` and compare each
    pair under each option set (``options``, default all; or the mixed settings
    ``c_options``/``rust_options``, paired one to one, as :func:`~.check.check` takes them)."""
    pairs = option_pairs(options, c_options, rust_options)
    tgt = get_target(target)
    warnings = [str(d) for d in (*c.diagnostics, *rust.diagnostics)]
    c_index = _index(c.declarations, warnings, "C")
    r_index = _index(rust.declarations, warnings, "Rust")
    matched = {key: key for key in c_index if key in r_index}
    matched.update(_by_name(c_index, r_index, matched, warnings))
    compared: dict[_Compared, tuple[tuple[Comparison, ...], tuple[Remedy, ...]]] = {}
    found = [_pair(c_key, c_index[c_key], r_index[r_key], tgt, pairs, compared)
             for c_key, r_key in matched.items()]
    used = set(matched.values())
    only_c = tuple(d for k, d in c_index.items() if k not in matched and k[0] == "function")
    only_rust = tuple(d for k, d in r_index.items() if k not in used and k[0] == "function")
    names = tuple(dict.fromkeys(_name(a, b) for a, b in pairs))
    return BindingsReport(target, names, tuple(found), only_c, only_rust, tuple(warnings))


def _by_name(c_index: dict[tuple[str, str], Declaration],
             r_index: dict[tuple[str, str], Declaration],
             matched: dict[tuple[str, str], tuple[str, str]], warnings: list[str]
             ) -> dict[tuple[str, str], tuple[str, str]]:
    """Functions whose symbols did not pair, paired by name when the symbols differ (a C
    reader that does not see an asm label such as glibc's ``fscanf`` → ``__isoc99_fscanf``,
    which bindgen writes as ``#[link_name]``), with a warning."""
    used = set(matched.values())
    rust_names = {("function", d.name): k for k, d in r_index.items()
                  if k[0] == "function" and k not in used}
    out = {}
    for key, d in c_index.items():
        r_key = rust_names.get(("function", d.name))
        if key[0] != "function" or key in matched or r_key is None:
            continue
        out[key] = r_key
        warnings.append(f"{d.file}:{d.line}: C {d.name} (symbol {key[1]}) is paired with Rust "
                        f"{d.name} by name: the Rust symbol is {r_key[1]}")
    return out


def _name(c_set: OptionSet, r_set: OptionSet) -> str:
    return c_set.name if c_set == r_set else f"C {c_set.name} / Rust {r_set.name}"


#: What a pair's comparisons and remedies depend on: both function types and their ids.
_Compared = tuple[FunctionType, FunctionType, TypeIds, TypeIds]


def _pair(key: tuple[str, str], c: Declaration, r: Declaration, target: Target,
          pairs: Sequence[tuple[OptionSet, OptionSet]],
          compared: dict[_Compared, tuple[tuple[Comparison, ...], tuple[Remedy, ...]]]
          ) -> BindingPair:
    """The pair, compared and remedied once per distinct pair of signatures (``compared``:
    one check's; a third of sqlite3.h's 411 pairs repeat one, ``int (sqlite3 *)`` and the
    like), as the comparison and the remedies depend on nothing else."""
    signatures = (c.function, r.function, c.typeids, r.typeids)
    known = compared.get(signatures)
    if known is None:
        comps = compare_functions(c.function, r.function, c.typeids, r.typeids, target, pairs)
        remedies = tuple(
            remedy(c.function, r.function, target,
                   normalize_integers=comp.c_options.normalize_integers,
                   generalize_pointers=comp.c_options.generalize_pointers,
                   known_to_differ=True)
            for comp in comps if not comp.matches and comp.c_options == comp.rust_options)
        known = compared[signatures] = (comps, remedies)
    kind = {"function": "function", "field": "member", "type": "typedef"}[key[0]]
    return BindingPair(key[1], kind, c, r, *known)


_METHODS.close()
