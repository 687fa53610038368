"""Lexing-level handling of Rust text: the cached Lark parser, blanking comments and function
bodies, and turning Lark's exceptions into :class:`~cfi_typeid.errors.ParseError`.

A user pastes source: items with bodies, comments, attributes.  Bodies never change a type id,
and Rust's expression grammar is far larger than its item grammar, so every function body is
blanked to ``{ }`` (spaces kept in place, so offsets in errors stay those of the user's text)
before the LALR parser sees the text.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Callable

from ..errors import ParseError, expected_phrase
from ..parsing.compiled import fast_parser
from ..parsing.lalr import Parser
from ..parsing.tables import grammar_text, load_tables
from .lexer import Tok, tokenize
from ..regex_code import cached_regex

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

Tokens = list[Tok]


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each of ``spans`` replaced by spaces, newlines kept, so offsets do not
    move (built once: blanking span by span would copy the text once per span)."""
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            start = pos
        out.append(text[pos:start])
        out.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        pos = max(pos, end)
    out.append(text[pos:])
    return "".join(out)


_NOT_NEWLINE = cached_regex(r"[^\n]")


def _word(text: str, tok: Tok) -> str:
    return text[tok.start:tok.end]


def _matching(tokens: Tokens, text: str, i: int, open_: str, close: str) -> int:
    """Index of the token closing the bracket opened by token ``i`` (or -1): every bracket
    in ``open_`` opens and every one in ``close`` closes."""
    depth = 0
    for j in range(i, len(tokens)):
        tok = tokens[j]
        if tok.kind != "punct":
            continue
        c = text[tok.start]
        if c in open_:
            depth += 1
        elif c in close:
            depth -= 1
            if depth == 0:
                return j
    return -1


def matching_bracket(tokens: Tokens, text: str, i: int) -> int:
    """Index of the token closing any bracket ``(``, ``[`` or ``{`` opened by token ``i``, all
    three kinds counted (or -1)."""
    return _matching(tokens, text, i, "([{", ")]}")


def _body_start(tokens: Tokens, text: str, i: int) -> int:
    """After ``fn NAME`` at token ``i``: the index of the ``{`` opening its body, or -1."""
    while i < len(tokens) and _word(text, tokens[i]) != "(":
        i += 1
    i = _matching(tokens, text, i, "(", ")")
    if i < 0:
        return -1
    depth = 0
    for j in range(i + 1, len(tokens)):
        c = _word(text, tokens[j])
        if c in ("(", "["):
            depth += 1
        elif c in (")", "]"):
            depth -= 1
        elif depth == 0 and c in (";", "}"):
            return -1
        elif depth == 0 and c == "{":
            return j
    return -1


def _item_start(tokens: Tokens, text: str, i: int) -> bool:
    """Whether token ``i`` begins an item (it follows nothing, ``;``, a brace or ``]``)."""
    return i == 0 or _word(text, tokens[i - 1]) in (";", "{", "}", "]")


def _skip_block(tokens: Tokens, text: str, i: int) -> int:
    """Index of the ``}`` closing the first ``{`` after token ``i`` (or -1)."""
    for j in range(i, len(tokens)):
        if _word(text, tokens[j]) == "{":
            return _matching(tokens, text, j, "{", "}")
    return -1


#: Attributes the grammar reads (they change a type id, or name a symbol); every other
#: attribute, of any content (``#[doc = r#"..."#]``, ``#[cfg(...)]``), is blanked.
KEPT_ATTRIBUTES = frozenset({"repr", "cfi_encoding", "link_name", "no_mangle", "unsafe",
                             "track_caller"})


def _attribute_end(tokens: Tokens, text: str, i: int) -> int:
    """If token ``i`` is the ``#`` of an attribute (``#[..]`` or ``#![..]``), the index of its
    closing ``]``; else -1."""
    j = i + 1
    if j < len(tokens) and _word(text, tokens[j]) == "!":
        j += 1
    if j >= len(tokens) or _word(text, tokens[j]) != "[":
        return -1
    return _matching(tokens, text, j, "[", "]")


def _attribute_name(tokens: Tokens, text: str, i: int) -> str:
    j = i + 1
    while j < len(tokens) and _word(text, tokens[j]) in ("!", "["):
        j += 1
    return _word(text, tokens[j]) if j < len(tokens) else ""


def _macro_end(tokens: Tokens, text: str, i: int) -> int:
    """If an item-level macro (``name! (..);``, ``name! {..}``, ``macro_rules! m {..}``,
    ``a::b! [..];``) starts at token ``i``, the index of its last token; else -1."""
    j = i
    while j + 1 < len(tokens) and tokens[j].kind == "ident" and _word(text, tokens[j + 1]) == ":":
        j += 3 if j + 2 < len(tokens) and _word(text, tokens[j + 2]) == ":" else 1
    if not (j + 1 < len(tokens) and tokens[j].kind == "ident"
            and _word(text, tokens[j + 1]) == "!"):
        return -1
    j += 2
    if j < len(tokens) and tokens[j].kind == "ident":
        j += 1  # macro_rules! NAME
    if j >= len(tokens) or _word(text, tokens[j]) not in ("(", "[", "{"):
        return -1
    close = matching_bracket(tokens, text, j)
    if close < 0:
        return -1
    if _word(text, tokens[j]) != "{" and close + 1 < len(tokens) \
            and _word(text, tokens[close + 1]) == ";":
        close += 1
    return close


#: What text must hold for blanking to change it or fail: a comment, a body or block, an
#: attribute, a macro, an ``impl``/``trait``, or a string that is not plain (escapes, raw
#: strings, ``'"'``).
_MAYBE_NOISE = cached_regex(r"""[{/\\#!]|'"|\b(?:impl|trait)\b""")


#: ``text``'s tokens and its comments' spans, as :func:`tokenize` gives them, when the caller
#: has them already (a whole file's reader, for an item cut from it); None when the caller
#: knows that nothing in them is blanked (no comment, attribute, macro, ``impl`` or body).
Lexed = tuple[Tokens, list[tuple[int, int]]] | None


def blank_noise(text: str, what: str = "input", impls: bool = False,
                lexed: Callable[[], Lexed] | None = None) -> str:
    """``text`` with comments blanked, every function body emptied to ``{ }``, ``impl``
    blocks (which never change a free function's type id) blanked out unless ``impls`` (a
    declaration asking for a method's id), item-level macros and the attributes no type id
    depends on blanked out.  ``trait`` blocks stay: trait objects name them (their default
    methods' bodies are emptied like any other).  ``lexed``, if given, gives ``text``'s
    tokens instead of lexing it again."""
    if _MAYBE_NOISE.search(text) is None and text.count('"') % 2 == 0:
        return text  # plain strings pair up: nothing to blank, nothing unterminated
    spans: list[tuple[int, int]]
    if lexed is None:
        spans = []
        tokens = tokenize(text, what, spans)
    else:
        given = lexed()
        if given is None:
            return text  # the caller saw nothing in the tokens that is ever blanked
        tokens, spans = given
    i = 0
    while i < len(tokens) - 1:
        tok = tokens[i]
        word = _word(text, tok)
        if word == "#":
            close = _attribute_end(tokens, text, i)
            if close >= 0:
                if _attribute_name(tokens, text, i) not in KEPT_ATTRIBUTES:
                    spans.append((tok.start, tokens[close].end))
                i = close + 1
                continue
        following = _word(text, tokens[i + 1])
        if not impls and _item_start(tokens, text, i) and (
                word == "impl" or (word == "unsafe" and following == "impl")):
            close = _skip_block(tokens, text, i)
            if close < 0:
                raise ParseError(f"unbalanced braces in this {word} block", text, tok.start,
                                 what=what)
            spans.append((tok.start, tokens[close].end))
            i = close + 1
            continue
        if tok.kind == "ident" and _item_start(tokens, text, i):
            close = _macro_end(tokens, text, i)
            if close >= 0:
                spans.append((tok.start, tokens[close].end))
                i = close + 1
                continue
        if word == "fn" and tokens[i + 1].kind == "ident":
            open_ = _body_start(tokens, text, i + 2)
            if open_ >= 0:
                close = _matching(tokens, text, open_, "{", "}")
                if close < 0:
                    raise ParseError("unbalanced braces in the body of this function", text,
                                     tok.start, what=what)
                spans.append((tokens[open_].end, tokens[close].start))
                i = close
        i += 1
    return _blanked(text, spans)


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
        # (read untyped: Lark declares pos_in_stream None, and mypyc checks declared types)
        at = getattr(e, "pos_in_stream", None) or 0
        raise ParseError(f"unexpected character {text[at]!r}", text, at, what=what) from None
    except UnexpectedEOF:
        raise ParseError("unexpected end of input", text, len(text), what=what) from None
    except (UnexpectedInput, LarkError) as e:
        raise ParseError(f"cannot parse: {e}", text, 0, what=what) from None
