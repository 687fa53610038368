"""Size and alignment of the types ``core::mem::size_of::<T>()`` may name in a constant.

rustc's layout rules for what FFI code uses: integers, floats, ``bool``, ``char``, thin and
wide pointers, arrays, tuples, ``repr(C)``, ``repr(transparent)``, ``repr(packed)`` and
``repr(align)`` structs and unions, and enums with a ``repr`` and no fields.  A struct with
the default representation is laid out as rustc does today (fields by decreasing alignment, so
no padding between them); anything else is refused with the reason, never guessed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..model import FixedInt, Scalar
from .types import RAdt, RArray, RCInt, RFnPtr, RForeign, RInt, RPtr, RRef, RScalar, RSlice, \
    RTuple, RTy

if TYPE_CHECKING:
    from .resolve import Env, Resolver

_SCALAR_SIZES = {Scalar.BOOL: 1, Scalar.RUST_CHAR: 4, Scalar.HALF: 2, Scalar.FLOAT: 4,
                 Scalar.DOUBLE: 8, Scalar.FLOAT128: 16, Scalar.NEVER: 0}
_INT_REPR = re.compile(r"[iu](8|16|32|64|128|size)$")


def _round_up(n: int, align: int) -> int:
    return -(-n // align) * align


def _int_align(resolver: Resolver, size: int) -> int:
    """An integer's (or float's) alignment: its size, except that 64-bit values are 4-aligned
    on i686, and 128-bit ones 8-aligned on 32-bit ARM (rustc's data layouts)."""
    triple = resolver.target.triple
    if size == 8 and triple.startswith("i686"):
        return 4
    if size == 16 and triple.startswith("arm"):
        return 8
    return size


def layout(resolver: Resolver, t: RTy, env: Env, at: int) -> tuple[int, int]:
    """(size, alignment) of ``t`` in bytes; refuses unsized types and layouts not modelled."""
    pointer = resolver.target.pointer_bits // 8

    def fail(why: str) -> Exception:
        return env.source.error(f"cannot lay out this type for size_of/align_of: {why}", at)

    def walk(t: RTy, depth: int) -> tuple[int, int]:
        if depth > 128:
            raise fail("types nested more than 128 deep")
        match t:
            case RInt(kind):
                bits = resolver.target.pointer_bits if kind.value[1:] == "size" \
                    else int(kind.value[1:])
                return bits // 8, _int_align(resolver, bits // 8)
            case RCInt(kind):
                size = resolver.target.int_bits(kind) // 8
                return size, _int_align(resolver, size)
            case RScalar(kind):
                if kind not in _SCALAR_SIZES:
                    raise fail(f"{kind.value} has no size known at compile time")
                size = _SCALAR_SIZES[kind]
                return size, max(1, _int_align(resolver, size))
            case RRef(inner) | RPtr(inner):
                wide = isinstance(inner, (RSlice, RForeign)) or (
                    isinstance(inner, RScalar) and inner.kind is Scalar.STR)
                if isinstance(inner, RForeign):
                    wide = False
                return (2 * pointer if wide else pointer), pointer
            case RFnPtr():
                return pointer, pointer
            case RArray(inner, length):
                size, align = walk(inner, depth + 1)
                return size * length, align
            case RTuple(elements):
                return _rust_struct([walk(x, depth + 1) for x in elements])
            case RAdt():
                return adt(t, depth)
            case RSlice() | RForeign():
                raise fail("it has no size known at compile time")
            case _:
                raise fail("it is not a type this tool lays out")

    def adt(t: RAdt, depth: int) -> tuple[int, int]:
        item = t.adt.item
        reprs = item.attrs.repr
        if item.kind == "enum":
            ints = [r for r in reprs if _INT_REPR.match(r)]
            if any(v.fields for v in item.variants):
                raise fail(f"enum {item.name!r} has fields")
            if ints:
                return walk(RInt(_fixed(ints[0])), depth + 1)
            if "C" in reprs:
                return 4, 4
            raise fail(f"enum {item.name!r} has no repr: its size is rustc's choice")
        fields = [walk(f, depth + 1) for f in resolver.variants(t)[0]]
        packed = _attr_value(reprs, "packed")
        if item.kind == "union":
            size = max((s for s, _ in fields), default=0)
            align = max((a for _, a in fields), default=1)
        elif "C" in reprs or "transparent" in reprs or packed is not None:
            size, align = 0, 1
            for s, a in fields:
                a = min(a, packed) if packed is not None else a
                size = _round_up(size, a) + s
                align = max(align, a)
        else:
            size, align = _rust_struct(fields)
        if packed is not None:
            align = min(align, packed)
        forced = _attr_value(reprs, "align")
        if forced is not None:
            align = max(align, forced)
        size = _round_up(size, align)
        if size >= 1 << (resolver.target.pointer_bits - 1):
            raise fail(f"values of {item.name!r} are too big for the target architecture")
        return size, align

    return walk(t, 0)


def _rust_struct(fields: list[tuple[int, int]]) -> tuple[int, int]:
    """The default representation: fields sorted by decreasing alignment (each size is a
    multiple of its alignment, so they pack without padding)."""
    align = max((a for _, a in fields), default=1)
    return _round_up(sum(s for s, _ in fields), align), align


def _attr_value(reprs: tuple[str, ...], name: str) -> int | None:
    """``packed``/``packed(N)``, ``align(N)`` among the repr hints (as ``packed``, ``N``)."""
    for r in reprs:
        if r == name:
            return 1
        m = re.fullmatch(name + r"\((\d+)\)", r)
        if m:
            return int(m.group(1))
    return None


def _fixed(name: str) -> FixedInt:
    return FixedInt(name)
