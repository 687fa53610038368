"""Rust's lexical grammar as rustc reads it, for the passes that work on tokens rather than on
the item grammar: blanking comments and bodies, cutting a file into items, matching braces.

Every literal form is recognised (so that a brace inside ``r#"{"#`` or ``'{'`` is not a
brace): strings, byte strings and C strings, raw forms with any number of ``#``, chars and byte
chars, integers and floats with suffixes; comments nest (``/* /* */ */``), doc comments are
comments here (rustc turns them into ``#[doc]``, which never changes a type id); a shebang line
is skipped.  :func:`unescape` gives a literal's value with rustc's escape rules, and refuses
what rustc refuses (``\\u{D800}``, ``\\x80`` in a ``str``, an unknown escape) with a position.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import ParseError
from ..regex_code import cached_regex


class Tok(NamedTuple):
    """A token: its kind (``ident``, ``lifetime``, ``string``, ``char``, ``number``,
    ``punct``) and its span in the text."""

    kind: str
    start: int
    end: int


#: One token after any whitespace (which no token begins with; ``punct`` is any other
#: character).  Whitespace before nothing matches nothing: the end of the tokens.  Strings
#: and raw strings are matched whole; their opening alone (``raw``, ``string``) only matches
#: when they are unterminated, as a lone ``'`` (``quote``) does where no literal begins.
#: The first two alternatives are shortcuts for the most common tokens, taken where none of
#: the others could match (the engine tries alternatives in order, and a named group's first
#: character is no quick test for it): a character that begins no literal, comment or word
#: (``punctfast``), a word that begins no literal nor a raw identifier (``identfast``); half
#: the regex time on bindgen's output, the tokens the same.
_TOKEN = cached_regex(r"""\s*(?:
    (?P<punctfast>[^\w\s'"/])
  | (?P<identfast>(?![bc]?r[\#"]|[bc]?"|b')[^\W\d]\w*)
  | (?P<comment>//[^\n]*)
  | (?P<block>/\*)
  | (?P<rawstring>[bc]?r(?P<rawhashes>\#*)".*?"(?P=rawhashes))
  | (?P<raw>[bc]?r\#*")
  | (?P<plainstring>[bc]?"(?:[^"\\]|\\.)*")
  | (?P<string>[bc]?")
  | (?P<char>b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]*\}|[^\n])|[^\\'\n\r\t])')
  | (?P<lifetime>'(?:r\#)?[^\W\d]\w*)
  | (?P<number>(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+
                 |[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9_]*[0-9][0-9_]*)?)
               (?:[^\W\d]\w*)?)
  | (?P<ident>(?:r\#)?[^\W\d]\w*)
  | (?P<quote>')
  | (?P<punct>\S)
)""", re.X | re.S)
#: The token kind of each group that is a token as it matched.
_KINDS = {"ident": "ident", "punct": "punct", "number": "number", "plainstring": "string",
          "rawstring": "string", "char": "char", "lifetime": "lifetime",
          "punctfast": "punct", "identfast": "ident"}
#: The same by group number (a match's ``lastindex``: the outermost group of the token, as
#: it closes last), None for the groups that are no token.
_KIND_BY_INDEX: list[str | None] = [None] * (_TOKEN.groups + 1)
for _name, _index in _TOKEN.groupindex.items():
    _KIND_BY_INDEX[_index] = _KINDS.get(_name)

_SHEBANG = cached_regex(r"#!(?!\s*\[)[^\n]*")
_SURROGATE = cached_regex(f"[{chr(0xD800)}-{chr(0xDFFF)}]")  # (mypyc takes no surrogate literal)


def check_text(text: str, what: str) -> None:
    """Refuse text holding lone surrogates (how undecodable bytes arrive, through
    ``surrogateescape``): rustc refuses a file that is not UTF-8."""
    if not text.isascii():
        m = _SURROGATE.search(text)
        if m is not None:
            raise ParseError("the text is not valid UTF-8", text, m.start(), what=what)


def block_comment_end(text: str, start: int, what: str) -> int:
    """The end of the (nested) block comment opening at ``start``."""
    depth, i = 0, start
    opens = re.compile(r"/\*|\*/")
    while True:
        m = opens.search(text, i)
        if m is None:
            raise ParseError("unterminated block comment", text, start, what=what)
        depth += 1 if m.group() == "/*" else -1
        i = m.end()
        if depth == 0:
            return i


def tokenize(text: str, what: str = "input",
             comments: list[tuple[int, int]] | None = None) -> list[Tok]:
    """The tokens of ``text``, comments and whitespace left out; the spans of the comments
    (and of a shebang line) are appended to ``comments`` when it is given."""
    out: list[Tok] = []
    pos = 0
    shebang = _SHEBANG.match(text)
    if shebang is not None:
        pos = shebang.end()
        if comments is not None:
            comments.append((0, pos))
    new = tuple.__new__  # Tok(kind, start, end) without the namedtuple's Python __new__
    append, kinds = out.append, _KIND_BY_INDEX
    while True:
        after_block = -1
        for m in _TOKEN.finditer(text, pos):  # contiguous: only whitespace is between them
            index = m.lastindex or 0
            kind = kinds[index]
            if kind is not None:
                append(new(Tok, (kind, m.start(index), m.end())))
                continue
            start, end = m.start(index), m.end()
            group = m.lastgroup
            if group == "comment":
                if comments is not None:
                    comments.append((start, end))
            elif group == "block":
                after_block = block_comment_end(text, start, what)
                if comments is not None:
                    comments.append((start, after_block))
                break  # go on after the comment's end
            elif group == "raw":
                raise ParseError("unterminated raw string", text, start, what=what)
            elif group == "string":
                raise ParseError("unterminated string", text, start, what=what)
            else:
                raise ParseError("unterminated character literal", text, start, what=what)
        if after_block < 0:
            break
        pos = after_block
    return out


# ---- literal values -----------------------------------------------------------------------

_ESCAPE = cached_regex(r"""\\(?:
    (?P<simple>[nrt\\0'"])
  | x(?P<hex>[0-9a-fA-F]{2})
  | u\{(?P<unicode>[0-9a-fA-F_]{0,12})\}
  | (?P<continuation>\n[ \t\n\r]*)
  | (?P<bad>.?)
)""", re.X | re.S)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}


class EscapeError(ValueError):
    """A literal rustc refuses: ``offset`` is into the literal's token."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def unescape(token: str) -> str:
    """The value of a string or char literal token (byte literals: one character per byte).
    Raises :class:`EscapeError` for an escape rustc refuses."""
    byte = token.startswith("b")
    body_at = 1 if token[0] in "bc" else 0
    if token[body_at] == "r":
        hashes = len(token) - len(token.rstrip("#"))
        return token[body_at + 1 + hashes + 1: len(token) - hashes - 1]
    quote = token[body_at]
    body_at += 1
    body = token[body_at:-1]
    if "\\" not in body:
        if byte and not body.isascii():
            raise EscapeError("non-ASCII character in a byte literal", body_at)
        return body
    out: list[str] = []
    pos = 0
    for m in _ESCAPE.finditer(body):
        out.append(body[pos:m.start()])
        pos = m.end()
        out.append(_escaped(m, byte, quote, body_at))
    out.append(body[pos:])
    value = "".join(out)
    if byte and not value.isascii() and not all(ord(c) < 256 for c in value):
        raise EscapeError("non-ASCII character in a byte literal", body_at)
    return value


def _escaped(m: re.Match[str], byte: bool, quote: str, base: int) -> str:
    at = base + m.start()
    if m.group("simple") is not None:
        return _SIMPLE[m.group("simple")]
    if m.group("hex") is not None:
        value = int(m.group("hex"), 16)
        if value > 0x7F and not byte:
            raise EscapeError("out of range hex escape: must be at most \\x7f", at)
        return chr(value)
    if m.group("unicode") is not None:
        digits = m.group("unicode").replace("_", "")
        if byte:
            raise EscapeError("unicode escape in a byte literal", at)
        if not digits or len(digits) > 6:
            raise EscapeError("invalid unicode escape: 1 to 6 hex digits expected", at)
        value = int(digits, 16)
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise EscapeError(f"invalid unicode character escape \\u{{{digits}}}", at)
        return chr(value)
    if m.group("continuation") is not None and quote == '"':
        return ""
    shown = m.group("bad") or ""
    raise EscapeError(f"unknown character escape: '\\{shown}'", at)


_DIGITS = {"0x": (16, "0123456789abcdefABCDEF"), "0o": (8, "01234567"), "0b": (2, "01")}


def int_value(token: str) -> int | None:
    """The value of an integer literal token (``0x1F``, ``1_000usize``), or None when it does
    not fit 128 bits (rustc: "integer literal is too large"), checked on the digits before
    any conversion, so a 5,000-digit literal costs nothing."""
    digits = token.replace("_", "")
    base, alphabet = _DIGITS.get(digits[:2].lower(), (10, "0123456789"))
    if base != 10:
        digits = digits[2:]
    end = 0
    while end < len(digits) and digits[end] in alphabet:
        end += 1
    digits = digits[:end].lstrip("0") or "0"
    if len(digits) > {16: 32, 8: 43, 2: 128, 10: 39}[base]:
        return None
    value = int(digits, base)
    return value if value < 1 << 128 else None
