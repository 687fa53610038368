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
from typing import TYPE_CHECKING, Any, Container, Iterator, NamedTuple

from .scope import CURRENT_SCOPE
from ..errors import ParseError, expected_phrase
from ..parsing.compiled import fast_parser
from ..parsing.lalr import Parser, Token
from ..parsing.tables import grammar_text, load_tables
from ..memo import remember
from ..regex_code import cached_regex

if TYPE_CHECKING:
    from lark import Lark

TYPEDEF_NAMES: ContextVar[Container[str]] = ContextVar("TYPEDEF_NAMES", default=frozenset())


#: Keywords of C and its GNU/MS dialects that would change a type id but that we do not model:
#: refused by name rather than misread as identifiers.
_UNSUPPORTED_KEYWORDS = {
    "__auto_type": "__auto_type is not supported; write the type itself",
    "_Imaginary": "_Imaginary types are not supported",
    **{cc: f"the calling convention {cc} is not supported (clang may mangle it into the type)"
       for cc in ("__stdcall", "__fastcall", "__cdecl", "__thiscall", "__vectorcall",
                  "__regcall", "_stdcall", "_fastcall", "_cdecl")},
    # C17's keywords (and GNU's spellings) where only a name may stand: `struct int`
    **{word: f"expected a name, found the keyword {word!r}" for word in (
        "auto break case char const continue default do double else enum extern float for "
        "goto if inline int long register restrict return short signed sizeof static struct "
        "switch typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool "
        "_Complex "
        "_Generic _Noreturn _Static_assert _Thread_local __int128 __const __restrict "
        "__volatile __inline __signed __extension__ __builtin_va_list _BitInt").split()},
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
    return Lark(_grammar(), **_lark_options())


def _lark_options() -> dict[str, Any]:
    """The options of the C grammar's Lark parsers (:func:`c_parser`, :func:`_c_checker`)."""
    return dict(parser="lalr", lexer="contextual",
                start=["declaration", "target", "attribute_argument"],
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
_PARAMETER_SPAN = cached_regex(r"(?:[^(){}\[\],;]+|\[[^\[\]{};]*\])*+([,)])")
#: The last word of a parameter declaration outside brackets: its name, if it has one.
#: (Matched from the start, the greedy ``.*`` backtracking from the end: the one word that
#: can end the span is found from the right, where a search would try every word.)
_LAST_WORD = cached_regex(
    r"(?s:.*)(?<![A-Za-z0-9_$])([A-Za-z_$][A-Za-z0-9_$]*)(?:\s*\[[^\[\]{};]*\])*\s*[,)]\Z")
_WORD = cached_regex(r"[A-Za-z_$][A-Za-z0-9_$]*")


def _variable_inner_length(span: str) -> bool:
    """Whether an array length after the first names something not a constant (a parameter:
    a variable length, which stays after the parameter decays, and is its own type)."""
    constants = CURRENT_SCOPE.get().constants
    inner = span[span.index("]"):]
    return any(w.group() not in constants and w.group() != "sizeof"
               for w in _WORD.finditer(inner))
_TAG_KEYWORDS = ("struct", "union", "enum")
_TAG_KEYWORD_BEFORE = cached_regex(r"(?<![A-Za-z0-9_$])(?:struct|union|enum)\s*\Z")
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
    if span.count("[") > 1 and _variable_inner_length(span):
        return None  # a variable-length array after decay: each one is its own type
    last = _LAST_WORD.match(span)
    if last is not None:
        word = last.group(1)
        plain = _IDENTIFIER_WORDS.get(word)
        if plain is None:
            plain = remember(_IDENTIFIER_WORDS, word, word not in _UNSUPPORTED_KEYWORDS
                             and parser.lone_word(word) in ("IDENTIFIER", "TYPEDEF_NAME"), 4096)
        if plain and word not in TYPEDEF_NAMES.get() \
                and not (span[:last.start(1)].rstrip().endswith(_TAG_KEYWORDS)
                         and _TAG_KEYWORD_BEFORE.search(span, 0, last.start(1)) is not None):
            span = f"{span[:last.start(1)]}\0{span[last.end(1):]}"
    return span, m.start(1), m.end()


@cache
def _c_recognizer() -> Parser:
    """The fast parser's tables with no rule methods: it only says whether text parses (the
    values are None; nothing is kept but the parse stack)."""
    return fast_parser(load_tables("c", _grammar(), c_parser), object(), _LEXER_CALLBACKS,
                       default=lambda name, children: None)


def parses_c(text: str, start: int, end: int, rule: str, typedef_names: Container[str]
             ) -> bool:
    """Whether ``text[start:end]`` has no syntax error (start symbol ``rule``), without a
    tree: what lets a long declaration's meaning error stand without a tree parse (whose
    nodes cost ~150 bytes a character) to look for a syntax error after it."""
    token = TYPEDEF_NAMES.set(typedef_names)
    try:
        _c_recognizer().parse(text[start:end], rule)
    except Exception:  # noqa: BLE001 - any failure: the tree parse says what it is
        return False
    finally:
        TYPEDEF_NAMES.reset(token)
    return True


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

#: Every match starts with one of the characters of its first class, so the regex engine skips
#: to the next of them in C (a pattern that starts with ``\b`` or ``^`` is tried at every
#: position in Python's loop: 40 ms on openssl/ssl.h's 550 KB, 15 ms so); each branch then
#: looks back at that character for what it must be, ``^`` and ``\b`` before it as
#: look-behinds.  A branch's (empty) group says which matched.
_NOISE = cached_regex(
    r"""[/\#_as\[ \t]
      (?: (?<=/)(?:/[^\n]*|\*.*?(?:\*/|\Z))(?P<comment>)
        | (?<![^\n].)(?:(?<=\#)|(?<=[ \t])[ \t]*\#)(?:[^\n]*\\\n)*[^\n]*(?P<pp>)
        | (?<!\w.)(?:(?<=_)(?:_attribute__|_attribute|_asm__|_asm|_declspec|Alignas
                              |Static_assert)
                      |(?<=a)(?:sm|lignas)|(?<=s)tatic_assert)\b(?P<call>)
        | (?<!\w.)(?<=_)(?:Nonnull|Nullable|Null_unspecified|Nullable_result|_nonnull
                          |_wur|_THROW|_nothrow|_restrict_arr)\b(?P<word>)
        | (?<=\[)\[(?P<attr>))""",
    re.S | re.M | re.X,
)

#: Substrings every match of :data:`_NOISE` contains: a text with none of them (most single
#: declarations) has no noise, found with a few substring scans instead of a regex search
#: that tries every alternative at every position (~10 us for a 100-character prototype).
_NOISE_MARKERS = ("/", "#", "__", "asm", "[[", "_N", "lignas", "tatic_assert")

#: Attributes that change the type id in ways not modelled (checked with clang-19): address
#: spaces and some calling conventions are mangled as vendor qualifiers (``U3AS1``,
#: ``U7stdcall``).  They are refused, never silently dropped.  (Mode and vector attributes,
#: which make other types, ``l`` and ``Dv4_i``, are read: see below.)
_TYPE_CHANGING_ATTRIBUTES = cached_regex(
    r"\b_*(address_space|stdcall|fastcall|swiftcall|swiftasynccall)_*\b")
#: Calling conventions clang mangles as a vendor qualifier on some targets (``U6ms_abi``):
#: the attribute becomes a qualifier keyword the grammar reads (``__cfi_cc_ms_abi``), moved
#: after the ``*`` it precedes (``int (__attribute__((ms_abi)) *p)(int)``), where a pointer's
#: qualifiers are; :mod:`cfi_typeid.c.declarations` puts it on the function type it names.
_CALLING_CONVENTION = cached_regex(r"\b_*(ms_abi|sysv_abi)_*\b")
_CC_WORD = "__cfi_cc_"
_STAR = cached_regex(r"\s*\*")
#: ``mode(M)``, which selects another type (see :mod:`cfi_typeid.c.modes`): rewritten as the
#: word ``__cfi_mode_M`` in the attribute's place, which the grammar reads as a specifier.
_MODE_ATTRIBUTE = cached_regex(r"\b_*mode_*\s*\(\s*([A-Za-z0-9_]+)\s*\)")
_MODE_WORD = "__cfi_mode_"
#: ``vector_size(N)`` and ``ext_vector_type(N)`` (clang knows no other spelling than these
#: and ``__vector_size__``...): the name stays where it is, its argument after it, and
#: ``__cfi_`` before it makes a word the grammar reads (see :mod:`cfi_typeid.c.vectors`).
_VECTOR_ATTRIBUTE = cached_regex(
    r"\b(__)?(vector_size|ext_vector_type|neon_vector_type|neon_polyvector_type)(?(1)__)\b")
#: ``overloadable``: the function's symbol is its C++ mangled name (``_Z3fooi``);
#: ``pass_object_size`` on a parameter: clang cannot take the function's address
_OVERLOADABLE = cached_regex(r"\b_*(overloadable|pass_object_size|pass_dynamic_object_size)_*\b")
#: ``[[clang::overloadable]]`` (clang ignores ``[[gnu::overloadable]]``, which it does not know)
_OVERLOADABLE_ATTRIBUTE = cached_regex(r"\b_?_?[cC]lang\s*::\s*(?:__)?overloadable(?:__)?\b")


class _Blanker:
    """Builds a text of the same length with ranges blanked (newlines kept) in one pass:
    joining pieces once instead of copying the whole text per range (which made preludes
    with many comments quadratic)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[str] = []
        self.done = 0

    def blank(self, start: int, end: int, replacement: str = "") -> None:
        """Blank [start, end) (ranges come in order), putting ``replacement`` at its start."""
        if start < self.done:
            start = self.done
        if end <= start:
            return
        self.pieces.append(self.text[self.done:start])
        gap = self.text[start + len(replacement):end]
        self.pieces.append(replacement + (" " * len(gap) if "\n" not in gap
                                          else _NOT_NEWLINE.sub(" ", gap)))
        self.done = end

    def result(self) -> str:
        if not self.pieces:
            return self.text
        return "".join(self.pieces) + self.text[self.done:]


_NOT_NEWLINE = cached_regex(r"[^\n]")
#: A character constant (``'a'``, ``L'\0'``, ``u8'x'``), not a digit separator: a ``'`` after a
#: (hex) digit is one (C23's ``1'000``, ``0xff'ff``), or the text is not C.  (The quote
#: first, then what is before it: a lookbehind tried at every position of a file slowed the
#: header reader's scan by 4%.)
CHARACTER_CONSTANT = r"'(?:(?<![0-9A-Fa-f]')|(?<=u8'))(?:[^'\\\n]|\\.)*'"
_OPEN_PAREN = cached_regex(r"\s*\(")
_STRING = cached_regex(r'"(?:[^"\\]|\\.)*"')


#: String and character literals, whose brackets do not count, and the brackets themselves
#: (the kernel's ``asm("... .skip -(((" "665" ...)`` has unbalanced ones in its strings)
_BRACKETS = {(o, c): cached_regex(r""""(?:[^"\\\n]|\\.)*"|""" + CHARACTER_CONSTANT + "|"
                                + re.escape(o) + "|" + re.escape(c))
             for o, c in (("(", ")"), ("[", "]"))}


def _balanced_end(text: str, start: int, open_: str, close: str) -> int:
    """Offset just past the bracket group that opens at ``start`` (-1 when it never closes);
    brackets in string and character literals do not count."""
    depth = 0
    for m in _BRACKETS[open_, close].finditer(text, start):
        c = m.group()
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return m.end()
    return -1


def blank_noise(text: str, what: str = "input",
                refused: list[tuple[int, str]] | None = None,
                labels: list[tuple[int, str]] | None = None,
                overloads: list[tuple[int, str]] | None = None) -> str:
    """Replace comments, preprocessor lines, ``__attribute__((...))``, ``__asm__(...)``,
    ``_Static_assert(...)``, nullability keywords and ``[[...]]`` attributes by spaces; they
    never change a type id.  ``mode(M)`` attributes become ``__cfi_mode_M`` and the calling
    conventions clang mangles ``__cfi_cc_ms_abi`` / ``__cfi_cc_sysv_abi`` (they do).

    An attribute that would change the type id in a way we do not model raises
    :class:`ParseError`, or, when ``refused`` is given (a whole file read, where one
    declaration must not sink the rest), is blanked and noted there as (offset, reason).
    ``labels``, when given, gets each ``__asm__("name")`` label as (offset, name): the
    symbol of the function declared before it; ``overloads`` each
    ``__attribute__((overloadable))`` (whose functions clang links by a C++ name) and
    ``pass_object_size`` (whose function's address cannot be taken) as (offset, word)."""
    if not any(map(text.__contains__, _NOISE_MARKERS)) or _NOISE.search(text) is None:
        return text
    out = _Blanker(text)
    for m in _NOISE.finditer(text):
        start, end = m.span()
        if start < out.done:
            continue  # inside a group blanked already
        replacement = ""
        if m.group("comment") is not None and m.group().startswith("/*") \
                and not m.group().endswith("*/"):
            raise ParseError("unterminated comment", text, start, what=what)
        if m.group("call") is not None:
            paren = _OPEN_PAREN.match(text, end)
            if paren is not None:
                close = _balanced_end(text, paren.end() - 1, "(", ")")
                if close < 0:
                    raise ParseError(f"unbalanced parentheses after {m.group()!r}", text,
                                     start, what=what)
                if m.group().startswith("__attribute"):
                    replacement = _attribute(text, paren.end(), close, what, refused, start)
                    if overloads is not None:
                        found = _OVERLOADABLE.search(text, paren.end(), close)
                        if found is not None:
                            overloads.append((start, found.group(1)))
                    star = _STAR.match(text, close) if replacement.startswith(_CC_WORD) \
                        else None
                    if star is not None:  # a pointer's qualifiers follow its '*'
                        close, replacement = star.end(), "*" + replacement
                elif labels is not None and "asm" in m.group():
                    literals = _STRING.findall(text, paren.end(), close)
                    if literals:
                        labels.append((start, "".join(q[1:-1] for q in literals)))
                end = close
        elif m.group("attr") is not None:
            close = _balanced_end(text, start, "[", "]")
            if close < 0:
                raise ParseError("unterminated [[attribute]]", text, start, what=what)
            if overloads is not None:
                found = _OVERLOADABLE_ATTRIBUTE.search(text, start, close)
                if found is not None:
                    overloads.append((start, "overloadable"))
            end = close
        out.blank(start, end, replacement)
    return out.result()


def _attribute(text: str, start: int, end: int, what: str,
               refused: list[tuple[int, str]] | None, outer: int = 0) -> str:
    """What stands for ``__attribute__((...))`` (its inside is ``text[start:end]``, the
    whole begins at ``outer``): nothing, a mode word, a calling convention or a vector."""
    inside = text[start:end]
    if '"' in inside:
        inside = _STRING.sub(lambda q: " " * len(q.group()), inside)  # section("mode")
    changing = _TYPE_CHANGING_ATTRIBUTES.search(inside)
    if changing is not None:
        message = (f"__attribute__(({changing.group(1)})) changes the type id (clang mangles "
                   "it into the type); it is not supported")
        if refused is None:
            raise ParseError(message, text, start + changing.start(), what=what)
        refused.append((start + changing.start(), message))
        return ""
    convention = _CALLING_CONVENTION.search(inside)
    if convention is not None:
        return _CC_WORD + convention.group(1)
    vector = _VECTOR_ATTRIBUTE.search(inside)
    if vector is not None:
        return _vector_attribute(text, start, end, inside, vector, what, refused, outer)
    mode = _MODE_ATTRIBUTE.search(inside)
    return _MODE_WORD + mode.group(1) if mode is not None else ""


def _vector_attribute(text: str, start: int, end: int, inside: str, vector: re.Match[str],
                      what: str, refused: list[tuple[int, str]] | None, outer: int) -> str:
    """What stands for an ``__attribute__((...))`` with a vector attribute: blanks, then
    ``__cfi_`` right before the attribute's name, and the name and its argument as written
    (so that positions stay the user's)."""
    name_at = start + vector.start()
    paren = _OPEN_PAREN.match(text, start + vector.end())
    close = -1 if paren is None else _balanced_end(text, paren.end() - 1, "(", ")")
    message = ""
    if paren is None or paren.end() > end:
        message = f"'{vector.group(2)}' attribute takes one argument"
    elif close < 0 or close > end:
        message = f"unbalanced parentheses after {vector.group(2)!r}"
    elif _MODE_ATTRIBUTE.search(inside) or _VECTOR_ATTRIBUTE.search(inside, vector.end()):
        message = (f"{vector.group(2)} with another vector_size, ext_vector_type or mode in "
                   "one __attribute__ is not supported")
    if message:
        if refused is None:
            raise ParseError(message, text, name_at, what=what)
        refused.append((name_at, message))
        return ""
    word_at = name_at - len("__cfi_")
    return " " * (word_at - outer) + "__cfi_" + text[name_at:close]


# ---- splitting into declarations ----------------------------------------------------------

_SPLIT = cached_regex(CHARACTER_CONSTANT + r"|[{};]")


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


class FileSpan(NamedTuple):
    """One top-level declaration of a whole file, as :func:`split_file` found it.

    ``kind`` is ``declaration`` (up to its ``;``; a function definition's body became that
    ``;``), or ``knr`` (a K&R definition: ``head`` is the declarator up to its identifier
    list's ``)``, ``parameters`` the spans of the declarations before the body)."""

    start: int
    end: int
    kind: str = "declaration"
    head: int = 0
    parameters: tuple[tuple[int, int], ...] = ()


_FILE_TOKENS = cached_regex(CHARACTER_CONSTANT + r"""|"(?:[^"\\\n]|\\.)*"|[{}()\[\];=,]""")
#: a `)` followed by a name: where a K&R identifier list ends and its declarations begin
_KNR_HEAD = cached_regex(r"\)\s*(?=[A-Za-z_$])")


def split_file(text: str) -> tuple[str, list[FileSpan]]:
    """A whole file's top-level declarations, and the text they are to be parsed in: every
    function definition's body (braces matched, never parsed) replaced by ``;``, and every
    initializer (``= ...`` up to the next ``,`` or ``;``) blanked.  Linear in the text (run
    after :func:`blank_noise`)."""
    out = _Blanker(text)
    spans: list[FileSpan] = []
    tokens = list(_FILE_TOKENS.finditer(text))
    start, depth, i, n = 0, 0, 0, len(tokens)
    while i < n:
        m = tokens[i]
        c = m.group()[0]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth = max(0, depth - 1)
        elif c == "{" and depth:  # a tag defined in brackets (a parameter's type)
            i = _closing_brace(tokens, i + 1) + 1
            continue
        elif c == ";":  # (outside braces, a ";" ends a declaration even in brackets left
            depth = 0   # open: `int f(int x;` must not swallow the rest of the file)
            spans.append(FileSpan(start, m.end()))
            start = m.end()
        elif depth:
            pass
        elif c == "=":
            i = _initializer_end(tokens, i + 1)
            out.blank(m.start(), tokens[i].start() if i < n else len(text))
            continue  # the "," or ";" after it is read as usual
        elif c == "{":
            j = _closing_brace(tokens, i + 1)
            close = tokens[j].end() if j < n else len(text)
            before = _previous_character(text, m.start())
            if before in (")", ";"):  # a function definition's body
                out.blank(m.start(), close, ";")
                if before == ";":
                    spans = _knr(text, spans, start, close)
                else:
                    spans.append(FileSpan(start, close))
                start = close
            i = j + 1
            continue
        i += 1
    spans.append(FileSpan(start, len(text)))
    return out.result(), spans


def _previous_character(text: str, at: int) -> str:
    at -= 1
    while at >= 0 and text[at] in " \t\n\r\f\v":
        at -= 1
    return text[at] if at >= 0 else ""


def _closing_brace(tokens: list[re.Match[str]], i: int) -> int:
    """Index of the ``}`` that closes the ``{`` before ``tokens[i]`` (``len(tokens)`` if
    none does)."""
    depth = 1
    for j in range(i, len(tokens)):
        c = tokens[j].group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens)


def _initializer_end(tokens: list[re.Match[str]], i: int) -> int:
    """Index of the ``,`` or ``;`` outside brackets that ends an initializer."""
    depth = 0
    for j in range(i, len(tokens)):
        c = tokens[j].group()[0]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth <= 0 and c in ",;":
            return j
    return len(tokens)


def _knr(text: str, spans: list[FileSpan], start: int, close: int) -> list[FileSpan]:
    """A K&R definition ``int f(a, b) int a; long b; {...}``: the spans from its head (the
    last one with a name after a ``)``) to the body become one ``knr`` span."""
    for k in range(len(spans) - 1, max(-1, len(spans) - 256), -1):
        head = None
        for head in _KNR_HEAD.finditer(text, spans[k].start, spans[k].end):
            pass
        if head is not None:
            after = head.start() + 1
            parameters = ((after, spans[k].end), *((p.start, p.end) for p in spans[k + 1:]))
            return spans[:k] + [FileSpan(spans[k].start, close, "knr", after, parameters)]
    return spans + [FileSpan(start, close)]


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
    return _lark_parse(c_parser(), text, start, end, rule, typedef_names, what)


def check_c_syntax(text: str, start: int, end: int, rule: str, typedef_names: Container[str],
                   what: str = "input") -> None:
    """Raise the :class:`ParseError` :func:`parse_c` raises for a syntax error in
    ``text[start:end]``, without building a tree (Lark's nodes and tokens cost ~150 bytes a
    character of a long declaration)."""
    _lark_parse(_c_checker(), text, start, end, rule, typedef_names, what)


@cache
def _c_checker() -> Lark:
    """:func:`c_parser` reducing every rule to an empty node: a syntax check that keeps no
    tree."""
    from lark import Lark, Transformer, Tree

    def empty_node(self: Any, data: Any, children: Any, meta: Any) -> Any:
        # an empty node (one a parent may splice in, as Lark does `_rule`s), children dropped
        return Tree(data, [])

    # (the class is made by a call, not a nested class statement: mypyc compiles this module
    # in the optional build, and it supports no nested class definitions)
    discard = type("Discard", (Transformer,), {"__default__": empty_node})
    return Lark(_grammar(), **_lark_options(), transformer=discard())


_CONSTEXPR_REFUSED = ("constexpr objects (C23) are not supported: write the constant as an "
                      "enumerator ('enum { N = 3 };'), which has the same value in a type")


def _reading_c23() -> bool:
    """Whether the declaration being parsed is read as C23 (for an error's wording)."""
    scope = CURRENT_SCOPE.get(None)
    return scope is not None and scope.target.c_standard.constexpr


def _lark_parse(parser: Lark, text: str, start: int, end: int, rule: str,
                typedef_names: Container[str], what: str) -> Any:
    from lark.exceptions import (
        LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken,
    )
    token = TYPEDEF_NAMES.set(typedef_names)
    try:
        return parser.parse(text[start:end], start=rule)
    # (each clause names its exception differently: compiled by mypyc, a name has one type)
    except _UnsupportedKeyword as refused:
        raise ParseError(_UNSUPPORTED_KEYWORDS[refused.token.value], text,
                         start + (refused.token.start_pos or 0), what=what) from None
    except UnexpectedToken as e:
        if e.token.type == "$END":
            raise ParseError("unexpected end of declaration" + _expected(e.accepts or e.expected),
                             text, end, what=what) from None
        expected = e.accepts or e.expected
        if e.token.type == "IDENTIFIER" and "TYPEDEF_NAME" in expected:
            if e.token.value == "constexpr" and _reading_c23():
                raise ParseError(_CONSTEXPR_REFUSED, text, start + (e.token.start_pos or 0),
                                 what=what) from None
            raise ParseError(f"unknown type name {e.token.value!r} (declare it in the prelude, "
                             f"e.g. 'typedef struct {e.token.value} {e.token.value};')", text,
                             start + (e.token.start_pos or 0), what=what) from None
        raise ParseError(f"unexpected {e.token.value!r}" + _expected(expected),
                         text, start + (e.token.start_pos or 0), what=what) from None
    except UnexpectedCharacters as bad:
        # (read untyped: Lark declares pos_in_stream None, and mypyc checks declared types)
        at = start + (getattr(bad, "pos_in_stream", None) or 0)
        raise ParseError(f"unexpected character {text[at]!r}", text, at, what=what) from None
    except UnexpectedEOF:
        raise ParseError("unexpected end of declaration", text, end, what=what) from None
    except (UnexpectedInput, LarkError) as other:
        raise ParseError(f"cannot parse: {other}", text, start, what=what) from None
    finally:
        TYPEDEF_NAMES.reset(token)
