"""The size and alignment of C types, structs and unions among them, as clang-19 lays them out
on each target: what ``sizeof (struct S)`` in a constant expression folds to (glibc's
``sin_zero[sizeof (struct sockaddr) - ...]``, the kernel's ``_pad7[0x290 - 0x1f1 -
sizeof(struct setup_header)]``).

The rules are clang's ItaniumRecordLayoutBuilder for C (see :func:`aggregate`): members placed
in order, each at the next multiple of its alignment; bit-fields at the next bit where they fit
in an aligned unit of their type (System V), a zero-width one rounding up to its type's
alignment; unnamed bit-fields aligning the struct only on AAPCS (32-bit Arm, Linux AArch64,
not Apple's); ``packed`` (the struct's or a member's) aligning members to a byte (bit-fields
to a bit), ``aligned(N)`` raising a member's or the struct's alignment, a typedef's own
``aligned(N)`` setting its alignment (lower, too), and ``#pragma pack(N)`` capping members'
(and suppressing bit-field padding).  An enum is ``int`` or ``unsigned int``, or a wider
integer when its values need one.  A scalar is aligned to its size, except that i386 System
V aligns the 8-byte ones to 4; ``long double`` is each target's.  mingw's clang lays structs
out as ``ms_struct``: a scalar aligned to its size even when its typedef says less, and
bit-fields in units of their type's size (see :meth:`_Placement._ms_bit_field`).

What is not modelled gives a reason instead of a :class:`Layout`, and ``sizeof`` of it is
refused with that reason: ``_BitInt``,
``_Atomic``, packed enums, the Microsoft ABI's layouts (``*-msvc``), the attribute forms
:mod:`.layout_text` refuses, and incomplete types (a tag declared but not defined, which clang
refuses too).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from .layout_text import (
    PLAIN, PLAIN_MEMBER, TAG_KEYWORD, WORD, Attributes, Measure, Member as Member,
    MemberAttributes, after_attributes, attributes_in, closing_brace, element_type,
    has_layout_words, member_attributes, struct_rules,
)
from .scope import Scope
from ..model import (
    Array, Atomic, BitInt, CInteger, Complex, Named, Pointer, Primitive, Scalar, Type,
    unqualified,
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


def _long_double(target: Target) -> Layout:
    """(clang-19: a double on 32-bit Arm and Apple's arm64, x87's 80 bits in 12 bytes on
    i386 System V, 16 bytes elsewhere)"""
    if target.arch == "arm" or (target.arch == "aarch64" and target.os == "macos"):
        return Layout(8, 8)
    if target.arch == "x86" and target.os != "windows":
        return Layout(12, 4)
    return Layout(16, 16)


def layout_of(t: Type, scope: Scope, anonymous: Found | None = None) -> Found:
    """The layout of ``t`` on the scope's target, from the tags defined in it; ``anonymous``
    is the layout of the unnamed struct or union ``t`` mentions (``Named("")``), if any."""
    target = scope.target
    match unqualified(t):
        case CInteger(kind):
            return _scalar(target.int_bits(kind) // 8, target)
        case Pointer():
            return _scalar(target.pointer_bits // 8, target)
        case Primitive(Scalar.LONG_DOUBLE):
            return _long_double(target)
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


def aggregate(kind: str, members: Sequence[Member], scope: Scope,
              attributes: Attributes = PLAIN,
              own: Sequence[MemberAttributes] | None = None) -> Found:
    """The layout of a struct or union (``kind``) with these members, in order, its own
    rules and each member's ``own`` attributes: clang's ItaniumRecordLayoutBuilder, for C
    (``LayoutField``, ``LayoutBitField``), in bits."""
    union = kind == "union"
    state = _Placement(union, scope, attributes)
    for i, member in enumerate(members):
        rules = own[i] if own is not None else PLAIN_MEMBER
        bare = unqualified(member.type)
        if isinstance(bare, Array) and bare.length is None and not bare.variable:
            if union or i != len(members) - 1 or i == 0:
                return "a flexible array member other than a struct's last is not modelled"
            found = layout_of(bare.element, scope, _anonymous(member))
            failed = found if isinstance(found, str) else state.field(Layout(0, found.align),
                                                                      rules, bare.element)
        elif member.bits is not None:
            failed = state.bit_field(member, rules)
        else:
            found = layout_of(member.type, scope, _anonymous(member))
            failed = found if isinstance(found, str) else state.field(found, rules, bare)
        if failed:
            return failed
    return state.finish()


def _anonymous(member: Member) -> Found | None:
    return member.anonymous if isinstance(member.anonymous, (Layout, str)) else None


class _Placement:
    """Where the next member goes: ``data`` (bits, whole bytes) and the bits of its last
    byte a bit-field left unfilled, the size and alignment so far (clang's DataSize,
    UnfilledBitsInLastUnit, Size, Alignment)."""

    def __init__(self, union: bool, scope: Scope, attributes: Attributes) -> None:
        target = scope.target
        self.union, self.scope = union, scope
        self.packed, self.pack = attributes.packed, attributes.pack * 8
        self.data = self.unfilled = self.size = self.unit = 0
        self.align = max(attributes.align, 1) * 8
        # (AAPCS: unnamed bit-fields align the struct; Apple's arm64 and the others: not)
        self.unnamed_align = target.arch in ("aarch64", "arm") and target.os != "macos"
        # (mingw's clang lays structs out as ms_struct by default; others on request)
        self.microsoft = target.os == "windows" or attributes.microsoft

    def field(self, found: Layout, rules: MemberAttributes, bare: Type) -> Refusal:
        natural = rules.typedef_align or found.align
        element = element_type(bare)
        if rules.typedef_align and isinstance(bare, Array):
            scalar = layout_of(element, self.scope) if element is not None else "?"
            if isinstance(scalar, str) or scalar.size % rules.typedef_align:
                return "an array of a typedef aligned to more than its size (clang refuses it)"
        if self.microsoft and isinstance(element, (CInteger, Primitive)):
            scalar = layout_of(element, self.scope)
            if isinstance(scalar, Layout) and scalar.size & (scalar.size - 1):
                return "ms_struct with a scalar of a size not a power of two (clang refuses it)"
            if isinstance(scalar, Layout):
                natural = max(natural, scalar.size)  # (ms_struct: a scalar aligns to its size)
        align = max(1 if self.packed or rules.packed else natural, rules.align) * 8
        if self.pack:
            align = min(align, self.pack)
        offset = 0 if self.union else _round(self.data, align)
        self.unfilled = self.unit = 0
        self.data = max(self.data, found.size * 8) if self.union else offset + found.size * 8
        self.size = max(self.size, self.data)
        self.align = max(self.align, align)
        return ""

    def bit_field(self, member: Member, rules: MemberAttributes) -> Refusal:
        width = member.bits if member.bits is not None else -1
        t = unqualified(member.type)
        if width < 0:
            return "a bit-field whose width is not a constant is not modelled"
        if not (isinstance(t, CInteger) or t == Primitive(Scalar.BOOL)
                or (isinstance(t, Named) and t.kind == "enum")):
            return f"a bit-field of type {type(t).__name__} is not modelled"
        found = layout_of(t, self.scope, _anonymous(member))
        if isinstance(found, str):
            return found
        storage = 1 if t == Primitive(Scalar.BOOL) else found.size * 8
        if width > storage or (width == 0 and member.named):
            return "a bit-field wider than its type, or named with width 0 (clang refuses it)"
        if self.microsoft:
            return self._ms_bit_field(member, rules, found.size * 8)
        packed = self.packed or rules.packed
        natural = (rules.typedef_align or found.align) * 8
        explicit = rules.align * 8
        offset = 0 if self.union else self.data - self.unfilled
        align = max(natural, explicit)
        unpacked = align
        if packed and width:
            align = max(1, explicit)
        if self.pack and width:
            unpacked = min(unpacked, self.pack)
            align = unpacked if packed else min(align, self.pack)
        if width == 0 or (not self.pack and offset % align + width > found.size * 8):
            offset = _round(offset, align)
        elif explicit and (not self.pack or explicit <= self.pack):
            offset = _round(offset, explicit)
        if not self.unnamed_align and not member.named:
            align = 1
        if self.union:
            self.data = max(self.data, _round(width, 8))
        else:
            self.data = _round(offset + width, 8)
            self.unfilled = self.data - offset - width
        self.size = max(self.size, self.data)
        self.align = max(self.align, align // 8 * 8)
        return ""

    def _ms_bit_field(self, member: Member, rules: MemberAttributes, unit: int) -> Refusal:
        """ms_struct's: a bit-field goes in the unit its predecessor opened if it is of the
        same size and has room, else opens one aligned to its size (``packed`` is ignored;
        a zero-width one after a member that is not a bit-field, too), and an unnamed one
        aligns the struct."""
        width = member.bits or 0
        align = unit
        if self.unit != unit or self.unfilled < width:
            if not self.unit and not width:
                align = 1
            self.unfilled = self.unit = 0
        offset = 0 if self.union else self.data - self.unfilled
        explicit = rules.align * 8
        align = max(align, explicit)
        if self.pack and width:
            align = min(align, self.pack)
        if width == 0 or width > self.unfilled:
            offset = _round(offset, align)
            self.unfilled = 0
        if self.union:  # (which ms_struct aligns to none of its bit-fields, even aligned(N))
            align = 1
            self.data = max(self.data, unit if width else 8)
        elif width:
            if not self.unfilled:
                self.data = offset + unit
                self.unfilled = unit
            self.unfilled -= width
            self.unit = unit
        else:
            self.data = _round(offset, 8)
            self.unfilled = self.data - offset
            self.unit = 0
        self.size = max(self.size, self.data)
        self.align = max(self.align, align // 8 * 8)
        return ""

    def finish(self) -> Layout:
        align = self.align // 8
        return Layout(_round(self.size, self.align) // 8, align)


def _round(n: int, align: int) -> int:
    return -(-n // align) * align


def define_enum(scope: Scope, tag: str | None, kw: int) -> None:
    """Note the layout of the enum defined at ``kw`` from its enumerators' values (those the
    scope noted after ``kw``): clang's C rule gives it ``int`` or ``unsigned int`` when they
    fit, else the first of ``long``, ``long long`` (signed or not) that holds them all."""
    values = [v for at, v, _ in scope.enum_values if at > kw]
    scope.enum_values.clear()
    rules = _MICROSOFT if scope.target.microsoft_mangling \
        else struct_rules(scope, kw, _measure(scope))
    if isinstance(rules, Attributes) and rules._replace(pack=0) != PLAIN:
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
        _set(scope, _key(Named(tag, "enum")), found)


def define(scope: Scope, kind: str, tag: str | None, kw: int,
           groups: Sequence[Sequence[Member]]) -> None:
    """Note the layout of the struct or union defined at ``kw`` (an offset in the scope's
    text), under its tag, or, unnamed, under its offset (see :func:`anonymous_at`), from its
    members, one sequence for each member declaration."""
    rules = _MICROSOFT if scope.target.microsoft_mangling \
        else struct_rules(scope, kw, _measure(scope))
    found: Found = rules if isinstance(rules, str) else ""
    if isinstance(rules, Attributes):
        open_ = scope.text.find("{", kw)
        own = member_attributes(scope, open_, closing_brace(scope.text, open_), groups,
                                _measure(scope))
        found = own if isinstance(own, str) else \
            aggregate(kind, [m for ms in groups for m in ms], scope, rules, own)
    if tag is None:
        scope.anonymous_layouts[kw] = found
        return
    _set(scope, _key(Named(tag)), found)


def _key(named: Named) -> str:
    return f"{named.name}#{named.instance}"  # (a tag's, or a typedef-named unnamed one's)


def _set(scope: Scope, key: str, found: object) -> None:
    scope.undo.append((scope.layouts, key, scope.layouts.get(key)))
    scope.layouts[key] = found


#: (clang on *-msvc lays C structs out as MSVC does: an empty struct has size 4, and more)
_MICROSOFT = "the Microsoft ABI's struct layout is not modelled"



def anonymous_at(scope: Scope, pos: int) -> Found | None:
    """The layout of the unnamed struct, union or enum among the specifiers that begin at
    ``pos`` (relative to the declaration): the first tag keyword from there (a second type
    specifier would be an error)."""
    at = scope.base + max(pos, 0)
    end = scope.text.find(";", at)  # (the keyword comes before the first ';' of its body)
    m = TAG_KEYWORD.search(scope.text, at, len(scope.text) if end < 0 else end)
    return None if m is None else scope.anonymous_layouts.get(m.start())


def name_anonymous_layout(scope: Scope, pos: int, named: Type) -> None:
    """``typedef struct {...} T;``: the unnamed struct's layout is ``T``'s."""
    found = anonymous_at(scope, pos)
    if isinstance(named, Named) and found is not None:
        _set(scope, _key(named), found)


def note_typedef(scope: Scope, pos: int, names: Sequence[str]) -> None:
    """Note the alignment the typedef names declared at ``pos`` have of their own: an
    ``aligned(N)`` attribute of the typedef (which may lower its type's alignment), or why
    it is not known (a typedef of such a typedef, several names, a pointer)."""
    text = scope.text
    at = scope.base + max(pos, 0)
    start = max(text.rfind(";", 0, at), text.rfind("}", 0, at)) + 1
    end = text.find(";", at)
    end = len(text) if end < 0 else end
    regions = [(start, end)]
    open_ = text.find("{", at, end)
    keyword = TAG_KEYWORD.search(text, start, open_) if open_ >= 0 else None
    if keyword is not None:  # (a definition's own attributes are its layout's, not T's)
        tail = after_attributes(text, closing_brace(text, open_))
        end = text.find(";", tail)
        end = len(text) if end < 0 else end
        regions = [(start, keyword.start()), (tail, end)]
    own = len(scope.source) == len(text) and any(has_layout_words(scope, a, b)
                                                 for a, b in regions)
    chained = bool(scope.aligned_typedefs) and any(
        w in scope.aligned_typedefs for a, b in regions for w in WORD.findall(text, a, b))
    if not (own or chained):
        return
    found: int | Refusal = "a typedef of a typedef with an aligned attribute is not modelled"
    if not chained:
        found = _typedef_alignment(scope, regions, len(names))
    scope.aligned_typedefs.update(names)
    for name in names:
        _set(scope, f"typedef {name}", found)


def _typedef_alignment(scope: Scope, regions: list[tuple[int, int]], names: int
                       ) -> int | Refusal:
    if names != 1:
        return "an aligned attribute on a typedef of several names is not modelled"
    if any(c in scope.text[a:b] for a, b in regions for c in "*(["):
        return "an aligned attribute on a typedef of a pointer, function or array is not modelled"
    found = attributes_in(scope, regions, _measure(scope))
    if isinstance(found, str):
        return found
    if found.packed or found.ms_struct or not found.align:
        return "a typedef's packed attribute is not modelled"
    return found.align


def _measure(scope: Scope) -> Measure:
    """An ``aligned(...)`` argument's value (see layout_text.Measure): folded by the
    grammar's constant folder (:func:`cfi_typeid.c.frontend.fold_attribute_argument`), in C's
    types (``aligned(-1u / 2 + 1)``, ``aligned(sizeof(long) * 2)``, the kernel's
    ``__aligned__((1 << (6)))``); ``aligned`` alone is the target's largest alignment."""
    def measure(argument: str) -> int | None:
        if not argument:  # (clang: 8 on 32-bit Arm, 16 elsewhere)
            return 8 if scope.target.arch == "arm" else 16
        from .frontend import fold_attribute_argument  # (the parser's: a layer above)
        return fold_attribute_argument(scope, argument)
    return measure
