"""Whole Rust files, as bindgen writes them and as crates come: cut into items by the lexer,
each item parsed on its own, the ones no id depends on skipped by matching brackets.

A file is lexed once (:mod:`cfi_typeid.rust.lexer`); the token stream is cut into items at
depth 0 (attributes, visibility and qualifiers, then the item up to its ``;`` or the brace that
closes its block).  ``mod`` blocks are entered (their items get module paths) and ``extern``
blocks are cut into their foreign items, so one item rustc would refuse costs that item only.
``macro_rules!``, macro invocations, ``impl`` and ``trait`` blocks, ``#[test]`` functions and
items we cannot read are skipped, counted by reason; an item that fails to parse or resolve is
a diagnostic, and a name it would have defined says so where it is used.

The cutting is :mod:`cfi_typeid.rust.cut`, the records of a read file
:mod:`cfi_typeid.rust.file_items` and the moving of parsed syntax to the file's offsets
:mod:`cfi_typeid.rust.offsets` (the names other modules import from here are re-exported).
"""

from __future__ import annotations

import bisect
import copyreg
import dataclasses
import io
import operator
import pickle
from typing import Any, Callable, Protocol

from ..errors import ParseError, PositionedError
from . import ast
from .ast import AdtItem, AliasItem, ExternBlock, FnItem, FnPtrType, Item, ModItem, UseItem
from .cut import ItemCutter, RawItem
from .file_items import Candidate, FileItems, Problem
from .frontend import read_source
from .items import Module, Source, add_items
from .lexer import Tok, check_text, tokenize
from .offsets import shifted
from .syntax import Lexed
from ..regex_code import cached_regex

#: The editions (2015 reads ``::name`` and ``use`` paths from the crate root).
EDITIONS = ("2015", "2018", "2021", "2024")
#: How deeply inline modules may nest (checked before entering one).
MAX_MODULE_DEPTH = 128
_SKIPPED = {"impl": "impl block", "trait": "trait", "macro_rules": "macro_rules!",
            "macro": "macro invocation", "extern crate": "extern crate", "static": "static",
            "empty": "stray ';'"}


class FileReader(ItemCutter):
    """Enters the items of one file (cut by :class:`~cfi_typeid.rust.cut.ItemCutter`) that we
    read into modules, and notes the candidates for a type id."""

    def __init__(self, text: str, filename: str, crate: str,
                 elsewhere: Elsewhere | None = None) -> None:
        super().__init__(text)
        self.crate = crate
        self.out = FileItems(text, filename, Module(crate, crate, (), None,
                                                    Source(text, filename)))
        #: The spans of the file's comments, in order (the items cut from it reuse its
        #: tokens, see :meth:`lexed`).
        self.comments: list[tuple[int, int]] = []
        #: How to run a share of the parsing in another process (see :class:`_Shared`).
        self.run_elsewhere = elsewhere
        self.elsewhere: _Shared | None = None

    def read(self) -> FileItems:
        try:
            check_text(self.text, self.out.filename)
            self.tokens = tokenize(self.text, self.out.filename, self.comments)
        except ParseError as e:
            self.out.problems.append(Problem(e.offset, e.message))
            return self.out
        if self.run_elsewhere is not None:
            self.elsewhere = _Shared.start(self, self.run_elsewhere)
        try:
            self.module(self.out.root, 0, len(self.tokens))
        finally:
            if self.elsewhere is not None:
                self.elsewhere.close()
                self.elsewhere = None
        return self.out

    def module(self, module: Module, i: int, end: int) -> None:
        for raw in self.items(i, end):
            self.out.items += 1
            try:
                self.item(module, raw)
            except RecursionError:
                self.problem(raw, "items nested too deeply to read")

    def problem(self, raw: RawItem, message: str, offset: int | None = None) -> None:
        at = self.tokens[raw.head].start if offset is None else offset
        self.out.problems.append(Problem(at, message, raw.name))
        if raw.name:
            self.out.lost.setdefault(raw.name, (at, message))

    def skip(self, raw: RawItem, reason: str) -> None:
        self.out.skipped[reason] += 1
        if raw.name and raw.kind not in ("macro", "macro_rules"):
            self.out.lost.setdefault(raw.name, (self.tokens[raw.head].start, f"skipped: {reason}"))

    def item(self, module: Module, raw: RawItem) -> None:
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

    def extern_crate(self, module: Module, raw: RawItem, name: str) -> None:
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

    def mod(self, module: Module, raw: RawItem) -> None:
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

    def extern_block(self, module: Module, raw: RawItem) -> None:
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

    def parsed(self, module: Module, raw: RawItem, span: tuple[int, int], before: str,
               after: str) -> None:
        """Parse the item at ``span`` (wrapped in ``before``/``after``), enter it into
        ``module``, and note what may have a type id."""
        start, _ = span
        shift = start - len(before)
        try:
            items = self.elsewhere.get(span, before, after) if self.elsewhere else None
            if items is None:
                items = self.parse(raw, span, before, after)
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
        try:
            add_items(module, items)
        except ParseError as e:
            self.problem(raw, e.message, e.offset)
            return
        self.candidates(module, raw, items)

    def parse(self, raw: RawItem, span: tuple[int, int], before: str, after: str,
              fast_only: bool = False) -> tuple[Item, ...]:
        """The items parsed from ``span`` wrapped in ``before``/``after``, moved to the
        file's offsets (see :meth:`parsed`; ``fast_only``: see :func:`read_source`)."""
        start, end = span
        snippet = before + self.text[start:end] + after
        shift = start - len(before)
        lexed = None if snippet.startswith("#!") else (  # a shebang there: lex it as it is
            lambda: self.lexed(raw, before, after, shift))
        if fast_only:
            items = read_source(snippet, "prelude", self.out.filename, lexed,
                                fast_only=True).items
        else:
            items = read_source(snippet, "prelude", self.out.filename, lexed).items
        return tuple(shifted(x, shift) for x in items)

    def lexed(self, raw: RawItem, before: str, after: str, shift: int) -> Lexed:
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

    def candidates(self, module: Module, raw: RawItem, items: tuple[Item, ...]) -> None:
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


class Pending(Protocol):
    """A call running in another process (:class:`cfi_typeid.sources.background.Forked`,
    from a layer above): whether its value has come, the value, or ending it unasked."""

    def ready(self) -> bool: ...

    def result(self) -> Any: ...

    def cancel(self) -> None: ...


#: Starts a call in another process.
Elsewhere = Callable[[Callable[[], Any]], Pending]
#: A parse job: an item's span and the wrappers around it (see :meth:`FileReader.parsed`).
_Job = tuple[tuple[int, int], str, str]
#: Files with fewer characters to parse are parsed in one process (a fork, and sending the
#: syntax back, cost a few milliseconds).
MIN_SHARED_CHARACTERS = 40_000
#: The share of the characters to parse that the other process takes, from the end: a
#: little less than half, as it also lists the items and sends their syntax back, and this
#: process should not reach them first.
OTHER_SHARE = 0.45


class _Planner(FileReader):
    """Walks a file as :class:`FileReader` does, into a throwaway crate root, only listing
    what it would parse (which items are parsed does not depend on what parsing gives)."""

    def __init__(self, reader: FileReader) -> None:
        super().__init__(reader.text, reader.out.filename, reader.crate)
        self.tokens, self.comments = reader.tokens, reader.comments
        self.jobs: list[tuple[RawItem, tuple[int, int], str, str]] = []

    def parsed(self, module: Module, raw: RawItem, span: tuple[int, int], before: str,
               after: str) -> None:
        self.jobs.append((raw, span, before, after))


class _Shared:
    """A file's parsing shared with another process, which never waits for it: that process
    lists the items to parse and parses the last ones (:data:`OTHER_SHARE` of the
    characters) while this one
    parses from the start, taking the other's items once they have come (:meth:`get`).  An
    item the other process could not parse the fast way is parsed here (for its error, or
    the slow path's answer), as is every item when the other process is slow or fails."""

    def __init__(self, pending: Pending) -> None:
        self.pending = pending
        self.done: dict[_Job, tuple[Item, ...] | None] | None = None

    @staticmethod
    def start(reader: FileReader, elsewhere: Elsewhere) -> _Shared:
        return _Shared(elsewhere(lambda: _parse_last_items(reader)))

    def get(self, span: tuple[int, int], before: str, after: str) -> tuple[Item, ...] | None:
        """The items the other process parsed for this job, or None: parse it here."""
        if self.done is None:
            if not self.pending.ready():
                return None
            self.done = _loads(self.pending.result())
        return self.done.get((span, before, after))

    def close(self) -> None:
        if self.done is None:
            self.pending.cancel()
            self.done = {}


def _parse_last_items(reader: FileReader) -> bytes:
    """(In the other process.)  The pickled items of the last jobs (see :class:`_Shared`),
    by job; b"" for a file too small to share.  Never raises: a job that fails is left
    out."""
    try:
        planner = _Planner(reader)
        planner.module(planner.out.root, 0, len(reader.tokens))
        jobs = planner.jobs
        total = sum(end - start for _, (start, end), _, _ in jobs)
        if total < MIN_SHARED_CHARACTERS:
            return b""
        counted, split = 0, len(jobs)
        for i, (_, (start, end), _, _) in enumerate(jobs):
            counted += end - start
            if counted >= total * (1 - OTHER_SHARE):
                split = i + 1
                break
        done: dict[_Job, tuple[Item, ...]] = {}
        for raw, span, before, after in jobs[split:]:
            try:
                done[span, before, after] = reader.parse(raw, span, before, after, True)
            except Exception:  # noqa: BLE001 - parsed again there, for its error
                pass
        return _dumps(done)
    except Exception:  # noqa: BLE001 - the other process parses everything itself
        return b""


def _dumps(value: object) -> bytes:
    """``pickle.dumps``, the syntax classes sent as ``Class(*fields)`` (their dataclass
    ``__getstate__``/``__setstate__`` call ``fields()`` for every object: twice as slow)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(value)
    return buffer.getvalue()


def _loads(data: object) -> dict[_Job, tuple[Item, ...] | None]:
    try:
        value = pickle.loads(data) if isinstance(data, bytes) and data else {}
    except Exception:  # noqa: BLE001 - nothing came: everything is parsed here
        return {}
    return value if isinstance(value, dict) else {}


def _dispatch_table() -> dict[type, Callable[[Any], Any]]:
    table: dict[type, Callable[[Any], Any]] = dict(copyreg.dispatch_table)
    for cls in vars(ast).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) \
                and cls.__module__ == ast.__name__:
            table[cls] = _reducer(cls, [f.name for f in dataclasses.fields(cls)])
    return table


def _reducer(cls: type, names: list[str]) -> Callable[[Any], Any]:
    get = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda o: (cls, (get(o),))
    return lambda o: (cls, get(o))


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
_MAYBE_BLANKED = cached_regex(r"[#!{/]|\bimpl\b")


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


__all__ = ["EDITIONS", "Candidate", "FileItems", "FileReader", "PositionedError", "Problem",
           "is_fn_pointer_syntax", "shifted", "use_glob"]
