"""A Rust file's tokens cut into items at depth 0 without parsing them: attributes,
visibility and qualifiers, then the item up to its ``;`` or the brace that closes its block
(brackets matched, so an item rustc would refuse ends where rustc's parser would recover).
:class:`cfi_typeid.rust.file.FileReader` builds on this to parse the items it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .lexer import EscapeError, Tok, unescape
from .syntax import matching_bracket
from ..regex_code import cached_regex


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item as cut from the token stream, before it is parsed."""

    kind: str
    first: int  # token index where the item starts (its first attribute)
    head: int  # token index of the item's keyword
    last: int  # token index of its last token
    attrs: tuple[tuple[str, str | None], ...]
    name: str


_QUALIFIERS = frozenset({"pub", "unsafe", "safe", "async", "default", "auto"})
_SEMI_KINDS = frozenset({"const", "static", "type", "use", "extern crate", "unknown"})
#: The blanks to drop inside brackets: after an opening one, before a closing one (", )"
#: loses its blank, then ",)" its comma).  A literal replacement: a group in it is expanded
#: per match by Python code (``re._parser.expand_template``).
_TIGHT = cached_regex(r"(?<=[(\[<]) |\s(?=[)\]>])")


class ItemCutter:
    """Cuts one text's tokens (``tokens``, set once it is lexed) into :class:`RawItem` s."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Tok] = []

    def word(self, i: int) -> str:
        tok = self.tokens[i]
        return self.text[tok.start:tok.end]

    def items(self, i: int, end: int) -> Iterator[RawItem]:
        """The items among tokens [i, end)."""
        while i < end:
            raw = self.cut(i, end)
            yield raw
            i = raw.last + 1

    def cut(self, i: int, end: int) -> RawItem:
        first, attrs = i, []
        while i < end and self.word(i) == "#":
            close = self._attribute(i, end)
            if close < 0:
                break
            attrs.append(self._attr_value(i, close))
            i = close + 1
        if i >= end:
            return RawItem("empty", first, end - 1, end - 1, tuple(attrs), "")
        head = i
        kind, name, j = self._kind(i, end)
        last = max(self._end(kind, j, end), head)  # at least one token: always progress
        return RawItem(kind, first, head, last, tuple(attrs), name)

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

    def signature(self, raw: RawItem) -> str:
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
        return _TIGHT.sub("", " ".join(self.text[start:end].split())).replace(",)", ")")
