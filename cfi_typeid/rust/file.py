"""Whole Rust files, as bindgen writes them and as crates come: cut into items by the lexer,
each item parsed on its own, the ones no id depends on skipped by matching brackets.

A file is lexed once (:mod:`cfi_typeid.rust.lexer`); the token stream is cut into items at
depth 0 (attributes, visibility and qualifiers, then the item up to its ``;`` or the brace that
closes its block).  ``mod`` blocks are entered (their items get module paths) and ``extern``
blocks are cut into their foreign items, so one item rustc would refuse costs that item only.
``macro_rules!``, macro invocations, ``impl`` and ``trait`` blocks, ``#[test]`` functions and
items we cannot read are skipped, counted by reason; an item that fails to parse or resolve is
a diagnostic, and a name it would have defined says so where it is used.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..errors import ParseError, PositionedError
from .ast import AdtItem, AliasItem, ExternBlock, FnItem, FnPtrType, Item, ModItem, UseItem
from .frontend import read_source
from .items import Module, Source, add_items
from .lexer import EscapeError, Tok, check_text, tokenize, unescape
from .syntax import Lexed, matching_bracket

#: The editions (2015 reads ``::name`` and ``use`` paths from the crate root).
EDITIONS = ("2015", "2018", "2021", "2024")
#: How deeply inline modules may nest (checked before entering one).
MAX_MODULE_DEPTH = 128


@dataclass(frozen=True, slots=True)
class Problem:
    """A diagnostic before it is a record: the absolute offset, what, and whose."""

    offset: int
    message: str
    name: str = ""
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something that may have a type id: a function, an fn-pointer alias or field."""

    kind: str  # "function" | "type" | "field"
    name: str
    symbol: str
    module: Module
    offset: int
    #: A :class:`FnItem` (functions) or the alias/field's type expression.
    syntax: Any
    text: str


@dataclass
class FileItems:
    """What reading one file gave: its crate root, candidates, problems, skip counts."""

    text: str
    filename: str
    root: Module
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    items: int = 0
    #: Names of items that were skipped or failed, for the diagnostics of what uses them.
    lost: dict[str, tuple[int, str]] = field(default_factory=dict)
    _lines: list[int] = field(default_factory=list)

    def line_column(self, offset: int) -> tuple[int, int]:
        if not self._lines:
            self._lines = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1


@dataclass(frozen=True, slots=True)
class _Raw:
    kind: str
    first: int  # token index where the item starts (its first attribute)
    head: int  # token index of the item's keyword
    last: int  # token index of its last token
    attrs: tuple[tuple[str, str | None], ...]
    name: str


_QUALIFIERS = frozenset({"pub", "unsafe", "safe", "async", "default", "auto"})
_SEMI_KINDS = frozenset({"const", "static", "type", "use", "extern crate", "unknown"})
_SKIPPED = {"impl": "impl block", "trait": "trait", "macro_rules": "macro_rules!",
            "macro": "macro invocation", "extern crate": "extern crate", "static": "static",
            "empty": "stray ';'"}


class FileReader:
    """Cuts one file's tokens into items and enters the ones we read into modules."""

    def __init__(self, text: str, filename: str, crate: str) -> None:
        self.out = FileItems(text, filename, Module(crate, crate, (), None,
                                                    Source(text, filename)))
        self.text = text
        self.tokens: list[Tok] = []
        #: The spans of the file's comments, in order (the items cut from it reuse its
        #: tokens, see :meth:`lexed`).
        self.comments: list[tuple[int, int]] = []

    def word(self, i: int) -> str:
        tok = self.tokens[i]
        return self.text[tok.start:tok.end]

    # ---- cutting ------------------------------------------------------------------------

    def read(self) -> FileItems:
        try:
            check_text(self.text, self.out.filename)
            self.tokens = tokenize(self.text, self.out.filename, self.comments)
        except ParseError as e:
            self.out.problems.append(Problem(e.offset, e.message))
            return self.out
        self.module(self.out.root, 0, len(self.tokens))
        return self.out

    def items(self, i: int, end: int) -> Iterator[_Raw]:
        """The items among tokens [i, end)."""
        while i < end:
            raw = self.cut(i, end)
            yield raw
            i = raw.last + 1

    def cut(self, i: int, end: int) -> _Raw:
        first, attrs = i, []
        while i < end and self.word(i) == "#":
            close = self._attribute(i, end)
            if close < 0:
                break
            attrs.append(self._attr_value(i, close))
            i = close + 1
        if i >= end:
            return _Raw("empty", first, end - 1, end - 1, tuple(attrs), "")
        head = i
        kind, name, j = self._kind(i, end)
        last = max(self._end(kind, j, end), head)  # at least one token: always progress
        return _Raw(kind, first, head, last, tuple(attrs), name)

    def _attribute(self, i: int, end: int) -> int:
        j = i + 1
        if j < end and self.word(j) == "!":
            j += 1
        if j >= end or self.word(j) != "[":
            return -1
        close = matching_bracket(self.tokens, self.text, j)
        return close if 0 <= close < end else -1

    def _attr_value(self, i: int, close: int) -> tuple[str, str | None]:
        """(name, string value or None) of the attribute in tokens [i, close]."""
        j = i + 1
        inner = self.word(j) == "!"
        j += 2 if inner else 1
        name = self.word(j) if j < close else ""
        if name == "unsafe" and j + 2 < close:  # #[unsafe(no_mangle)]
            j += 2
            name = self.word(j)
        if inner:
            name = "!" + name
        value: str | None = None
        if j + 2 <= close and self.word(j + 1) == "=" and self.tokens[j + 2].kind == "string":
            try:
                value = unescape(self.word(j + 2))
            except EscapeError:
                value = None
        elif name in ("cfg", "test") and j + 1 < close:
            value = self.text[self.tokens[j + 1].start:self.tokens[close - 1].end]
        return name, value

    def _kind(self, i: int, end: int) -> tuple[str, str, int]:
        """(kind, name, index of the token where the item's end is looked for)."""
        j = i
        while j < end:
            w = self.word(j)
            if w == "pub" and j + 1 < end and self.word(j + 1) == "(":
                j = matching_bracket(self.tokens, self.text, j + 1) + 1
                continue
            if w in _QUALIFIERS:
                j += 1
                continue
            if w == "const" and j + 1 < end and self.word(j + 1) in (
                    "fn", "unsafe", "extern", "async"):
                j += 1
                continue
            if w == "extern" and j + 1 < end:
                nxt = self.word(j + 1)
                after = j + 2 if self.tokens[j + 1].kind == "string" else j + 1
                if nxt == "crate":
                    return "extern crate", self._name(j + 2, end), j
                if after < end and self.word(after) == "{":
                    return "extern", "", j
                j = after
                continue
            break
        if j >= end:
            return "unknown", "", i
        w = self.word(j)
        if w == ";":
            return "empty", "", j
        if w in ("fn", "struct", "enum", "type", "const", "static", "mod", "use", "impl",
                 "trait"):
            return w, self._name(j + 1, end) if w not in ("use", "impl") else "", j
        if w == "union" and j + 1 < end and self.tokens[j + 1].kind == "ident":
            return "union", self._name(j + 1, end), j
        if w == "macro_rules" and j + 1 < end and self.word(j + 1) == "!":
            return "macro_rules", self._name(j + 2, end), j
        k = j
        while k + 2 < end and self.tokens[k].kind == "ident" and self.word(k + 1) == ":" \
                and self.word(k + 2) == ":":
            k += 3
        if k + 1 < end and self.tokens[k].kind == "ident" and self.word(k + 1) == "!":
            return "macro", self.word(k), k + 2
        return "unknown", "", j

    def _name(self, j: int, end: int) -> str:
        if j < end and self.tokens[j].kind == "ident":
            return self.word(j).removeprefix("r#")
        return ""

    def _end(self, kind: str, j: int, end: int) -> int:
        """The index of the item's last token, looking from token ``j``."""
        if kind == "empty":
            return j
        if kind in ("macro", "macro_rules"):
            while j < end and self.word(j) not in ("(", "[", "{"):
                j += 1
            close = matching_bracket(self.tokens, self.text, j) if j < end else -1
            if close < 0:
                return end - 1
            if self.word(j) != "{" and close + 1 < end and self.word(close + 1) == ";":
                close += 1
            return close
        semi_only = kind in _SEMI_KINDS
        depth = 0
        for k in range(j, end):
            tok = self.tokens[k]
            if tok.kind != "punct":
                continue
            c = self.text[tok.start]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth < 0:
                    return k - 1  # a stray closing bracket ends the item before it
                if depth == 0 and c == "}" and not semi_only:
                    return k
            elif c == ";" and depth == 0:
                return k
        return end - 1

    # ---- reading ------------------------------------------------------------------------

    def module(self, module: Module, i: int, end: int) -> None:
        for raw in self.items(i, end):
            self.out.items += 1
            try:
                self.item(module, raw)
            except RecursionError:
                self.problem(raw, "items nested too deeply to read")

    def problem(self, raw: _Raw, message: str, offset: int | None = None) -> None:
        at = self.tokens[raw.head].start if offset is None else offset
        self.out.problems.append(Problem(at, message, raw.name))
        if raw.name:
            self.out.lost.setdefault(raw.name, (at, message))

    def skip(self, raw: _Raw, reason: str) -> None:
        self.out.skipped[reason] += 1
        if raw.name and raw.kind not in ("macro", "macro_rules"):
            self.out.lost.setdefault(raw.name, (self.tokens[raw.head].start, f"skipped: {reason}"))

    def item(self, module: Module, raw: _Raw) -> None:
        names = {n for n, _ in raw.attrs}
        if "!no_std" in names or raw.kind == "extern crate":
            self.extern_crate(module, raw, "core" if raw.kind != "extern crate" else raw.name)
        if raw.kind in _SKIPPED:
            self.skip(raw, _SKIPPED[raw.kind])
            return
        if "test" in names or ("cfg", "test") in raw.attrs:
            self.skip(raw, "#[test] / #[cfg(test)] item")
            return
        if raw.kind == "unknown":
            self.problem(raw, "not an item this tool reads: skipped")
            return
        if raw.kind == "mod":
            self.mod(module, raw)
        elif raw.kind == "extern":
            self.extern_block(module, raw)
        else:
            self.parsed(module, raw, self.span(raw.first, raw.last), "", "")

    def extern_crate(self, module: Module, raw: _Raw, name: str) -> None:
        """``extern crate name [as alias];`` (or ``#![no_std]``'s ``core``): the crate's name
        in ``module`` (2015 paths from the root find it there)."""
        alias = name
        k = raw.head
        while k < raw.last:
            if self.word(k) == "as":
                alias = self.word(k + 1)
            k += 1
        if name and alias.isidentifier():
            module.uses[alias] = UseItem((name,), alias, True, self.tokens[raw.head].start)

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.tokens[first].start, self.tokens[last].end

    def mod(self, module: Module, raw: _Raw) -> None:
        open_ = raw.head
        while open_ <= raw.last and self.word(open_) not in ("{", ";"):
            open_ += 1
        if open_ > raw.last or self.word(open_) == ";":
            self.problem(raw, "'mod m;' refers to another file: only inline modules are read")
            return
        if not raw.name:
            self.problem(raw, "a module needs a name")
            return
        if len(module.path) >= MAX_MODULE_DEPTH:
            self.problem(raw, f"modules nested more than {MAX_MODULE_DEPTH} deep are not read")
            return
        try:
            add_items(module, (ModItem(raw.name, (), self.tokens[raw.head].start),))
        except ParseError as e:
            self.problem(raw, e.message)
            return
        child = module.types[raw.name]
        assert isinstance(child, Module)
        self.module(child, open_ + 1, raw.last)

    def extern_block(self, module: Module, raw: _Raw) -> None:
        open_ = raw.head
        while self.word(open_) != "{":
            open_ += 1
        header = self.text[self.tokens[raw.head].start:self.tokens[open_].end]
        for inner in self.items(open_ + 1, raw.last):
            self.out.items += 1
            if inner.kind in ("macro", "empty"):
                self.skip(inner, _SKIPPED[inner.kind])
                continue
            if inner.kind not in ("fn", "static", "type"):
                self.problem(inner, "not a foreign item: skipped")
                continue
            if inner.kind == "static":
                self.skip(inner, "static")
                continue
            self.parsed(module, inner, self.span(inner.first, inner.last), header + " ", " }")

    def parsed(self, module: Module, raw: _Raw, span: tuple[int, int], before: str,
               after: str) -> None:
        """Parse the item at ``span`` (wrapped in ``before``/``after``), enter it into
        ``module``, and note what may have a type id."""
        start, end = span
        snippet = before + self.text[start:end] + after
        shift = start - len(before)
        lexed = None if snippet.startswith("#!") else (  # a shebang there: lex it as it is
            lambda: self.lexed(raw, before, after, shift))
        try:
            items = read_source(snippet, "prelude", self.out.filename, lexed).items
        except ParseError as e:
            if raw.kind == "const":  # a value we do not evaluate: what uses it will say so
                self.skip(raw, "const with a value this tool does not read")
                self.out.lost[raw.name] = (start, f"its value is not read ({e.message})")
                return
            self.problem(raw, e.message, max(start, e.offset + shift))
            return
        except RecursionError:
            self.problem(raw, "nested too deeply to read")
            return
        items = tuple(shifted(x, shift) for x in items)
        try:
            add_items(module, items)
        except ParseError as e:
            self.problem(raw, e.message, e.offset)
            return
        self.candidates(module, raw, items)

    def lexed(self, raw: _Raw, before: str, after: str, shift: int) -> Lexed:
        """The tokens and comment spans of the snippet :meth:`parsed` reads (``before``, the
        item's text, ``after``) as :func:`tokenize` would give them: the file's own tokens of
        the item, moved (an item starts and ends at token boundaries, so lexing it alone gives
        the same tokens), and the two wrappers lexed.  None when nothing in them is ever
        blanked: no comment, no ``#`` (attributes), ``!`` (macros), ``impl`` or ``{`` in the
        item (a body), and the wrappers (``extern "C" {`` ... ``}``) only around it."""
        spans: list[tuple[int, int]] = []
        tokens = tokenize(before, self.out.filename, spans) if before else []
        item = self.tokens[raw.first:raw.last + 1]
        start, end = self.span(raw.first, raw.last)
        k = bisect.bisect_left(self.comments, (start, start))
        if not spans and (k == len(self.comments) or self.comments[k][0] >= end) \
                and not _maybe_blanked(self.text, item) \
                and not _maybe_blanked(before, tokens[:-1] if before.endswith("{ ") else tokens) \
                and not _MAYBE_BLANKED.search(after):
            return None
        new = tuple.__new__
        tokens += [new(Tok, (t.kind, t.start - shift, t.end - shift)) for t in item]
        while k < len(self.comments) and self.comments[k][0] < end:
            a, b = self.comments[k]
            spans.append((a - shift, b - shift))
            k += 1
        if after:
            at = end - shift
            comments: list[tuple[int, int]] = []
            tokens += [new(Tok, (t.kind, t.start + at, t.end + at))
                       for t in tokenize(after, self.out.filename, comments)]
            spans += [(a + at, b + at) for a, b in comments]
        return tokens, spans

    def candidates(self, module: Module, raw: _Raw, items: tuple[Item, ...]) -> None:
        attrs = dict(raw.attrs)
        for item in items:
            match item:
                case ExternBlock(items=inner):
                    self.candidates(module, raw, inner)
                case FnItem(name=raw_name, at=at):
                    name = raw_name.removeprefix("r#")
                    link = attrs.get("link_name")
                    symbol = link.removeprefix("\x01") if link else name
                    self.add(Candidate("function", name, symbol, module, at, item,
                                       self.signature(raw)))
                case AliasItem(name=name, generics=g, type=t, at=at) if not (
                        g.types or g.lifetimes or g.consts):
                    self.add(Candidate("type", name.removeprefix("r#"), "", module, at, t,
                                       self.signature(raw)))
                case AdtItem(kind=kind, name=name, generics=g, fields=fields) if (
                        kind != "enum" and not (g.types or g.lifetimes or g.consts)):
                    for f in fields:
                        if f.name is not None:
                            self.add(Candidate(
                                "field", f"{name}.{f.name}".replace("r#", ""), "", module,
                                item.at, f.type, ""))
                case _:
                    pass

    def add(self, c: Candidate) -> None:
        self.out.candidates.append(c)

    def signature(self, raw: _Raw) -> str:
        """The item's text without attributes and body, on one line."""
        start = self.tokens[raw.head].start
        end = self.tokens[raw.last].end
        depth, k = 0, raw.head
        while k <= raw.last:  # cut at the body: the first '{' outside brackets
            c = self.word(k)
            if c in ("(", "["):
                depth += 1
            elif c in (")", "]"):
                depth -= 1
            elif depth == 0 and c in ("{", ";") and raw.kind == "fn":
                end = self.tokens[k].start
                break
            k += 1
        return _TIGHT.sub(r"\1", " ".join(self.text[start:end].split())).replace(",)", ")")


def _maybe_blanked(text: str, tokens: list[Tok]) -> bool:
    """Whether any of ``tokens`` (of ``text``) may begin something blank_noise blanks."""
    for t in tokens:
        if t.kind == "punct":
            if text[t.start] in "#!{":
                return True
        elif t.kind == "ident" and t.end - t.start == 4 and text[t.start:t.end] == "impl":
            return True
    return False


#: What a wrapper after an item would need to hold for blanking to look at it.
_MAYBE_BLANKED = re.compile(r"[#!{/]|\bimpl\b")
_TIGHT = re.compile(r"(?<=[(\[<]) |\s(?=[)\]>])|(,)\s(?=\))")


def shifted(node: Any, by: int) -> Any:
    """``node`` (syntax from :mod:`cfi_typeid.rust.ast`) with every offset moved by ``by``.

    An offset is a field named ``at`` or ``*_at``; one that is 0 (no position) stays 0.  A
    node with nothing to move is returned as it is; tuples come back as new tuples."""
    if isinstance(node, tuple):
        return tuple([shifted(x, by) for x in node])
    plan = _shift_plan(type(node))
    if plan is None:
        return node
    values: list[Any] = []
    changed = False
    for name, is_offset in plan:
        value = getattr(node, name)
        if is_offset:
            if value:
                value += by
                changed = True
        elif isinstance(value, tuple) or _shift_plan(type(value)) is not None:
            new = shifted(value, by)
            if new is not value:
                value = new
                changed = True
        values.append(value)
    return type(node)(*values) if changed else node


#: Per class: its fields in order, each with whether it is an offset; None for a class that
#: is not a dataclass (nothing in it is moved).
_SHIFT_PLANS: dict[type, tuple[tuple[str, bool], ...] | None] = {}


def _shift_plan(cls: type) -> tuple[tuple[str, bool], ...] | None:
    try:
        return _SHIFT_PLANS[cls]
    except KeyError:
        pass
    plan: tuple[tuple[str, bool], ...] | None = None
    if dataclasses.is_dataclass(cls):
        plan = tuple((f.name, f.name == "at" or f.name.endswith("_at"))
                     for f in dataclasses.fields(cls))
        assert all(f.init and not f.kw_only for f in dataclasses.fields(cls)), cls
    _SHIFT_PLANS[cls] = plan
    return plan


def is_fn_pointer_syntax(t: Any) -> bool:
    """Whether a field's type is written as an fn pointer or ``Option`` of one (a field
    through an alias is found by resolving it)."""
    if isinstance(t, FnPtrType):
        return True
    segments: tuple[Any, ...] = getattr(t, "segments", ())
    if not segments:
        return False
    last = segments[-1]
    return bool(last.name == "Option" and any(isinstance(a, FnPtrType) for a in last.args))


def use_glob(path: str, at: int = 0) -> UseItem:
    """The ``use`` that ``--use 'std::ffi::*'`` adds (or one name: ``std::ffi::c_int``)."""
    parts = tuple(p for p in path.strip().removesuffix(";").split("::") if p)
    is_global = path.strip().startswith("::")
    if parts and parts[-1] == "*":
        return UseItem(parts[:-1], "*", is_global, at)
    if not parts or not all(p.isidentifier() for p in parts):
        raise ParseError(f"not a use path: {path!r}", path, 0, what="--use")
    return UseItem(parts, parts[-1], is_global, at)


__all__ = ["EDITIONS", "Candidate", "FileItems", "FileReader", "PositionedError",
           "is_fn_pointer_syntax", "shifted", "use_glob"]
