"""``check-bindings --suggest``: the remedies as a unified diff against the bindings file.

For each pair that differs, the remedy that makes the most of the asked option sets match is
applied to the Rust source text: the parameter (or return, field, alias) type is replaced in
place, the ``cfi_types`` module and ``#[cfi_encoding]`` newtypes it needs are appended once at
the end of the file.  The edits are found in the text by the declaration's line and the
parameter list's brackets (bindgen's layout, but nothing depends on its line breaks), so the
diff applies with ``patch -p0`` and the result compiles (``tests/test_bindings.py``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from .bindings import BindingPair, BindingsReport
from .check import OPTION_SETS
from .remedy import CFI_TYPES_MODULE, Edit, Remedy, _fn_text, _ids_equal
from ..model import VOID
from ..targets import get_target
from ..regex_code import cached_regex

#: bindgen options that give the same result as an edit kind, where one does (each checked
#: by compiling bindgen's output with rustc; see README-h14 / tests/test_bindings.py).
BINDGEN_OPTIONS: Mapping[str, str] = {
    "cfi_types integer": "bindgen --ctypes-prefix cfi_types --translate-enum-integer-types "
                         "with the cfi_types module below in scope (it re-exports c_void; the "
                         "second option keeps bindgen's enum constants compiling), except "
                         "for parameters bindgen writes as isize/usize (intptr_t, ptrdiff_t "
                         "...) whatever the prefix",
}
#: Edit kinds no bindgen 0.60 option produces, and why (shown with the diff).
NO_BINDGEN_OPTION: Mapping[str, str] = {
    "drop the Option": "bindgen wraps every nullable C function pointer in Option",
    "#[cfi_encoding]": "--newtype-enum and --new-type-alias make #[repr(transparent)] structs, "
                       "which rustc encodes as their field; --rustified-enum makes #[repr(u32)] "
                       "enums, which rustc encodes by their path",
}

_OPTION_WRAPPER = cached_regex(r"^\s*(?:::)?(?:std|core)::option::Option\s*<(.*)>\s*$", re.S)


@dataclass(frozen=True, slots=True)
class SuggestedPatch:
    """The diff, what it fixes, and what to know about it."""

    diff: str
    fixed: tuple[tuple[str, tuple[str, ...]], ...]
    unfixed: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


def choose_remedy(pair: BindingPair, report: BindingsReport) -> tuple[Remedy, tuple[str, ...]] | None:
    """The working remedy that matches the most option sets asked about, with those sets."""
    best: tuple[Remedy, tuple[str, ...]] | None = None
    target = get_target(report.target)
    asked = [OPTION_SETS[n] for n in report.option_names if n in OPTION_SETS]
    for r in pair.remedies:
        if not r.works or r.function is None:
            continue
        fixed = tuple(s.name for s in asked if _ids_equal(
            pair.c.function, r.function, target,
            dict(normalize_integers=s.normalize_integers,
                 generalize_pointers=s.generalize_pointers)))
        if best is None or len(fixed) > len(best[1]):
            best = (r, fixed)
    return best


def suggest_patch(report: BindingsReport, texts: Mapping[str, str]) -> SuggestedPatch:
    """The unified diff of every chosen remedy against the Rust files (``texts``: file name →
    contents, the files the report's Rust declarations came from)."""
    edited = {name: text.splitlines(keepends=True) for name, text in texts.items()}
    tails: dict[str, dict[str, str]] = {}
    fixed: list[tuple[str, tuple[str, ...]]] = []
    unfixed: list[tuple[str, str]] = []
    kinds: set[str] = set()
    choices = {p.symbol: choose_remedy(p, report) for p in report.pairs if not p.matches}
    aliases = {p.symbol: choices.get(p.symbol) for p in report.pairs if p.kind == "typedef"}
    # Bottom up, so that an edit never moves the lines of a declaration still to be edited.
    for pair in sorted(report.pairs, key=lambda p: (p.rust.file, -p.rust.line)):
        if pair.matches:
            continue
        chosen = choices[pair.symbol]
        lines = edited.get(pair.rust.file)
        if chosen is None or lines is None:
            why = next((r.note for r in pair.remedies if r.note), "mixed settings: no Rust edit")
            unfixed.append((pair.symbol, why))
            continue
        rem, sets = chosen
        try:
            _apply(lines, pair, rem)
        except _ViaAlias as e:
            # A field (or alias) of an alias type is fixed by fixing that alias, if it is a pair.
            via = aliases.get(e.alias)
            if via is None:
                unfixed.append((pair.symbol, f"its type is the alias {e.alias}: fix that"))
            else:
                fixed.append((pair.symbol, tuple(n for n in sets if n in via[1])))
            continue
        except _NotFound as e:
            unfixed.append((pair.symbol, f"{pair.rust.file}:{pair.rust.line}: {e}"))
            continue
        fixed.append((pair.symbol, sets))
        tail = tails.setdefault(pair.rust.file, {})
        if rem.uses_cfi_types:
            tail["cfi_types"] = CFI_TYPES_MODULE
        tail.update(rem.newtypes)
        kinds.update(label.split(" newtype")[0] for e in rem.edits for label in e.labels)
    diff: list[str] = []
    for name, text in texts.items():
        new = edited[name]
        extra = tails.get(name)
        if extra:
            if new and not new[-1].endswith("\n"):
                new[-1] += "\n"
            new = new + ["\n"] + [ln + "\n" for block in extra.values()
                                  for ln in (block.rstrip("\n") + "\n").split("\n")[:-1]]
        diff.extend(difflib.unified_diff(text.splitlines(keepends=True), new, name, name))
    order = {p.symbol: i for i, p in enumerate(report.pairs)}
    fixed.sort(key=lambda f: order[f[0]])
    unfixed.sort(key=lambda f: order[f[0]])
    return SuggestedPatch("".join(diff), tuple(fixed), tuple(unfixed), _notes(kinds))


def _notes(kinds: set[str]) -> tuple[str, ...]:
    notes = []
    if kinds & {"cfi_types integer", "#[cfi_encoding]"}:
        notes.append("the crate root needs #![feature(cfi_encoding, cfg_sanitizer_cfi)] "
                     "(RUSTC_BOOTSTRAP=1 or nightly)")
    for kind in sorted(kinds):
        if kind in BINDGEN_OPTIONS:
            notes.append(f"bindgen: the '{kind}' edits are what you get from "
                         f"{BINDGEN_OPTIONS[kind]}")
        elif kind in NO_BINDGEN_OPTION:
            notes.append(f"bindgen: no option gives '{kind}' ({NO_BINDGEN_OPTION[kind]}): "
                         "apply this diff after each regeneration")
    return tuple(notes)


class _NotFound(Exception):
    """The declaration is not where the record says."""


class _ViaAlias(Exception):
    """The field's (or alias's) type is another alias: edit that one."""

    def __init__(self, alias: str) -> None:
        super().__init__(alias)
        self.alias = alias


def is_option_type(text: str, type_text: str) -> bool:
    """Whether ``type_text`` is an ``Option`` in the file ``text``, through bindgen's aliases
    (``sig_t`` → ``__sighandler_t`` → ``Option<..>``)."""
    for _ in range(8):
        if _OPTION_WRAPPER.match(type_text):
            return True
        alias = re.fullmatch(r"\s*(\w+)\s*", type_text)
        if alias is None:
            return False
        name = alias.group(1)
        m = re.search(rf"^\s*pub type {name}\s*=", text, re.M)
        if m is None:
            return False
        type_text = text[m.end():field_span(text, m.start(), name, alias=True)[1]]
    return False


def _apply(lines: list[str], pair: BindingPair, rem: Remedy) -> None:
    d = pair.rust
    text = "".join(lines)
    start = sum(len(ln) for ln in lines[:max(d.line - 1, 0)])
    if d.kind == "function":
        spans = _function_spans(text, start, d.name)
        replacements = []
        for e in rem.edits:
            where = spans.get(e.position)
            if where is None and e.position >= 0:
                raise _NotFound(f"parameter {e.position + 1} of {d.name} not found")
            replacements.append((where, e))
        new = text
        for where, e in sorted(replacements, key=lambda x: -(x[0] or spans["end"])[0]):
            new = _replace(new, where, e, spans["end"])
    else:
        span = field_span(text, start, d.name.rpartition(".")[2] if d.kind == "field"
                           else d.name, alias=d.kind != "field")
        assert rem.function is not None
        old = text[span[0]:span[1]]
        if re.fullmatch(r"\s*\w+\s*", old):
            raise _ViaAlias(old.strip())
        wrapped = _OPTION_WRAPPER.match(old)
        fn_text = _fn_text(rem.function)
        body = f"::std::option::Option<{fn_text}>" if wrapped else fn_text
        new = text[:span[0]] + body + text[span[1]:]
    lines[:] = new.splitlines(keepends=True)


def _replace(text: str, where: tuple[int, int] | None, e: Edit, end: tuple[int, int]) -> str:
    if e.position < 0:
        if e.new == VOID:
            return text[:end[0]] + text[end[1]:] if where is not None else text
        if where is None:
            return text[:end[0]] + f" -> {e.text}" + text[end[0]:]
    assert where is not None
    old = text[where[0]:where[1]]
    wrapped = _OPTION_WRAPPER.match(old)
    new = wrapped.group(1).strip() if wrapped and e.labels == ("drop the Option",) else e.text
    return text[:where[0]] + new + text[where[1]:]


_OPEN, _CLOSE = "([<{", ")]>}"


def _scan_to(text: str, i: int, stops: str) -> int:
    """The index of the first character of ``stops`` at bracket depth 0 from ``i`` (``->`` is
    not a bracket)."""
    depth = 0
    while i < len(text):
        ch = text[i]
        if ch == "-" and text.startswith("->", i):
            i += 2
            continue
        if depth == 0 and ch in stops:
            return i
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        i += 1
    raise _NotFound("unbalanced brackets")


def _function_spans(text: str, start: int, name: str) -> dict[int | str, tuple[int, int]]:
    """Spans of each parameter's type (0, 1, ...), of the return type (-1) and of the whole
    ``-> T`` ("end": where a return type goes, or the span to delete)."""
    m = re.compile(rf"\bfn\s+{re.escape(name)}\s*(<[^(]*>)?\s*\(").search(text, start)
    if m is None:
        raise _NotFound(f"fn {name} not found")
    i = m.end()
    close = _scan_to(text, i, ")")
    spans: dict[int | str, tuple[int, int]] = {}
    index, j = 0, i
    while j < close:
        k = _scan_to(text, j, ",)")
        k = min(k, close)
        param = text[j:k]
        colon = _scan_to(param + ":", 0, ":")
        if param.strip() and param.strip() != "..." and colon < len(param):
            a = j + colon + 1
            while a < k and text[a].isspace():
                a += 1
            b = k
            while b > a and text[b - 1].isspace():
                b -= 1
            spans[index] = (a, b)
            index += 1
        j = k + 1
    after = close + 1
    end = _scan_to(text, after, ";{")
    arrow = text.find("->", after, end)
    if arrow >= 0:
        a = arrow + 2
        while text[a].isspace():
            a += 1
        b = end
        while text[b - 1].isspace():
            b -= 1
        spans[-1] = (a, b)
        spans["end"] = (close + 1, b)
    else:
        spans["end"] = (close + 1, close + 1)
    return spans


def field_span(text: str, start: int, name: str, *, alias: bool) -> tuple[int, int]:
    pattern = rf"\btype\s+{re.escape(name)}\s*=\s*" if alias else \
        rf"\b{re.escape(name)}\s*:\s*"
    m = re.compile(pattern).search(text, start)
    if m is None:
        raise _NotFound(f"{name} not found")
    end = _scan_to(text, m.end(), ";" if alias else ",}")
    b = end
    while text[b - 1].isspace():
        b -= 1
    return m.end(), b


def unfixed_lines(patch: SuggestedPatch) -> Sequence[str]:
    return [f"{symbol}: {why}" for symbol, why in patch.unfixed]
