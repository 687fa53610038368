"""The size and alignment of C types, structs and unions among them, as clang-19 lays them out
on each target (the SysV and AAPCS rules, which agree on what is modelled here): what
``sizeof (struct S)`` in a constant expression folds to (glibc's ``sin_zero[sizeof (struct
sockaddr) - ...]``, ``elf_gregset_t[sizeof (struct user_regs_struct) / ...]``).

A struct's members are placed in order, each at the next multiple of its alignment; the
struct's alignment is its members' largest (1 when it has none: GNU C's empty struct has size
0), and its size the end of its last member rounded up to that alignment.  A union's size is
its largest member's, rounded the same way.  A flexible array member (``T tail[];``, last)
adds its element's alignment and no size.  An enum is ``int`` or ``unsigned int``, or a wider integer when its values need one.  A
scalar is aligned to its size, except that i386
System V aligns the 8-byte ones (``long long``, ``double``, ``_Complex double``'s parts) to 4.

What is not modelled gives a reason instead of a :class:`Layout`, and ``sizeof`` of it is
refused with that reason: bit-fields, ``packed`` / ``aligned`` attributes, ``_Alignas``,
``#pragma pack``, ``long double``, ``_BitInt``,
``_Atomic``, the Microsoft ABI's layouts (``*-msvc``), and incomplete types (a tag declared but not defined, which clang refuses too).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import NamedTuple, Sequence

from .scope import Scope
from ..model import (
    Array, Atomic, BitInt, CInteger, Complex, Named, Pointer, Primitive, Scalar, Type, unqualified,
)
from ..targets import Target


class Layout(NamedTuple):
    """A type's size and alignment in bytes (an aggregate member's ABI alignment)."""

    size: int
    align: int


class Attributes(NamedTuple):
    """What a struct's own attributes change: ``packed`` (every member aligned to 1) and
    ``aligned(N)`` (the struct aligned to at least N)."""

    packed: bool = False
    align: int = 1


_PLAIN = Attributes()


#: What a layout is not known for: why, said after "sizeof of T is not supported: ".
Refusal = str
Found = Layout | Refusal

_SCALAR_BYTES = {Scalar.BOOL: 1, Scalar.FLOAT: 4, Scalar.DOUBLE: 8, Scalar.FLOAT16: 2,
                 Scalar.HALF: 2, Scalar.BFLOAT16: 2, Scalar.BFLOAT16_ARM: 2,
                 Scalar.FLOAT128: 16}


def _scalar(size: int, target: Target) -> Layout:
    # i386 System V (not Windows, whose MSVC ABI aligns them to 8): 8-byte scalars align to 4
    if size == 8 and target.arch == "x86" and target.os != "windows":
        return Layout(8, 4)
    return Layout(size, size)


def layout_of(t: Type, scope: Scope, anonymous: Found | None = None) -> Found:
    """The layout of ``t`` on the scope's target, from the tags defined in it; ``anonymous``
    is the layout of the unnamed struct or union ``t`` mentions (``Named("")``), if any."""
    target = scope.target
    match unqualified(t):
        case CInteger(kind):
            return _scalar(target.int_bits(kind) // 8, target)
        case Pointer():
            return _scalar(target.pointer_bits // 8, target)
        case Primitive(kind):
            size = _SCALAR_BYTES.get(kind)
            return f"{kind.value} is not modelled" if size is None else _scalar(size, target)
        case Complex(part):
            inner = layout_of(part, scope)
            return inner if isinstance(inner, str) else Layout(2 * inner.size, inner.align)
        case Array(element, length, variable):
            inner = layout_of(element, scope, anonymous)
            if isinstance(inner, str):
                return inner
            if length is None:
                return ("a variable-length array is not a constant size" if variable
                        else "an array of unknown length is an incomplete type")
            return Layout(inner.size * length, inner.align)
        case Named(name, kind) as named:
            if name == "":
                return anonymous if anonymous is not None else f"an unnamed {kind} here"
            found = scope.layouts.get(_key(named))
            if not isinstance(found, (Layout, str)):
                return f"{kind} {name} is an incomplete type here (clang refuses it too)"
            return found
        case BitInt():
            return "_BitInt is not modelled"
        case Atomic():
            return "_Atomic types are not modelled"
        case other:
            return f"{type(other).__name__} members are not modelled"


def alignment_of(t: Named, scope: Scope, preferred: bool) -> int | Refusal:
    """``_Alignof`` (the ABI alignment) or, ``preferred``, ``__alignof__`` of a struct, union
    or enum: the same but for an 8-byte enum, which clang's preferred alignment aligns to 8
    as it does ``long long`` (i386: ``__alignof__`` 8, ``_Alignof`` 4)."""
    found = layout_of(t, scope)
    if isinstance(found, str):
        return found
    if preferred and t.kind == "enum" and found.size == 8:
        return max(found.align, 8)
    return found.align


def aggregate(kind: str, members: Sequence[tuple[Type, object]], scope: Scope,
              attributes: Attributes = _PLAIN) -> Found:
    """The layout of a struct or union (``kind``) with these members, in order, and its own
    ``packed`` and ``aligned`` attributes."""
    offset, size, align = 0, 0, attributes.align
    packed = attributes.packed
    for i, (t, given) in enumerate(members):
        anonymous = given if isinstance(given, (Layout, str)) else None
        bare = unqualified(t)
        if isinstance(bare, Array) and bare.length is None and not bare.variable:
            if kind != "struct" or i != len(members) - 1 or i == 0:
                return "a flexible array member other than a struct's last is not modelled"
            inner = layout_of(bare.element, scope, anonymous)
            if isinstance(inner, str):
                return inner
            if not packed:
                align = max(align, inner.align)
                offset = -(-offset // inner.align) * inner.align
            continue
        found = layout_of(t, scope, anonymous)
        if isinstance(found, str):
            return found
        if packed:
            found = Layout(found.size, 1)
        align = max(align, found.align)
        if kind == "union":
            size = max(size, found.size)
        else:
            offset = -(-offset // found.align) * found.align + found.size
    end = size if kind == "union" else offset
    return Layout(-(-end // align) * align, align)


def define_enum(scope: Scope, tag: str | None, kw: int) -> None:
    """Note the layout of the enum defined at ``kw`` from its enumerators' values (those the
    scope noted after ``kw``): clang's C rule gives it ``int`` or ``unsigned int`` when they
    fit, else the first of ``long``, ``long long`` (signed or not) that holds them all."""
    values = [v for at, v in scope.enum_values if at > kw]
    scope.enum_values.clear()
    rules = _MICROSOFT if scope.target.microsoft_mangling else \
        _text_rules(scope, kw, bit_fields=False)
    if isinstance(rules, Attributes) and rules != _PLAIN:
        rules = "packed and aligned enums are not modelled"
    found: Found = rules if isinstance(rules, str) else "an enum with no enumerators"
    if not isinstance(rules, str) and values:
        low, high = min(values), max(values)
        for bits in (32, scope.target.long_bits, 64):
            if (-(1 << (bits - 1)) <= low and high < 1 << (bits - 1)) \
                    or (low >= 0 and high < 1 << bits):
                found = _scalar(bits // 8, scope.target)
                break
        else:
            found = "an enum wider than 64 bits is not modelled"
    if tag is None:
        scope.anonymous_layouts[kw] = found
    else:
        _set(scope, Named(tag, "enum"), found)


def define(scope: Scope, kind: str, tag: str | None, kw: int,
           members: Sequence[tuple[Type, object]]) -> None:
    """Note the layout of the struct or union defined at ``kw`` (an offset in the scope's
    text), under its tag, or, unnamed, under its offset (see :func:`anonymous_at`)."""
    rules = _MICROSOFT if scope.target.microsoft_mangling else _text_rules(scope, kw)
    found = rules if isinstance(rules, str) else aggregate(kind, members, scope, rules)
    if tag is None:
        scope.anonymous_layouts[kw] = found
        return
    _set(scope, Named(tag), found)


def _key(named: Named) -> str:
    return f"{named.name}#{named.instance}"  # (a tag's, or a typedef-named unnamed one's)


def _set(scope: Scope, named: Named, found: Found) -> None:
    key = _key(named)
    scope.undo.append((scope.layouts, key, scope.layouts.get(key)))
    scope.layouts[key] = found


#: (clang on *-msvc lays C structs out as MSVC does: an empty struct has size 4, and more)
_MICROSOFT = "the Microsoft ABI's struct layout is not modelled"

_TAG_KEYWORD = re.compile(r"(?<![\w$])(?:struct|union|enum)(?![\w$])")


def anonymous_at(scope: Scope, pos: int) -> Found | None:
    """The layout of the unnamed struct, union or enum among the specifiers that begin at
    ``pos`` (relative to the declaration): the first tag keyword from there (a second type
    specifier would be an error)."""
    at = scope.base + max(pos, 0)
    end = scope.text.find(";", at)  # (the keyword comes before the first ';' of its body)
    m = _TAG_KEYWORD.search(scope.text, at, len(scope.text) if end < 0 else end)
    return None if m is None else scope.anonymous_layouts.get(m.start())


def name_anonymous_layout(scope: Scope, pos: int, named: Type) -> None:
    """``typedef struct {...} T;``: the unnamed struct's layout is ``T``'s."""
    found = anonymous_at(scope, pos)
    if isinstance(named, Named) and found is not None:
        _set(scope, named, found)


def note_typedef(scope: Scope, pos: int, names: Sequence[str]) -> None:
    """Remember the typedef names declared (at ``pos``) with a layout attribute, or with a
    typedef name that has one: a struct with a member of such a type is not laid out."""
    text, source = scope.text, scope.source
    at = scope.base + max(pos, 0)
    start = max(text.rfind(";", 0, at), text.rfind("}", 0, at)) + 1
    end = text.find(";", at)
    end = len(text) if end < 0 else end
    regions = [(start, end)]
    open_ = text.find("{", at, end)
    keyword = _TAG_KEYWORD.search(text, start, open_) if open_ >= 0 else None
    if keyword is not None:  # (a definition's own attributes are its layout's, not T's)
        close = _closing_brace(text, open_)
        after = _NEXT_TOKEN.search(text, close + 1)
        tail = len(text) if after is None else after.start()
        end = text.find(";", tail)
        end = len(text) if end < 0 else end
        regions = [(start, keyword.start()), (tail, end)]
    if (len(source) == len(text) and any(_has_layout_words(scope, a, b) for a, b in regions)) \
            or (scope.aligned_typedefs and any(w in scope.aligned_typedefs
                                               for a, b in regions
                                               for w in _WORD.findall(text, a, b))):
        scope.aligned_typedefs.update(names)


def _closing_brace(text: str, open_: int) -> int:
    """The offset of the ``}`` that closes the ``{`` at ``open_``."""
    depth = 0
    for m in _BRACE.finditer(text, open_):
        depth += 1 if m.group() == "{" else -1
        if depth == 0:
            return m.start()
    return len(text)


_BRACE = re.compile(r"[{}]")


# ---- what the text says that the parse does not keep ---------------------------------------

#: Attributes and specifiers that change a layout (blank_noise blanks attributes, so they are
#: looked for in the source text, at the same offsets)
_LAYOUT_WORDS = re.compile(r"(?<![\w$])_*(?:packed|aligned|ms_struct|gcc_struct|"
                           r"randomize_layout|align|Alignas|alignas)_*(?![\w$])")
_PACK_PRAGMA = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+(?:pack|ms_struct|options[ \t]+align)",
                          re.M)




def _text_rules(scope: Scope, kw: int, bit_fields: bool = True) -> Attributes | Refusal:
    """The attributes the definition at ``kw`` has in the source text (blank_noise blanked
    them in the text parsed), or why they are not modelled: bit-fields (``:`` in its body
    outside brackets), attributes on members or declarators, a typedef declared with one,
    a packing pragma before it; or that the source text is unknown."""
    text, source = scope.text, scope.source
    if len(source) != len(text):
        return "the text's attributes are not known here"
    open_ = text.find("{", kw)
    depth, brackets, close = 0, 0, open_
    for m in _BODY.finditer(text, open_):
        c, close = m.group(), m.start()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        elif c in "([":
            brackets += 1
        elif c in ")]":
            brackets -= 1
        elif c == ":" and brackets == 0 and bit_fields:
            return "bit-fields are not modelled"
    if _marks(scope).first_pack_pragma < close:  # (before it or in its body)
        return "#pragma pack is not modelled"
    start = max(text.rfind(";", 0, kw), text.rfind("{", 0, kw), text.rfind("}", 0, kw)) + 1
    after = _NEXT_TOKEN.search(text, close + 1)
    tail = len(text) if after is None else after.start()
    end = text.find(";", tail)
    for a, b in ((start, kw), (open_, close), (tail, len(text) if end < 0 else end)):
        if _has_layout_words(scope, a, b):
            return "packed and aligned attributes on members or declarators are not modelled"
    if scope.aligned_typedefs and any(
            w in scope.aligned_typedefs for w in _WORD.findall(text, open_, close)):
        return "a member's typedef has an aligned attribute, which is not modelled"
    if not (_has_layout_words(scope, kw, open_) or _has_layout_words(scope, close, tail)):
        return _PLAIN
    if any(w in source[kw:open_] + source[close:tail] for w in ("[[", "lignas", "__declspec")):
        return "this spelling of packed and aligned is not modelled"
    return _attributes(_groups(source, kw, open_) + _groups(source, close, tail))


def _has_layout_words(scope: Scope, start: int, end: int) -> bool:
    """Whether ``source[start:end]`` has a layout word in what may be an attribute."""
    source, markers = scope.source, _marks(scope).markers
    i = bisect_left(markers, start)
    return i < len(markers) and markers[i] < end \
        and _LAYOUT_WORDS.search(source, start, end) is not None


class _SourceMarks(NamedTuple):
    """Found once per source text: where attributes may begin (most declarations have none,
    and are then checked with a bisection), and where the first packing pragma is."""

    source: str
    markers: list[int]
    first_pack_pragma: int


def _marks(scope: Scope) -> _SourceMarks:
    marks = scope.source_marks
    if not isinstance(marks, _SourceMarks) or marks.source is not scope.source:
        source = scope.source
        pragma = _PACK_PRAGMA.search(source)
        marks = scope.source_marks = _SourceMarks(
            source, [m.start() for m in _MARKER.finditer(source)],
            len(source) if pragma is None else pragma.start())
    return marks


_MARKER = re.compile(r"__attribute|\[\[|lignas|__declspec")


def _attributes(groups: list[str]) -> Attributes | Refusal:
    """``packed`` and ``aligned(N)`` among ``__attribute__((...))`` groups' insides."""
    packed, align = False, 1
    for inside in groups:
        for m in _ATTRIBUTE_ITEM.finditer(inside):
            word, argument = m.group(1).strip("_"), m.group(2)
            if word == "packed" and argument is None:
                packed = True
            elif word == "aligned" and argument is not None and _NUMBER.fullmatch(argument) \
                    and _power_of_two(int(argument, 0)):
                align = max(align, int(argument, 0))
            elif _LAYOUT_WORDS.fullmatch(m.group(1)):
                return f"__attribute__(({m.group().strip()})) is not modelled"
    return Attributes(packed, align)


def _groups(source: str, start: int, end: int) -> list[str]:
    """The insides of the ``__attribute__((...))`` groups in ``source[start:end]``."""
    out = []
    for m in _ATTRIBUTE.finditer(source, start, end):
        depth = 0
        for i in range(m.end() - 1, end):
            depth += (source[i] == "(") - (source[i] == ")")
            if depth == 0:
                out.append(source[m.end():i])
                break
    return out


_ATTRIBUTE = re.compile(r"(?<![\w$])__attribute(?:__)?\s*\(")
_ATTRIBUTE_ITEM = re.compile(r"(?<![\w$])([A-Za-z_]\w*)(?:\s*\(\s*([^()]*?)\s*\))?")
_NUMBER = re.compile(r"[1-9][0-9]*|0[xX][0-9a-fA-F]+")


def _power_of_two(n: int) -> bool:
    return 0 < n <= 1 << 28 and n & (n - 1) == 0  # (clang refuses the others)
_NEXT_TOKEN = re.compile(r"[^\s]")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_BODY = re.compile(r"'(?:[^'\\\n]|\\.)*'|[{}()\[\]:]")
