"""GCC/clang vector types: ``__attribute__((vector_size(N)))``, ``((ext_vector_type(N)))``
and, on AArch64, ``((neon_vector_type(N)))`` / ``((neon_polyvector_type(N)))``.

clang-19 mangles both ``Dv <count> _ <element>`` (``int __attribute__((vector_size(16)))`` is
``Dv4_i``); what it accepts and refuses, each checked by ``tests/test_c_vectors.py``:

* where the attribute stands decides what it makes a vector of: among the specifiers, of
  the specifiers' type before their own qualifiers (``const int __attribute__((vector_size
  (16))) *`` is ``PKDv4_i``) but with a typedef's (``CI __attribute__((...))`` of ``typedef
  const int CI`` is ``Dv4_Ki``); after a declarator, of the whole declared type (so
  ``int *p __attribute__((vector_size(16)))`` is refused: a vector of ``int *``);
* ``vector_size`` takes integer and floating types only (``_BitInt`` of a power-of-two
  width of at least 8 too), never ``_Bool``, an enum, a pointer, an array, a struct, an
  ``_Atomic`` or ``_Complex`` type or a vector; ``ext_vector_type`` takes ``_Bool`` and
  complete enums as well, and only in a typedef;
* the size is an integer constant expression, in bytes for ``vector_size`` (a multiple of
  the element's size, not zero; not necessarily a power of two: ``vector_size(12)`` of
  ``int`` is ``Dv3_i``), in elements for ``ext_vector_type``; clang reads it zero-extended
  from its type (``vector_size(-16)`` of ``int`` is ``Dv1073741820_i``) and refuses counts
  past 32 bits ("vector size too large");
* an ext vector and a generic vector of the same element and count are two types (two
  substitution candidates), which :class:`~cfi_typeid.model.Vector`'s ``ext`` keeps apart;
* a Neon vector (AArch64) is mangled by its AAPCS64 name, ``__Int32x2_t`` for
  ``neon_vector_type(2)`` of ``int``: a :class:`~cfi_typeid.model.Named` type, never
  normalised; its element one of the Neon types (not ``char``, ``_Float16``, ``_Bool``,
  ``__int128``), 64 or 128 bits in all; poly vectors of ``unsigned char``, ``unsigned
  short`` and the 64-bit unsigned integers only.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .constants import LONG_DOUBLE_BYTES, Value, Variable
from .scope import Scope
from ..parsing.lalr import Token
from ..model import (
    BitInt, CInt, CInteger, FixedInteger, Named, Primitive, Qualified, Scalar, Type, Vector,
)

#: The keyword prefix blank_noise writes before the attribute's name (``__cfi_vector_size``).
VECTOR_PREFIX = "__cfi_"

#: Bits of the floating types, where the target does not change them.
_FLOAT_BITS = {Scalar.FLOAT: 32, Scalar.DOUBLE: 64, Scalar.FLOAT16: 16, Scalar.HALF: 16,
               Scalar.BFLOAT16: 16, Scalar.BFLOAT16_ARM: 16, Scalar.FLOAT128: 128}
_MAX_COUNT = 0xFFFFFFFF


class VectorAttribute(NamedTuple):
    """``vector_size(size)`` (bytes), ``ext_vector_type(size)`` or ``neon_vector_type(size)``
    / ``neon_polyvector_type(size)`` (elements) at ``pos``, the attribute's name; ``kind``
    is the name without underscores."""

    kind: str
    size: Value
    pos: int

    @property
    def ext(self) -> bool:
        return self.kind == "ext_vector_type"


class ExtVectorStep:
    """A declarator's ``ext_vector_type``: a step that says it is one, as clang allows it in
    typedefs only (see :func:`check_ext_vector`)."""

    __slots__ = ("attribute", "scope")

    def __init__(self, attribute: VectorAttribute, scope: Scope) -> None:
        self.attribute, self.scope = attribute, scope

    def __call__(self, t: Type) -> Type:
        return vector_of(t, self.attribute, self.scope)


def vector_attribute(tok: Token, size: Value) -> VectorAttribute:
    """The rule ``VECTOR "(" constant_expression ")"``."""
    name = str(tok)[len(VECTOR_PREFIX):]
    return VectorAttribute(name.strip("_"), size, (tok.start_pos or 0) + len(VECTOR_PREFIX))


def vector_step(attribute: VectorAttribute, scope: Scope) -> Callable[[Type], Type]:
    """The declarator step of an attribute after a declarator: a vector of the declared type."""
    if attribute.ext:
        return ExtVectorStep(attribute, scope)
    return lambda t: vector_of(t, attribute, scope)


def check_ext_vector(steps: tuple[Callable[[Type], Type], ...], is_typedef: bool) -> None:
    """clang's refusal of ``ext_vector_type`` outside a typedef, for a declarator's steps."""
    if is_typedef:
        return
    for step in steps:
        if type(step) is ExtVectorStep:
            raise step.scope.error("'ext_vector_type' attribute only applies to typedefs",
                                   step.attribute.pos)


def vector_of(t: Type, attribute: VectorAttribute, scope: Scope) -> Type:
    """The vector ``attribute`` makes of ``t``, or clang's error at the attribute."""
    name, size, pos = attribute
    if name.startswith("neon"):
        return _neon_vector(t, attribute, scope)
    ext = attribute.ext
    element = t.base if isinstance(t, Qualified) else t
    reason = _refused_element(element, scope, ext)
    if reason:
        raise scope.error(f"invalid vector element type: {reason}", pos)
    if isinstance(element, BitInt):
        if element.bits < 8:
            raise scope.error("'_BitInt' vector element width must be at least as wide as "
                              "'CHAR_BIT'", pos)
        if element.bits & (element.bits - 1):
            raise scope.error("'_BitInt' vector element width must be a power of 2", pos)
    if isinstance(size, Variable):
        raise scope.error(f"{name} attribute requires an integer constant", pos)
    value = _zero_extended(size)
    if ext:
        count = value
        if count >> 32:
            raise scope.error("vector size too large", pos)
    else:
        if value >> 61:
            raise scope.error("vector size too large", pos)
        element_bits = _bits(element, scope)
        if element_bits is None:
            raise scope.error(f"vectors of {scope.target.triple}'s long double are not "
                              "supported", pos)
        if value and value * 8 % element_bits:
            raise scope.error("vector size not an integral multiple of component size", pos)
        count = value * 8 // element_bits
    if count == 0:
        raise scope.error("zero vector size", pos)
    if count > _MAX_COUNT:
        raise scope.error("vector size too large", pos)
    return Vector(t, count, ext)


#: AArch64's Neon vectors, which clang mangles by their AAPCS64 name (``__Int8x8_t``, a
#: ``<source-name>`` and substitution candidate like a tag): the element part of the name.
_NEON_ELEMENTS: dict[Type, str] = {
    **{CInteger(k): name for k, name in (
        (CInt.SCHAR, "Int8"), (CInt.UCHAR, "Uint8"), (CInt.SHORT, "Int16"),
        (CInt.USHORT, "Uint16"), (CInt.INT, "Int32"), (CInt.UINT, "Uint32"),
        (CInt.LONG, "Int64"), (CInt.ULONG, "Uint64"), (CInt.LLONG, "Int64"),
        (CInt.ULLONG, "Uint64"))},
    Primitive(Scalar.HALF): "Float16", Primitive(Scalar.FLOAT): "Float32",
    Primitive(Scalar.DOUBLE): "Float64", Primitive(Scalar.BFLOAT16_ARM): "Bfloat16",
}
_NEON_POLY_ELEMENTS: dict[Type, str] = {
    CInteger(CInt.UCHAR): "Poly8", CInteger(CInt.USHORT): "Poly16",
    CInteger(CInt.ULONG): "Poly64", CInteger(CInt.ULLONG): "Poly64",
}


def _neon_vector(t: Type, attribute: VectorAttribute, scope: Scope) -> Type:
    """``neon_vector_type(count)`` / ``neon_polyvector_type(count)`` of ``t`` on AArch64:
    the AAPCS64 name clang mangles (``__Poly8x8_t``), 64 or 128 bits of a Neon element."""
    kind, size, pos = attribute
    if scope.target.c_arch != "aarch64":
        raise scope.error(f"'{kind}' is supported on AArch64 targets only here (clang "
                          "refuses it on x86 and mangles it __simd64_... on 32-bit ARM)", pos)
    if isinstance(t, Qualified):
        raise scope.error("a Neon vector of a qualified element type is not supported", pos)
    table = _NEON_POLY_ELEMENTS if kind == "neon_polyvector_type" else _NEON_ELEMENTS
    element = table.get(t)
    if element is None:
        reason = _refused_element(t, scope, False) or "not a Neon element type"
        raise scope.error(f"invalid vector element type: {reason}", pos)
    if isinstance(size, Variable):
        raise scope.error(f"'{kind}' attribute requires an integer constant", pos)
    count = _zero_extended(size)
    bits = _bits(t, scope)
    if bits is None or count * bits not in (64, 128):
        raise scope.error("Neon vector size must be 64 or 128 bits", pos)
    return Named(f"__{element}x{count}_t", "type")


def _zero_extended(size: int) -> int:
    """``size`` as clang's ``getZExtValue`` reads it: its bits in its type, unsigned."""
    bits = getattr(size, "bits", 32 if -(1 << 31) <= size < 1 << 31 else 64)
    return int(size) & ((1 << bits) - 1)


def _refused_element(t: Type, scope: Scope, ext: bool) -> str:
    """Why clang makes no vector of the unqualified ``t`` ("" when it does)."""
    if isinstance(t, (CInteger, BitInt)):
        return ""
    if isinstance(t, Primitive):
        if t.kind in _FLOAT_BITS or t.kind is Scalar.LONG_DOUBLE or (
                ext and t.kind is Scalar.BOOL):
            return ""
        return f"'{t.kind.value}'" + (" (ext_vector_type only)" if t.kind is Scalar.BOOL
                                      else "")
    if isinstance(t, Named) and t.kind == "enum" and ext:
        if scope.tags.get(t.name, ("", False))[1]:
            return ""
        return f"the incomplete 'enum {t.name}'"
    if isinstance(t, Vector):
        return "a vector"
    if isinstance(t, FixedInteger):  # (never made by the C front end)
        return "a normalised integer"
    return {"Pointer": "a pointer", "Array": "an array", "FunctionType": "a function",
            "Atomic": "an _Atomic type", "Complex": "a _Complex type",
            "Named": f"'{getattr(t, 'kind', 'struct')} {getattr(t, 'name', '')}'".replace(
                "'type ", "'")  # (a Neon vector, or a typedef'd tagless struct)
            }.get(type(t).__name__, "not an integer or floating type")


def _bits(t: Type, scope: Scope) -> int | None:
    """The storage size in bits of the element type ``t`` (None: not known here)."""
    target = scope.target
    if isinstance(t, CInteger):
        return target.int_bits(t.kind)
    if isinstance(t, BitInt):
        return t.bits  # (a power of two, at least 8: its own storage size)
    if isinstance(t, Primitive) and t.kind in _FLOAT_BITS:
        return _FLOAT_BITS[t.kind]
    if isinstance(t, Primitive) and t.kind is Scalar.LONG_DOUBLE:
        size = LONG_DOUBLE_BYTES.get(target.triple)  # (elsewhere: not known, refused)
        return None if size is None else size * 8
    return None
