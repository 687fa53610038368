"""Size and alignment of resolved Rust types: rustc's ``layout_of``, as far as FFI code needs it.

Two questions ask it: ``core::mem::size_of``/``align_of`` in a constant
(:mod:`cfi_typeid.rust.consts`) and the CMSE register checks of a signature
(:mod:`cfi_typeid.rust.signature_rules`).  They share this one set of rules so that a type has
one layout whichever asks (they were two modules once, written in parallel, and disagreed);
each caller words the refusal (:class:`LayoutError`) in its own error.  The facts the ids
themselves depend on, zero size and inhabitedness, are here too (:class:`LayoutFacts`, part
of the resolver).

Laid out: integers, floats, ``bool``, ``char``, thin and wide pointers, arrays, tuples,
``repr(C)``, ``repr(transparent)``, ``repr(packed)`` and ``repr(align)`` structs and unions,
enums without fields, and ``Option`` of a non-null pointer.  A struct with the default
representation is laid out as rustc does today (fields by decreasing alignment, so no padding
between them); anything else is refused with the reason, never guessed.

Alignments follow the targets' data layouts as rustc reads them (``--print target-spec-json``;
``tests/test_rust_layout.py`` compares): 64-bit values are 4-aligned on i686 outside Windows
(no ``i64:64``, and ``f64:32:64``), and 128-bit integers take ``i64``'s 8 on 32-bit Arm (no
``i128:128``: rustc then uses the largest ``i{64..128}`` given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from ..model import FixedInt, Scalar
from ..regex_code import cached_regex
from .types import RAdt, RArray, RCInt, RDyn, RFnPtr, RForeign, RInt, RParam, RPtr, RRef, \
    RScalar, RSlice, RTuple, RTy

if TYPE_CHECKING:
    from ..targets import Target
    from .resolve import Resolver

_SCALAR_SIZES = {Scalar.BOOL: 1, Scalar.RUST_CHAR: 4, Scalar.HALF: 2, Scalar.FLOAT: 4,
                 Scalar.DOUBLE: 8, Scalar.FLOAT128: 16, Scalar.NEVER: 0}
_INT_REPR = cached_regex(r"[iu](8|16|32|64|128|size)$")
#: Types nested deeper than this are refused (a guard against runaway recursion).
_MAX_DEPTH = 128


@dataclass(frozen=True, slots=True)
class Layout:
    size: int
    align: int


class LayoutError(Exception):
    """A type this module does not lay out; the message says why (the caller adds what it was
    asking for)."""


def _round_up(n: int, align: int) -> int:
    return -(-n // align) * align


def _align(target: Target, size: int, integer: bool) -> int:
    """A primitive's alignment: its size, but for the data layouts' exceptions."""
    if size == 8 and target.arch == "x86" and target.os != "windows":
        return 4
    if size == 16 and integer and target.arch == "arm":
        return 8
    return max(1, size)


class Layouts:
    """``layout_of`` on one resolver's target (pointer width, alignments)."""

    def __init__(self, resolver: Resolver, *, enums_by_count: bool = False) -> None:
        self.resolver = resolver
        #: Lay out a field-less enum without a repr as rustc does when no discriminant is
        #: written (the smallest integer that numbers its variants).  The syntax tree drops
        #: written discriminants (``A = 1000`` makes it 2 bytes), so constants, whose value
        #: must be exact, refuse instead; the CMSE checks take the count.
        self.enums_by_count = enums_by_count
        self.target = resolver.target
        self.pointer = resolver.target.pointer_bits // 8

    def of(self, t: RTy) -> Layout:
        """The layout of ``t``; raises :class:`LayoutError` for unsized types and layouts not
        modelled."""
        return self._walk(t, 0)

    def _walk(self, t: RTy, depth: int) -> Layout:
        if depth > _MAX_DEPTH:
            raise LayoutError(f"types nested more than {_MAX_DEPTH} deep")
        match t:
            case RInt(kind):
                size = self.pointer if kind.value[1:] == "size" else int(kind.value[1:]) // 8
                return Layout(size, _align(self.target, size, integer=True))
            case RCInt(kind):
                size = self.target.int_bits(kind) // 8
                return Layout(size, _align(self.target, size, integer=True))
            case RScalar(kind):
                if kind not in _SCALAR_SIZES:
                    raise LayoutError(f"{kind.value} has no size known at compile time")
                size = _SCALAR_SIZES[kind]
                return Layout(size, _align(self.target, size, integer=False))
            case RRef(inner) | RPtr(inner):
                wide = isinstance(inner, (RSlice, RDyn)) or (
                    isinstance(inner, RScalar) and inner.kind is Scalar.STR)
                return Layout(2 * self.pointer if wide else self.pointer, self.pointer)
            case RFnPtr():
                return Layout(self.pointer, self.pointer)
            case RArray(inner, length):
                element = self._walk(inner, depth + 1)
                return Layout(element.size * length, element.align)
            case RTuple(elements):
                return _reordered([self._walk(x, depth + 1) for x in elements])
            case RAdt():
                return self._adt(t, depth)
            case RSlice() | RForeign() | RDyn():
                raise LayoutError("it has no size known at compile time")
            case RParam(name):
                raise LayoutError(f"the type parameter {name} has no layout")
            case _:
                raise LayoutError("it is not a type this tool lays out")

    def _adt(self, t: RAdt, depth: int) -> Layout:
        item = t.adt.item
        if item.kind == "enum":
            return self._enum(t, depth)
        reprs = item.attrs.repr
        if "simd" in reprs:
            raise LayoutError(f"{item.name!r} has a repr(simd) layout")
        fields = [self._walk(f, depth + 1) for f in self.resolver.variants(t)[0]]
        packed = _attr_value(reprs, "packed")
        if packed is not None:
            fields = [Layout(f.size, min(f.align, packed)) for f in fields]
        if item.kind == "union":
            layout = Layout(max((f.size for f in fields), default=0),
                            max((f.align for f in fields), default=1))
        elif "C" in reprs:
            layout = _in_order(fields)
        else:
            layout = _reordered(fields)
        align = layout.align
        forced = _attr_value(reprs, "align")
        if forced is not None:
            align = max(align, forced)
        size = _round_up(layout.size, align)
        if size >= 1 << (self.target.pointer_bits - 1):
            raise LayoutError(f"values of {item.name!r} are too big for the target architecture")
        return Layout(size, align)

    def _enum(self, t: RAdt, depth: int) -> Layout:
        """Enums without fields (their ``repr`` integer, C's ``int``, or the smallest integer
        that numbers the variants: see :attr:`enums_by_count`), and ``Option`` of a non-null
        pointer (its niche)."""
        item = t.adt.item
        reprs = item.attrs.repr
        if all(not v.fields for v in item.variants):
            ints = [r for r in reprs if _INT_REPR.match(r)]
            if ints:
                return self._walk(RInt(FixedInt(ints[0])), depth + 1)
            if "C" in reprs:
                return Layout(4, 4)
            if not self.enums_by_count:
                raise LayoutError(f"enum {item.name!r} has no repr: its size is rustc's choice")
            count = len(item.variants)
            return Layout(0 if count <= 1 else 1 if count <= 256 else 2,
                          1 if count <= 256 else 2)
        if t.adt.crate == "core" and t.adt.path == ("option", "Option") and _non_null(
                t.args[0]):
            return self._walk(t.args[0], depth + 1)
        raise LayoutError(f"enum {item.name!r} has fields")


def _in_order(fields: list[Layout]) -> Layout:
    """``repr(C)``: the fields in their written order, each at a multiple of its alignment."""
    size, align = 0, 1
    for f in fields:
        size = _round_up(size, f.align) + f.size
        align = max(align, f.align)
    return Layout(size, align)


def _reordered(fields: list[Layout]) -> Layout:
    """The default representation: fields sorted by decreasing alignment (each size is a
    multiple of its alignment, so they pack without padding)."""
    align = max((f.align for f in fields), default=1)
    return Layout(_round_up(sum(f.size for f in fields), align), align)


def _non_null(t: RTy) -> bool:
    return isinstance(t, (RRef, RFnPtr)) or (
        isinstance(t, RAdt) and t.adt.crate == "core" and t.adt.path == ("ptr", "NonNull"))


def _attr_value(reprs: tuple[str, ...], name: str) -> int | None:
    """``packed``/``packed(N)``, ``align(N)`` among the repr hints (as ``packed``, ``N``)."""
    for r in reprs:
        if r == name:
            return 1
        m = re.fullmatch(name + r"\((\d+)\)", r)
        if m:
            return int(m.group(1))
    return None


_Query = Callable[[RAdt], bool]


class LayoutFacts:
    """Zero size and inhabitedness, the layout facts rustc's CFI encoding itself depends on: a
    parameter of zero size is left out of the id, and ``repr(transparent)`` looks for its
    non-zero-sized field.  Mixed into the resolver, which gives :meth:`variants`."""

    _sizing: list[RAdt]

    def variants(self, t: RAdt) -> list[list[RTy]]:
        raise NotImplementedError

    def is_zst(self, t: RTy) -> bool:
        """Whether ``t`` has size 0 (False when that depends on a type parameter)."""
        match t:
            case RScalar(kind):
                return kind is Scalar.NEVER
            case RArray(inner, length):
                return length >= 0 and self._known(inner) and (length == 0 or self.is_zst(inner))
            case RTuple(elements):
                return all(self.is_zst(x) for x in elements)
            case RAdt():
                return self._sized(t, self._adt_is_zst)
            case _:
                return False

    def _adt_is_zst(self, t: RAdt) -> bool:
        item, variants = t.adt.item, self.variants(t)
        if item.kind != "enum":
            return all(self.is_zst(f) for f in variants[0])
        if any(r not in ("transparent",) and not r.startswith(("align", "packed"))
               for r in item.attrs.repr):
            return False  # repr(C) and repr(u8) etc. give the enum a discriminant
        present = [v for v in variants
                   if not (any(self.uninhabited(f) for f in v) and all(map(self.is_zst, v)))]
        return len(present) == 0 or (len(present) == 1 and all(map(self.is_zst, present[0])))

    def uninhabited(self, t: RTy) -> bool:
        """Whether ``t`` has no values (``!``, empty enums, anything holding one by value)."""
        match t:
            case RScalar(kind):
                return kind is Scalar.NEVER
            case RArray(inner, length):
                return length > 0 and self.uninhabited(inner)
            case RTuple(elements):
                return any(self.uninhabited(x) for x in elements)
            case RAdt():
                return self._sized(t, self._adt_uninhabited)
            case _:
                return False

    def _adt_uninhabited(self, t: RAdt) -> bool:
        variants = self.variants(t)
        if t.adt.item.kind == "union":
            return False
        return all(any(self.uninhabited(f) for f in v) for v in variants)

    def _sized(self, t: RAdt, query: _Query) -> bool:
        if t in self._sizing:
            raise t.adt.module.source.item_error(
                f"recursive type {t.adt.item.name!r} has infinite size (rustc E0072)",
                t.adt.item.at)
        self._sizing.append(t)
        try:
            return query(t)
        finally:
            self._sizing.pop()

    def _known(self, t: RTy) -> bool:
        return not any(isinstance(x, RParam) for x in _walk(t))


def _walk(t: RTy) -> Iterator[RTy]:
    yield t
    match t:
        case RArray(inner) | RSlice(inner):
            yield from _walk(inner)
        case RTuple(elements):
            for x in elements:
                yield from _walk(x)
        case RAdt(args=args):
            for x in args:
                yield from _walk(x)
        case _:
            pass
