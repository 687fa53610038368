"""Lexing-level handling of Rust text: the cached Lark parser, blanking comments and function
bodies, and turning Lark's exceptions into :class:`~cfi_typeid.errors.ParseError`.

A user pastes source: items with bodies, comments, attributes.  Bodies never change a type id,
and Rust's expression grammar is far larger than its item grammar, so every function body is
blanked to ``{ }`` (spaces kept in place, so offsets in errors stay those of the user's text)
before the LALR parser sees the text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from ..errors import ParseError, expected_phrase
from ..parsing.compiled import fast_parser
from ..parsing.lalr import Parser
from ..parsing.tables import grammar_text, load_tables

if TYPE_CHECKING:
    from lark import Lark


def _grammar() -> str:
    return grammar_text("rust.lark")


@cache
def rust_parser() -> Lark:
    """Lark's LALR parser for ``grammar/rust.lark``, building trees: the slow path, whose
    errors are the ones users see, and the source of the fast path's tables.  Built once per
    process (and cached on disk by Lark between processes)."""
    from lark import Lark
    return Lark(_grammar(), parser="lalr", lexer="contextual", start=["prelude", "decl"],
                propagate_positions=True, maybe_placeholders=False, cache=True)


@cache
def rust_fast_parser(methods: object) -> Parser:
    """The same grammar's tables run by :class:`cfi_typeid.parsing.lalr.Parser`, ``methods`` called
    with a :class:`~cfi_typeid.parsing.lalr.Meta` and the children at each reduction: no tree, and no
    Lark import once the tables are cached."""
    return fast_parser(load_tables("rust", _grammar(), rust_parser), methods, positions=True)


# ---- blanking comments and bodies ---------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<line>//[^\n]*)
  | (?P<block>/\*)
  | (?P<raw>b?r(?P<hashes>\#*)")
  | (?P<string>b?"(?:[^"\\]|\\.)*")
  | (?P<char>b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]*\}|.)|[^\\'\n])')
  | (?P<lifetime>'[A-Za-z_]\w*)
  | (?P<ident>(?:r\#)?[A-Za-z_]\w*)
  | (?P<other>.)
""", re.X | re.S)


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) replaced by spaces, newlines kept, so offsets do not move."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _block_comment_end(text: str, start: int, what: str) -> int:
    depth, i = 0, start
    while i < len(text):
        pair = text[i:i + 2]
        if pair == "/*":
            depth, i = depth + 1, i + 2
        elif pair == "*/":
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise ParseError("unterminated block comment", text, start, what=what)


def _tokens(text: str, what: str) -> tuple[str, list[tuple[str, int, int]]]:
    """``text`` with comments blanked, and its coarse tokens (kind, start, end) without
    whitespace: enough to find bodies while skipping braces inside strings."""
    out: list[tuple[str, int, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None  # (?P<other>.) matches any character
        kind, end = m.lastgroup or "other", m.end()
        if kind == "block":
            end = _block_comment_end(text, pos, what)
            text = _blank(text, pos, end)
        elif kind == "line":
            text = _blank(text, pos, end)
        elif kind == "raw":
            close = text.find('"' + m.group("hashes"), end)
            if close < 0:
                raise ParseError("unterminated raw string", text, pos, what=what)
            end = close + 1 + len(m.group("hashes"))
            out.append(("string", pos, end))
        elif kind == "other" and text[pos] == '"':
            raise ParseError("unterminated string", text, pos, what=what)
        elif kind != "ws":
            out.append((kind, pos, end))
        pos = end
    return text, out


def _matching(tokens: list[tuple[str, int, int]], text: str, i: int, open_: str,
              close: str) -> int:
    """Index of the token closing the bracket opened by token ``i`` (or -1)."""
    depth = 0
    for j in range(i, len(tokens)):
        c = text[tokens[j][1]:tokens[j][2]]
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j
    return -1


def _body_start(tokens: list[tuple[str, int, int]], text: str, i: int) -> int:
    """After ``fn NAME`` at token ``i``: the index of the ``{`` opening its body, or -1."""
    while i < len(tokens) and text[tokens[i][1]:tokens[i][2]] != "(":
        i += 1
    i = _matching(tokens, text, i, "(", ")")
    if i < 0:
        return -1
    depth = 0
    for j in range(i + 1, len(tokens)):
        c = text[tokens[j][1]:tokens[j][2]]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c in ";}":
            return -1
        elif depth == 0 and c == "{":
            return j
    return -1


def _item_start(tokens: list[tuple[str, int, int]], text: str, i: int) -> bool:
    """Whether token ``i`` begins an item (it follows nothing, ``;``, a brace or ``]``)."""
    return i == 0 or text[tokens[i - 1][1]:tokens[i - 1][2]] in (";", "{", "}", "]")


def _skip_block(tokens: list[tuple[str, int, int]], text: str, i: int) -> int:
    """Index of the ``}`` closing the first ``{`` after token ``i`` (or -1)."""
    for j in range(i, len(tokens)):
        if text[tokens[j][1]:tokens[j][2]] == "{":
            return _matching(tokens, text, j, "{", "}")
    return -1


#: What text must hold for blanking to change it or fail: a comment, a body or block, an
#: ``impl``/``trait``, or a string that is not plain (escapes, raw strings, ``'"'``).
_MAYBE_NOISE = re.compile(r"""[{/\\#]|'"|\b(?:impl|trait)\b""")


def blank_noise(text: str, what: str = "input", impls: bool = False) -> str:
    """``text`` with comments blanked, every function body emptied to ``{ }``, and ``impl``
    blocks (which never change a free function's type id) blanked out, unless ``impls`` (a
    declaration asking for a method's id).  ``trait`` blocks stay: trait objects name them
    (their default methods' bodies are emptied like any other)."""
    if _MAYBE_NOISE.search(text) is None and text.count('"') % 2 == 0:
        return text  # plain strings pair up: nothing to blank, nothing unterminated
    text, tokens = _tokens(text, what)
    original = text  # token texts, as blanking goes on
    i = 0
    while i < len(tokens) - 1:
        kind, start, end = tokens[i]
        word = original[start:end] if kind == "ident" else ""
        following = original[tokens[i + 1][1]:tokens[i + 1][2]]
        if not impls and _item_start(tokens, original, i) and (
                word == "impl" or (word == "unsafe" and following == "impl")):
            close = _skip_block(tokens, original, i)
            if close < 0:
                raise ParseError(f"unbalanced braces in this {word} block", text, start,
                                 what=what)
            text = _blank(text, start, tokens[close][2])
            i = close + 1
            continue
        if kind == "ident" and word == "fn" and tokens[i + 1][0] == "ident":
            open_ = _body_start(tokens, original, i + 2)
            if open_ >= 0:
                close = _matching(tokens, original, open_, "{", "}")
                if close < 0:
                    raise ParseError("unbalanced braces in the body of this function", text,
                                     start, what=what)
                text = _blank(text, tokens[open_][2], tokens[close][1])
                i = close
        i += 1
    return text


# ---- parsing and errors -------------------------------------------------------------------

_TOKEN_WORDS = {
    "IDENT": "an identifier", "LIFETIME": "a lifetime", "STRING": "a string", "INT": "a number",
    "SEMICOLON": "';'", "COMMA": "','", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['",
    "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "STAR": "'*'", "ELLIPSIS": "'...'",
    "COLON": "':'", "COLONS": "'::'", "EQUAL": "'='", "LESSTHAN": "'<'", "MORETHAN": "'>'",
    "FN": "'fn'", "MUT": "'mut'", "CONST": "'const'",
}


def _expected(allowed: set[str]) -> str:
    return expected_phrase(allowed, _TOKEN_WORDS, limit=6)


def parse_rust(text: str, rule: str, what: str = "input") -> Any:
    """Parse (already blanked) ``text`` with Lark, start symbol ``rule`` (``prelude`` or
    ``decl``), into a tree; syntax errors are raised as :class:`ParseError`."""
    from lark.exceptions import (
        LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken,
    )
    try:
        return rust_parser().parse(text, start=rule)
    except UnexpectedToken as e:
        expected = e.accepts or e.expected
        if e.token.type == "$END":
            raise ParseError("unexpected end of input" + _expected(expected), text,
                             len(text.rstrip()), what=what) from None
        raise ParseError(f"unexpected {e.token.value!r}" + _expected(expected), text,
                         e.token.start_pos or 0, what=what) from None
    except UnexpectedCharacters as e:
        at = e.pos_in_stream or 0
        raise ParseError(f"unexpected character {text[at]!r}", text, at, what=what) from None
    except UnexpectedEOF:
        raise ParseError("unexpected end of input", text, len(text), what=what) from None
    except (UnexpectedInput, LarkError) as e:
        raise ParseError(f"cannot parse: {e}", text, 0, what=what) from None
