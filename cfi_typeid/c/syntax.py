"""Lexing-level handling of C text: the cached Lark parser, the typedef-name lexer hack, GNU
noise, splitting a prelude into declarations, and turning Lark's exceptions into ours.

C is not context free: ``T * x;`` is a declaration when ``T`` names a type.  The classic answer
(pycparser's too) is that the lexer asks the symbol table; ours reads the current set of typedef
names from a context variable.  Because the declaration that introduces a typedef must be reduced
before the next one is lexed, text is split into declarations at top-level ``;`` and each is
parsed on its own, in order.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any, Container, Iterator

from ..errors import ParseError, expected_phrase
from ..parsing.compiled import fast_parser
from ..parsing.lalr import Parser, Token
from ..parsing.tables import grammar_text, load_tables
from ..memo import remember

if TYPE_CHECKING:
    from lark import Lark

TYPEDEF_NAMES: ContextVar[Container[str]] = ContextVar("TYPEDEF_NAMES", default=frozenset())


#: Keywords of C and its GNU/MS dialects that would change a type id but that we do not model:
#: refused by name rather than misread as identifiers.
_UNSUPPORTED_KEYWORDS = {
    "_Atomic": "_Atomic types are not supported (clang mangles them as U7_Atomic)",
    "typeof": "typeof is not supported; write the type itself",
    "__typeof": "typeof is not supported; write the type itself",
    "__typeof__": "typeof is not supported; write the type itself",
    "typeof_unqual": "typeof is not supported; write the type itself",
    "__auto_type": "__auto_type is not supported; write the type itself",
    "_Imaginary": "_Imaginary types are not supported",
    **{cc: f"the calling convention {cc} is not supported (clang may mangle it into the type)"
       for cc in ("__stdcall", "__fastcall", "__cdecl", "__thiscall", "__vectorcall",
                  "__regcall", "_stdcall", "_fastcall", "_cdecl")},
}


class _UnsupportedKeyword(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__(str(token))
        self.token = token


def _classify_identifier(token: Token) -> Token:
    if token.value in _UNSUPPORTED_KEYWORDS:
        raise _UnsupportedKeyword(token)
    # The lexer hack: an identifier that names a typedef in scope is a type name.
    token.type = "TYPEDEF_NAME" if token.value in TYPEDEF_NAMES.get() else "IDENTIFIER"
    return token


_LEXER_CALLBACKS = {"IDENTIFIER": _classify_identifier, "TYPEDEF_NAME": _classify_identifier}


def _grammar() -> str:
    return grammar_text("c.lark")


@cache
def c_parser() -> Lark:
    """Lark's LALR parser for ``grammar/c.lark``, building trees: the slow path, whose errors
    are the ones users see, and the source of the fast path's tables.  Built once per process;
    ``cache=True`` stores Lark's own tables (keyed by grammar, options and Lark version) in the
    temp directory."""
    from lark import Lark
    return Lark(_grammar(), parser="lalr", lexer="contextual", start=["declaration", "target"],
                propagate_positions=False, maybe_placeholders=False, cache=True,
                lexer_callbacks=dict(_LEXER_CALLBACKS))


@cache
def c_fast_parser(methods: object) -> Parser:
    """The same grammar's tables run by :class:`cfi_typeid.parsing.lalr.Parser`, with ``methods`` (one
    per rule, ``v_args(inline=True)`` style) called at each reduction: no tree, and no Lark
    import once the tables are cached.  Parameter declarations may be reused (see
    :func:`parse_c_fast`)."""
    parser = fast_parser(load_tables("c", _grammar(), c_parser), methods, _LEXER_CALLBACKS,
                    reused=("parameter_declaration", lambda text, at: _parameter_key(
                        parser, text, at)))
    return parser


#: A parameter declaration without parentheses or braces, through the "," or ")" after it
#: (brackets may hold anything but brackets and braces: ``char s[N + 1]``).  Function-pointer
#: parameters are parsed every time; they are a minority.  Runs and possessive: no
#: backtracking stack (one entry per character cost ~128 bytes a character of a parameter).
_PARAMETER_SPAN = re.compile(r"(?:[^(){}\[\],;]+|\[[^\[\]{};]*\])*+([,)])")
#: The last word of a parameter declaration outside brackets: its name, if it has one.
_LAST_WORD = re.compile(
    r"(?<![A-Za-z0-9_$])([A-Za-z_$][A-Za-z0-9_$]*)(?:\s*\[[^\[\]{};]*\])*\s*[,)]\Z")
_TAG_KEYWORD_BEFORE = re.compile(r"(?<![A-Za-z0-9_$])(?:struct|union|enum)\s*\Z")
#: word -> whether the lexer makes an identifier of it (not a keyword, nor refused)
_IDENTIFIER_WORDS: dict[str, bool] = {}


def _parameter_key(parser: Parser, text: str, at: int) -> tuple[str, int, int] | None:
    """The key under which a parameter declaration starting at ``at`` is reused, and where
    the "," or ")" after it starts and ends (see :meth:`cfi_typeid.parsing.lalr.Parser.parse`).

    The key is the declaration's text with its name, if any, left out: ``size_t len`` and
    ``size_t n`` declare the same parameter type.  The name is the last word outside brackets
    when the lexer makes it an identifier (not a keyword, a typedef name or a refused word)
    and it is not a tag (``struct dev``); an identifier there is the declarator's name, whose
    spelling no rule method looks at.  Anything else is kept as written."""
    m = _PARAMETER_SPAN.match(text, at)
    if m is None:
        return None
    span = m.group()
    last = _LAST_WORD.search(span)
    if last is not None:
        word = last.group(1)
        plain = _IDENTIFIER_WORDS.get(word)
        if plain is None:
            plain = remember(_IDENTIFIER_WORDS, word, word not in _UNSUPPORTED_KEYWORDS
                             and parser.lone_word(word) in ("IDENTIFIER", "TYPEDEF_NAME"), 4096)
        if plain and word not in TYPEDEF_NAMES.get() \
                and _TAG_KEYWORD_BEFORE.search(span, 0, last.start(1)) is None:
            span = f"{span[:last.start(1)]}\0{span[last.end(1):]}"
    return span, m.start(1), m.end()


def parse_c_fast(text: str, start: int, end: int, rule: str, typedef_names: Container[str],
                 methods: object, parameters: dict[tuple[int, str], Any] | None = None) -> Any:
    """What ``methods`` make of ``text[start:end]`` (start symbol ``rule``).  Any failure,
    syntax or meaning, is raised as is: the caller reparses with :func:`parse_c` for the
    error users see.  ``parameters``, when given, remembers parameter declarations parsed
    with these ``typedef_names`` and reuses them (see :meth:`cfi_typeid.parsing.lalr.Parser.parse`)."""
    token = TYPEDEF_NAMES.set(typedef_names)
    try:
        return c_fast_parser(methods).parse(text[start:end], rule, parameters)
    finally:
        TYPEDEF_NAMES.reset(token)


# ---- GNU noise ----------------------------------------------------------------------------

_NOISE = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
      | (?P<pp>^[ \t]*\#(?:[^\n]*\\\n)*[^\n]*)
      | (?P<call>\b(?:__attribute__|__attribute|__asm__|__asm|asm|__declspec|_Alignas|alignas
                    |__typeof_unqual__)\b)
      | (?P<word>\b(?:_Nonnull|_Nullable|_Null_unspecified|_Nullable_result|__nonnull
                    |__wur|__THROW|__nothrow|__restrict_arr)\b)
      | (?P<attr>\[\[)""",
    re.S | re.M | re.X,
)


#: Attributes that change the type id (checked with clang-19): vector and mode attributes make
#: other types (``Dv4_i``, ``l``), address spaces and some calling conventions are mangled as
#: vendor qualifiers (``U3AS1``, ``U7stdcall``).  They are refused, never silently dropped.
_TYPE_CHANGING_ATTRIBUTES = re.compile(
    r"\b_*(vector_size|ext_vector_type|neon_vector_type|neon_polyvector_type|mode"
    r"|address_space|stdcall|fastcall|swiftcall|swiftasynccall)_*\b")
#: Calling conventions clang mangles as a vendor qualifier on some targets (``U6ms_abi``):
#: the attribute becomes a qualifier keyword the grammar reads (``__cfi_cc_ms_abi``), moved
#: after the ``*`` it precedes (``int (__attribute__((ms_abi)) *p)(int)``), where a pointer's
#: qualifiers are; :mod:`cfi_typeid.c.semantics` puts it on the function type it names.
_CALLING_CONVENTION = re.compile(r"\b_*(ms_abi|sysv_abi)_*\b")


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) replaced by spaces, newlines kept, so offsets do not move."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _calling_convention(text: str, start: int, end: int, name: str) -> str:
    """``text`` with the attribute at [start, end) replaced by its qualifier keyword, which
    goes after a ``*`` that follows the attribute (offsets stay within the span)."""
    keyword = f"__cfi_cc_{name}"
    star = re.compile(r"\s*\*").match(text, end)
    text = _blank(text, start, star.end() if star else end)
    if star is not None:
        keyword = "*" + keyword
    assert len(keyword) < (star.end() if star else end) - start  # a space stays after it
    return text[:start] + keyword + text[start + len(keyword):]


def _balanced_end(text: str, start: int, open_: str, close: str) -> int:
    """Offset just past the bracket group that opens at ``start`` (or the end of ``text``)."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def blank_noise(text: str, what: str = "input") -> str:
    """Replace comments, preprocessor lines, ``__attribute__((...))``, ``__asm__(...)``,
    nullability keywords and ``[[...]]`` attributes by spaces; they never change a type id."""
    if _NOISE.search(text) is None:
        return text
    pos = 0
    while (m := _NOISE.search(text, pos)) is not None:
        start, end = m.span()
        if m.group("comment") is not None and m.group().startswith("/*") \
                and not m.group().endswith("*/"):
            raise ParseError("unterminated comment", text, start, what=what)
        if m.group("call") is not None:
            paren = re.compile(r"\s*\(").match(text, end)
            if paren is not None:
                close = _balanced_end(text, paren.end() - 1, "(", ")")
                if close < 0:
                    raise ParseError(f"unbalanced parentheses after {m.group()!r}", text,
                                     start, what=what)
                inside = re.sub(r'"(?:[^"\\]|\\.)*"', lambda q: " " * len(q.group()),
                                text[:close])  # not in strings: section("mode")
                changing = _TYPE_CHANGING_ATTRIBUTES.search(inside, paren.end(), close)
                if changing is not None and m.group().startswith("__attribute"):
                    raise ParseError(f"__attribute__(({changing.group(1)})) changes the type "
                                     "id (clang mangles it into the type); it is not supported",
                                     text, changing.start(), what=what)
                convention = _CALLING_CONVENTION.search(inside, paren.end(), close)
                if convention is not None and m.group().startswith("__attribute"):
                    text = _calling_convention(text, start, close, convention.group(1))
                    pos = close
                    continue
                end = close
        elif m.group("attr") is not None:
            close = _balanced_end(text, start, "[", "]")
            if close < 0:
                raise ParseError("unterminated [[attribute]]", text, start, what=what)
            end = close
        text = _blank(text, start, end)
        pos = end
    return text


# ---- splitting into declarations ----------------------------------------------------------

_SPLIT = re.compile(r"'(?:[^'\\\n]|\\.)*'|[{};]")


def split_declarations(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each top-level declaration: up to and including a ``;`` outside braces.
    The last span holds whatever follows the last ``;`` (it may be blank)."""
    depth, start = 0, 0
    for m in _SPLIT.finditer(text):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif c == ";" and depth == 0:
            yield start, m.end()
            start = m.end()
    yield start, len(text)


# ---- parsing and errors -------------------------------------------------------------------

_TOKEN_WORDS = {
    "IDENTIFIER": "an identifier", "TYPEDEF_NAME": "a type name", "BASIC_TYPE": "a type",
    "SEMICOLON": "';'", "COMMA": "','", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['",
    "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "STAR": "'*'", "ELLIPSIS": "'...'",
    "INTEGER": "a number", "EQUAL": "'='", "COLON": "':'",
}


def _expected(allowed: set[str]) -> str:
    return expected_phrase(allowed, _TOKEN_WORDS)


def parse_c(text: str, start: int, end: int, rule: str, typedef_names: Container[str],
            what: str = "input") -> Any:
    """Parse ``text[start:end]`` with Lark (start symbol ``rule``) into a tree whose token
    positions are relative to ``start``; syntax errors are raised as :class:`ParseError`
    pointing into ``text``."""
    from lark.exceptions import (
        LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken,
    )
    token = TYPEDEF_NAMES.set(typedef_names)
    try:
        return c_parser().parse(text[start:end], start=rule)
    except _UnsupportedKeyword as e:
        raise ParseError(_UNSUPPORTED_KEYWORDS[e.token.value], text,
                         start + (e.token.start_pos or 0), what=what) from None
    except UnexpectedToken as e:
        if e.token.type == "$END":
            raise ParseError("unexpected end of declaration" + _expected(e.accepts or e.expected),
                             text, end, what=what) from None
        expected = e.accepts or e.expected
        if e.token.type == "IDENTIFIER" and "TYPEDEF_NAME" in expected:
            raise ParseError(f"unknown type name {e.token.value!r} (declare it in the prelude, "
                             f"e.g. 'typedef struct {e.token.value} {e.token.value};')", text,
                             start + (e.token.start_pos or 0), what=what) from None
        raise ParseError(f"unexpected {e.token.value!r}" + _expected(expected),
                         text, start + (e.token.start_pos or 0), what=what) from None
    except UnexpectedCharacters as e:
        at = start + (e.pos_in_stream or 0)
        raise ParseError(f"unexpected character {text[at]!r}", text, at, what=what) from None
    except UnexpectedEOF:
        raise ParseError("unexpected end of declaration", text, end, what=what) from None
    except (UnexpectedInput, LarkError) as e:
        raise ParseError(f"cannot parse: {e}", text, start, what=what) from None
    finally:
        TYPEDEF_NAMES.reset(token)
