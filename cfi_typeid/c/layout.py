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
from functools import lru_cache
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


def aggregate(kind: str, members: Sequence[tuple[Type, object]], scope: Scope) -> Found:
    """The layout of a struct or union (``kind``) with these members, in order."""
    offset, size, align = 0, 0, 1
    for i, (t, given) in enumerate(members):
        anonymous = given if isinstance(given, (Layout, str)) else None
        bare = unqualified(t)
        if isinstance(bare, Array) and bare.length is None and not bare.variable:
            if kind != "struct" or i != len(members) - 1 or i == 0:
                return "a flexible array member other than a struct's last is not modelled"
            inner = layout_of(bare.element, scope, anonymous)
            if isinstance(inner, str):
                return inner
            align = max(align, inner.align)
            offset = -(-offset // inner.align) * inner.align
            continue
        found = layout_of(t, scope, anonymous)
        if isinstance(found, str):
            return found
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
    refused = _MICROSOFT if scope.target.microsoft_mangling else \
        _not_modelled_in_text(scope, kw, bit_fields=False)
    found: Found = refused or "an enum with no enumerators"
    if refused is None and values:
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
    refused = _MICROSOFT if scope.target.microsoft_mangling else \
        _not_modelled_in_text(scope, kw)
    found = aggregate(kind, members, scope) if refused is None else refused
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
    m = _TAG_KEYWORD.search(scope.text, scope.base + max(pos, 0))
    return None if m is None else scope.anonymous_layouts.get(m.start())


def name_anonymous_layout(scope: Scope, pos: int, named: Type) -> None:
    """``typedef struct {...} T;``: the unnamed struct's layout is ``T``'s."""
    found = anonymous_at(scope, pos)
    if isinstance(named, Named) and found is not None:
        _set(scope, named, found)


# ---- what the text says that the parse does not keep ---------------------------------------

#: Attributes and specifiers that change a layout (blank_noise blanks attributes, so they are
#: looked for in the source text, at the same offsets)
_LAYOUT_WORDS = re.compile(r"(?<![\w$])_*(?:packed|aligned|ms_struct|gcc_struct|"
                           r"randomize_layout|align|Alignas|alignas)_*(?![\w$])")
_PACK_PRAGMA = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+(?:pack|ms_struct|options[ \t]+align)",
                          re.M)


@lru_cache(maxsize=8)
def _first_pack_pragma(source: str) -> int:
    m = _PACK_PRAGMA.search(source)
    return len(source) if m is None else m.start()


def _not_modelled_in_text(scope: Scope, kw: int, bit_fields: bool = True) -> Refusal | None:
    """Why the definition at ``kw`` cannot be laid out from its members alone: bit-fields
    (``:`` in its body outside brackets), layout attributes in its declaration, a packing
    pragma before it; or that the source text is unknown."""
    text, source = scope.text, scope.source
    if len(source) != len(text):
        return "the text's attributes are not known here"
    open_ = text.find("{", kw)
    depth, brackets, at = 0, 0, open_
    for m in _BODY.finditer(text, open_):
        c, at = m.group(), m.start()
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
    start = max(text.rfind(";", 0, kw), text.rfind("{", 0, kw), text.rfind("}", 0, kw)) + 1
    end = text.find(";", at)
    region = source[start:len(source) if end < 0 else end]
    if any(w in region for w in ("__attribute", "[[", "lignas", "__declspec")) \
            and _LAYOUT_WORDS.search(region) is not None:
        return "packed and aligned attributes are not modelled"
    if _first_pack_pragma(source) < kw:
        return "#pragma pack is not modelled"
    return None


_BODY = re.compile(r"'(?:[^'\\\n]|\\.)*'|[{}()\[\]:]")
