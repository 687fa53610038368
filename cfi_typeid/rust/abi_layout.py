"""Sizes and alignments of resolved Rust types, as far as the CMSE register checks need them
(:mod:`cfi_typeid.rust.signature_rules`; :mod:`cfi_typeid.rust.layout` lays out what
``size_of`` names in constants: the two were written in parallel and should become one).
rustc asks ``layout_of`` for each parameter, and so do we, for the types whose layout follows from their definition without rustc's enum layout
search (C-like enums and ``Option`` of a non-null pointer aside, a data-carrying enum is
refused by name).

Primitive sizes are the target's; on 32-bit Arm (the CMSE targets) ``u64``/``f64`` align to 8
and ``u128`` to 8, as LLVM's ``i64:64`` / ``i128:128``-less data layout for Armv8-M says.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParseError
from ..model import FixedInt, Scalar
from .resolve import Resolver
from .types import (
    RAdt, RArray, RCInt, RConst, RDyn, RFnPtr, RForeign, RInt, RParam, RPtr, RRef, RScalar,
    RSlice, RTuple, RTy,
)

_INT_BYTES = {
    FixedInt.I8: 1, FixedInt.U8: 1, FixedInt.I16: 2, FixedInt.U16: 2, FixedInt.I32: 4,
    FixedInt.U32: 4, FixedInt.I64: 8, FixedInt.U64: 8, FixedInt.I128: 16, FixedInt.U128: 16,
}
_SCALAR_BYTES = {Scalar.BOOL: 1, Scalar.RUST_CHAR: 4, Scalar.HALF: 2, Scalar.FLOAT: 4,
                 Scalar.DOUBLE: 8, Scalar.FLOAT128: 16, Scalar.NEVER: 0}


@dataclass(frozen=True, slots=True)
class Layout:
    size: int
    align: int


class LayoutError(Exception):
    """A type whose layout this module does not compute (said with the type's name)."""


def _round(n: int, to: int) -> int:
    return -(-n // to) * to


class Layouts:
    """``layout_of`` for one resolver (its target's pointer width and alignments)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.pointer = resolver.target.pointer_bits // 8
        #: the largest alignment of a primitive (8 on 32-bit Arm and x86_64's u64)
        self.max_align = 8 if resolver.target.pointer_bits == 32 else 16

    def _prim(self, size: int) -> Layout:
        return Layout(size, max(1, min(size, self.max_align)))

    def of(self, t: RTy) -> Layout:
        match t:
            case RInt(kind):
                return self._prim(_INT_BYTES.get(kind, self.pointer))
            case RCInt(kind):
                return self._prim(self.resolver.target.int_bits(kind) // 8)
            case RScalar(kind):
                if kind is Scalar.STR:
                    raise LayoutError("str is unsized")
                return self._prim(_SCALAR_BYTES[kind])
            case RRef(inner) | RPtr(inner):
                wide = isinstance(inner, (RSlice, RScalar, RDyn)) and (
                    not isinstance(inner, RScalar) or inner.kind is Scalar.STR)
                return Layout(self.pointer * (2 if wide else 1), self.pointer)
            case RFnPtr():
                return Layout(self.pointer, self.pointer)
            case RArray(inner, length):
                element = self.of(inner)
                return Layout(element.size * length, element.align)
            case RTuple(elements):
                return self._aggregate([self.of(e) for e in elements], reorder=True)
            case RAdt():
                return self._adt(t)
            case RSlice() | RForeign():
                raise LayoutError("an unsized type has no layout by value")
            case RParam(name):
                raise LayoutError(f"the type parameter {name} has no layout")
            case RConst() | RDyn():
                raise LayoutError("a trait object is unsized")

    @staticmethod
    def _aggregate(fields: list[Layout], reorder: bool) -> Layout:
        """A struct or tuple: C's field order (``reorder=False``), or Rust's, which sorts the
        fields by alignment so that no padding is needed between them."""
        align = max((f.align for f in fields), default=1)
        if reorder:
            return Layout(_round(sum(f.size for f in fields), align), align)
        offset = 0
        for f in fields:
            offset = _round(offset, f.align) + f.size
        return Layout(_round(offset, align), align)

    def _adt(self, t: RAdt) -> Layout:
        item, reprs = t.adt.item, t.adt.repr
        if any(r.startswith(("packed", "align", "simd")) for r in reprs):
            raise LayoutError(f"{item.name} has a repr({', '.join(reprs)}) layout")
        variants = self.resolver.variants(t)
        if item.kind == "union":
            fields = [self.of(f) for f in variants[0]]
            align = max((f.align for f in fields), default=1)
            return Layout(_round(max((f.size for f in fields), default=0), align), align)
        if item.kind == "struct":
            return self._aggregate([self.of(f) for f in variants[0]],
                                   reorder="C" not in reprs)
        return self._enum(t, variants)

    def _enum(self, t: RAdt, variants: list[list[RTy]]) -> Layout:
        reprs = t.adt.repr
        ints = [r for r in reprs if r in {k.value for k in FixedInt}]
        if all(not fields for fields in variants):  # C-like
            if ints:
                return self.of(RInt(FixedInt(ints[0])))
            if "C" in reprs:
                return Layout(4, 4)
            return Layout(0 if len(variants) <= 1 else 1 if len(variants) <= 256 else 2,
                          1 if len(variants) <= 256 else 2)
        if t.adt.crate == "core" and t.adt.path == ("option", "Option") and self._non_null(
                t.args[0]):
            return self.of(t.args[0])
        raise LayoutError(f"the layout of the enum {t.adt.item.name} (rustc's enum layout "
                          "search) is not computed here")

    def _non_null(self, t: RTy) -> bool:
        return isinstance(t, (RRef, RFnPtr)) or (
            isinstance(t, RAdt) and t.adt.crate == "core" and t.adt.path == ("ptr", "NonNull"))


def layout_or_error(layouts: Layouts, t: RTy, text: str, at: int, what: str) -> Layout:
    try:
        return layouts.of(t)
    except LayoutError as e:
        raise ParseError(f"cannot check this CMSE signature: {e}", text, at, what=what) from None
