"""What a struct's layout needs from the source text that the parse does not keep:
``packed`` and ``aligned(N)`` attributes (blank_noise blanks them, so they are read from the
source at the same offsets), on the struct, on each member and on typedefs, and the
``#pragma pack`` in force where a struct is defined (preprocessor lines are blanked too).

Each is read as clang-19 reads it, or refused with the reason: a spelling or an argument not
modelled (``aligned`` with no argument, whose value is the target's largest alignment,
``[[gnu::packed]]``, ``_Alignas``), an attribute on one of several declarators of one member
declaration, or on a pointer inside a declarator, and ``#pragma ms_struct``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable, NamedTuple, Sequence

from .scope import Scope
from .syntax import CHARACTER_CONSTANT
from ..model import Array, Type, unqualified
from ..regex_code import cached_regex


class Attributes(NamedTuple):
    """A struct's own layout rules: ``packed`` (every member aligned to 1), ``aligned(N)``
    (the struct aligned to at least N), and the ``#pragma pack`` in force (``pack``: no member
    aligned to more than it; 0 when none), ``ms_struct`` (laid out as mingw's are)."""

    packed: bool = False
    align: int = 1
    pack: int = 0
    microsoft: bool = False


class MemberAttributes(NamedTuple):
    """A member's own: ``packed``, ``aligned(N)`` (0 when none), and, declared with a typedef
    that has an ``aligned(N)`` of its own, that alignment (which may be less than its type's);
    and ``ms_struct`` (a struct's own attribute)."""

    packed: bool = False
    align: int = 0
    typedef_align: int = 0
    ms_struct: bool = False


class Member(NamedTuple):
    """A struct or union member as its layout needs it: its type, the layout of the unnamed
    struct or union it is of (if it is), its bit-field width (None: not a bit-field; -1: not
    a constant), whether it has a name, and where (an offset in the scope's text; -1)."""

    type: Type
    anonymous: object = None
    bits: int | None = None
    named: bool = True
    at: int = -1


PLAIN = Attributes()
PLAIN_MEMBER = MemberAttributes()
Refusal = str
#: The value of an ``aligned(...)`` argument's text, on the scope's target (``aligned``
#: alone is ``measure("")``); None when it is no integer constant
Measure = Callable[[str], "int | None"]

#: Attributes and specifiers that change a layout
_LAYOUT_WORDS = cached_regex(r"(?<![\w$])_*(?:packed|aligned|ms_struct|gcc_struct|"
                           r"randomize_layout|align|Alignas|alignas)_*(?![\w$])")
_PRAGMA = cached_regex(r"^[ \t]*#[ \t]*pragma[ \t]+(pack|ms_struct|options[ \t]+align)"
                     r"([^\n]*)", re.M)
_MARKER = cached_regex(r"__attribute|\[\[|lignas|__declspec")
TAG_KEYWORD = cached_regex(r"(?<![\w$])(?:struct|union|enum)(?![\w$])")
_NEXT_TOKEN = cached_regex(r"[^\s]")
WORD = cached_regex(r"[A-Za-z_$][\w$]*")
#: A struct body's tokens that delimit its members (strings and character constants skipped:
#: a digit separator, C23's ``1'000``, starts none)
_BODY = cached_regex(CHARACTER_CONSTANT + r"|\"(?:[^\"\\\n]|\\.)*\"|[{}()\[\];,*]")


class _SourceMarks(NamedTuple):
    """Found once per source text: where attributes may begin (most declarations have none,
    and are then checked with a bisection), and the ``#pragma pack`` state from each packing
    pragma on (offsets, and the pack in force from there or why it is not known)."""

    source: str
    markers: list[int]
    pragma_at: list[int]
    pragma_state: list[int | Refusal]


def marks(scope: Scope) -> _SourceMarks:
    found = scope.source_marks
    if not isinstance(found, _SourceMarks) or found.source is not scope.source:
        source = scope.source
        at, states = _pragma_states(source)
        found = scope.source_marks = _SourceMarks(
            source, [m.start() for m in _MARKER.finditer(source)], at, states)
    return found


def _pragma_states(source: str) -> tuple[list[int], list[int | Refusal]]:
    """clang's ``#pragma pack`` stack, run over the text: ``pack(N)``, ``pack()``,
    ``pack(push[, label][, N])``, ``pack(pop[, label])``, ``pack(show)``."""
    at: list[int] = []
    states: list[int | Refusal] = []
    current: int | Refusal = 0
    stack: list[tuple[str, int | Refusal]] = []
    for m in _PRAGMA.finditer(source):
        if m.group(1) != "pack":
            current = f"#pragma {m.group(1)} is not modelled"
        else:
            args = re.fullmatch(r"\s*\(([^()]*)\)\s*", m.group(2))
            items = [] if args is None else [a.strip() for a in args.group(1).split(",")]
            items = [a for a in items if a]
            current = _pragma_pack(items, current, stack) if args is not None \
                else "#pragma pack without its parentheses is not modelled"
        at.append(m.start())
        states.append(current)
    return at, states


def _pragma_pack(items: list[str], current: int | Refusal,
                 stack: list[tuple[str, int | Refusal]]) -> int | Refusal:
    numbers = [int(a, 0) for a in items if _NUMBER.fullmatch(a)]
    if any(n not in (1, 2, 4, 8, 16) for n in numbers):
        return "#pragma pack with an alignment other than 1, 2, 4, 8 or 16 is not modelled"
    words = [a for a in items if not _NUMBER.fullmatch(a)]
    if not items:
        return 0
    if not words and len(numbers) == 1:
        return numbers[0]
    if words[0] == "show" and len(items) == 1:
        return current
    if words[0] == "push" and len(words) <= 2 and len(numbers) <= 1 and items[0] == "push":
        stack.append((words[1] if len(words) > 1 else "", current))
        return numbers[0] if numbers else current
    if words[0] == "pop" and items[0] == "pop" and not numbers and len(words) <= 2:
        label = words[1] if len(words) > 1 else None
        for i in range(len(stack) - 1, -1, -1):
            if label is None or stack[i][0] == label:
                value = stack[i][1]
                del stack[i:]
                return value
        return current  # (clang warns, and keeps it)
    return f"#pragma pack({', '.join(items)}) is not modelled"


def pack_at(scope: Scope, at: int) -> int | Refusal:
    """The ``#pragma pack`` in force at offset ``at`` (0: none)."""
    found = marks(scope)
    if not found.pragma_at:
        return 0
    i = bisect_right(found.pragma_at, at)
    return 0 if i == 0 else found.pragma_state[i - 1]


def has_layout_words(scope: Scope, start: int, end: int) -> bool:
    """Whether ``source[start:end]`` has a layout word in what may be an attribute."""
    source, markers = scope.source, marks(scope).markers
    i = bisect_left(markers, start)
    return i < len(markers) and markers[i] < end \
        and _LAYOUT_WORDS.search(source, start, end) is not None


def closing_brace(text: str, open_: int) -> int:
    """The offset of the ``}`` that closes the ``{`` at ``open_``."""
    depth = 0
    for m in _BRACE.finditer(text, open_):
        depth += 1 if m.group() == "{" else -1
        if depth == 0:
            return m.start()
    return len(text)


_BRACE = cached_regex(r"[{}]")


def after_attributes(text: str, close: int) -> int:
    """The offset of the first token after ``close`` (blanked attributes are spaces)."""
    after = _NEXT_TOKEN.search(text, close + 1)
    return len(text) if after is None else after.start()


def struct_rules(scope: Scope, kw: int, measure: Measure) -> Attributes | Refusal:
    """The layout rules of the struct or union defined at ``kw``: its own attributes (after
    its keyword or after its closing brace) and the ``#pragma pack`` in force there."""
    text, source = scope.text, scope.source
    if len(source) != len(text):
        return "the text's attributes are not known here"
    open_ = text.find("{", kw)
    close = closing_brace(text, open_)
    pack = pack_at(scope, kw)
    if isinstance(pack, str):
        return pack
    if pack_at(scope, close) != pack or marks(scope).pragma_at and pack_at(scope, open_) != pack:
        return "a #pragma pack inside a struct's body is not modelled"
    start = max(text.rfind(";", 0, kw), text.rfind("{", 0, kw), text.rfind("}", 0, kw)) + 1
    tail = after_attributes(text, close)
    end = text.find(";", tail)
    if has_layout_words(scope, start, kw):
        return "packed and aligned attributes before a struct's keyword are not modelled"
    if WORD.findall(text, start, kw).count("typedef") \
            and has_layout_words(scope, tail, len(text) if end < 0 else end):
        return "a typedef's aligned attribute on a struct it defines is not modelled"
    if not (has_layout_words(scope, kw, open_) or has_layout_words(scope, close, tail)):
        return PLAIN._replace(pack=pack)
    if any(w in source[kw:open_] + source[close:tail] for w in ("[[", "lignas", "__declspec")):
        return "this spelling of packed and aligned is not modelled"
    found = _attributes(_groups(source, kw, open_) + _groups(source, close, tail), measure)
    return found if isinstance(found, str) else \
        Attributes(found.packed, max(found.align, 1), pack, found.ms_struct)


def _attributes(groups: list[str], measure: Measure) -> MemberAttributes | Refusal:
    """``packed``, ``aligned(N)`` and ``ms_struct`` among ``__attribute__((...))`` groups'
    insides (``gcc_struct`` changes nothing: clang-19 lays mingw's structs out as ms_struct
    all the same)."""
    packed, align, ms_struct = False, 0, False
    for inside in groups:
        for item in _items(inside):
            m = _ATTRIBUTE_ITEM.fullmatch(item)
            if m is None:
                if _LAYOUT_WORDS.search(item):
                    return f"__attribute__(({item.strip()})) is not modelled"
                continue
            word, argument = m.group(1).strip("_"), m.group(2)
            value = measure("" if argument is None else argument[1:-1])
            if word == "packed" and argument is None:
                packed = True
            elif word in ("ms_struct", "gcc_struct") and argument is None:
                ms_struct = ms_struct or word == "ms_struct"
            elif word == "aligned" and value is not None and _power_of_two(value):
                align = max(align, value)
            elif _LAYOUT_WORDS.fullmatch(m.group(1)):
                return f"__attribute__(({m.group().strip()})) is not modelled"
    return MemberAttributes(packed, align, 0, ms_struct)


def _groups(source: str, start: int, end: int) -> list[str]:
    """The insides of the ``__attribute__((...))`` groups in ``source[start:end]``."""
    return [source[a:b] for a, b in _group_spans(source, start, end)]


def _group_spans(source: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for m in _ATTRIBUTE.finditer(source, start, end):
        depth = 0
        for i in range(m.end() - 1, end):
            depth += (source[i] == "(") - (source[i] == ")")
            if depth == 0:
                out.append((m.end(), i))
                break
    return out


_ATTRIBUTE = cached_regex(r"(?<![\w$])__attribute(?:__)?\s*\(")
_ATTRIBUTE_ITEM = cached_regex(r"\s*([A-Za-z_]\w*)\s*(\(.*\))?\s*", re.S)


def _items(inside: str) -> list[str]:
    """An attribute group's items (``aligned((1 << (6)))``, ``packed``): its text split at
    the commas outside parentheses (``inside`` is what ``__attribute__(...)`` holds)."""
    inside = inside.strip()
    if inside.startswith("(") and inside.endswith(")"):
        inside = inside[1:-1]
    items, depth, start = [], 0, 0
    for i, c in enumerate(inside):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(inside[start:i])
            start = i + 1
    items.append(inside[start:])
    return items
_NUMBER = cached_regex(r"[1-9][0-9]*|0[xX][0-9a-fA-F]+")


def _power_of_two(n: int) -> bool:
    return 0 < n <= 1 << 28 and n & (n - 1) == 0  # (clang refuses the others)


class _Segment(NamedTuple):
    """One member declaration of a struct's body, ``text[start:end]`` (``end`` its ``;``):
    where its nested definition's own text is (``skip``, empty when it has none), where its
    top-level commas are, and its top-level ``*``s and parenthesised parts."""

    start: int
    end: int
    skip: tuple[int, int]
    commas: list[int]
    stars: list[int]
    parens: list[tuple[int, int]]


def _segments(text: str, open_: int, close: int) -> list[_Segment]:
    """The member declarations between ``open_`` and ``close``, each ended by its ``;``."""
    out: list[_Segment] = []
    start, braces, brackets, nest_open, paren_open = open_ + 1, 0, 0, -1, -1
    skip = (0, 0)
    commas: list[int] = []
    stars: list[int] = []
    parens: list[tuple[int, int]] = []
    for m in _BODY.finditer(text, open_ + 1, close):
        c, at = m.group(), m.start()
        if c == "{":
            braces += 1
            nest_open = at if braces == 1 else nest_open
        elif c == "}":
            braces -= 1
            if braces == 0:
                kw = [k.start() for k in TAG_KEYWORD.finditer(text, start, nest_open)]
                skip = (kw[-1] if kw else nest_open, after_attributes(text, at))
        elif braces:
            continue
        elif c in "([":
            paren_open = at if brackets == 0 else paren_open
            brackets += 1
        elif c in ")]":
            brackets -= 1
            if brackets == 0:
                parens.append((paren_open, at))
        elif brackets:
            continue
        elif c == ";":
            out.append(_Segment(start, at, skip, commas, stars, parens))
            start, skip, commas, stars, parens = at + 1, (0, 0), [], [], []
        elif c == ",":
            commas.append(at)
        elif c == "*":
            stars.append(at)
    return out


def member_attributes(scope: Scope, open_: int, close: int,
                      groups: Sequence[Sequence[Member]], measure: Measure
                      ) -> list[MemberAttributes] | Refusal | None:
    """Each member's attributes, in order, for the members the parse found in each member
    declaration of the body ``open_``..``close``; None when every member has none."""
    if not has_layout_words(scope, open_, close) and not (
            scope.aligned_typedefs and _mentions(scope, open_, close)):
        return None  # (the most common: every member plain)
    segments = _segments(scope.text, open_, close)
    if len(segments) != len(groups):
        return "a struct body whose member declarations are not found in its text"
    out: list[MemberAttributes] = []
    for segment, members in zip(segments, groups):
        for member in members:
            found = _member(scope, segment, member.type, member.at, len(members), measure)
            if isinstance(found, str):
                return found
            out.append(found)
    return out


def _mentions(scope: Scope, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` may name a typedef with an aligned attribute (a
    substring test first: there are few such typedefs, and most bodies name none)."""
    body = scope.text[start:end]
    return any(name in body for name in scope.aligned_typedefs) and any(
        w in scope.aligned_typedefs for w in WORD.findall(body))


def _member(scope: Scope, segment: _Segment, t: Type, at: int, count: int,
            measure: Measure) -> MemberAttributes | Refusal:
    """The attributes of the member named at ``at`` (of ``count`` in its declaration)."""
    regions = [(segment.start, segment.skip[0]), (segment.skip[1], segment.end)] \
        if segment.skip[1] else [(segment.start, segment.end)]
    typedef_align = 0
    for a, b in regions:
        for word in WORD.findall(scope.text, a, b):
            if word in scope.aligned_typedefs:
                found = scope.layouts.get(f"typedef {word}")
                if not isinstance(found, int):
                    return found if isinstance(found, str) else \
                        f"{word}'s aligned attribute is not known"
                if element_type(t) == element_type(scope.typedefs.get(word)):
                    typedef_align = found
    if not any(has_layout_words(scope, a, b) for a, b in regions):
        return PLAIN_MEMBER._replace(typedef_align=typedef_align)
    source = scope.source
    if any(w in source[a:b] for a, b in regions for w in ("[[", "lignas", "__declspec")):
        return "this spelling of packed and aligned is not modelled"
    if count != 1:
        return "an attribute in a declaration of several members is not modelled"
    spans = [s for a, b in regions for s in _group_spans(source, a, b)]
    for a, _ in spans:
        if any(p < a < q for p, q in segment.parens) \
                or (segment.stars and segment.stars[0] < a and (at < 0 or a < at)):
            return "an attribute inside a member's declarator is not modelled"
    found = _attributes([source[a:b] for a, b in spans], measure)
    if isinstance(found, str) or found.ms_struct:
        return found if isinstance(found, str) else "ms_struct on a member is not modelled"
    return found._replace(typedef_align=typedef_align)


def element_type(t: Type | None) -> Type | None:
    """A type without its qualifiers and array steps (what a typedef's alignment applies
    to: ``al8 x[2]`` too, not ``al8 *p``)."""
    while t is not None:
        bare = unqualified(t)
        if not isinstance(bare, Array):
            return bare
        t = bare.element
    return None


def attributes_in(scope: Scope, regions: Sequence[tuple[int, int]], measure: Measure
                  ) -> MemberAttributes | Refusal:
    """``packed`` and ``aligned(N)`` among the attributes in these parts of the source."""
    source = scope.source
    if any(w in source[a:b] for a, b in regions for w in ("[[", "lignas", "__declspec")):
        return "this spelling of packed and aligned is not modelled"
    return _attributes([g for a, b in regions for g in _groups(source, a, b)], measure)
