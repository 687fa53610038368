"""Builtin types in the decoder: the shared code table inverted, ``D`` codes and
``_BitInt``, and the C integers a clang-normalised integer may have come from."""

from __future__ import annotations

from dataclasses import replace

from ..codes import C_INT_CODES, FIXED_INT_CODES, SCALAR_CODES
from .decoder_reader import Node, Reader, as_type
from ..model import (
    Array, Atomic, BitInt, CInt, CInteger, Complex, FixedInt, FixedInteger, FunctionType, Lifetime,
    Named, Pointer, Primitive, Qualified, Scalar, Type, Vector,
)

#: The shared code table, inverted: every leaf code → its model type.
LEAF_CODES: dict[str, Type] = {
    **{code: CInteger(kind) for kind, code in C_INT_CODES.items()},
    **{code: Primitive(kind) for kind, code in SCALAR_CODES.items()},
    **{code: FixedInteger(kind) for kind, code in FIXED_INT_CODES.items()},
}
ONE_LETTER_CODES = {code: t for code, t in LEAF_CODES.items() if len(code) == 1}
D_CODES = sorted((c for c in LEAF_CODES if c.startswith("D")), key=len, reverse=True)


class BuiltinTypes(Reader):
    """The productions of builtin types, and clang's normalised integers' origins."""

    def d_code(self) -> Node:
        """``<builtin-type> ::= DF16_ | Dh | Du | ...`` (no candidates) and
        ``DB <number> _ | DU <number> _`` (``_BitInt``, a candidate as clang makes it)."""
        if self.peek(1) == "v":
            return self.vector()
        if self.peek(1) in ("B", "U"):
            start = self.pos
            signed = self.peek(1) == "B"
            self.pos += 2
            bits = self.number("the width of _BitInt")
            if bits == 0:
                self.fail("_BitInt(0) has no width", start)
            self.expect("_", "'_' after the width of _BitInt")
            return self.add(self.leaf(BitInt(bits, signed)))
        for code in D_CODES:
            if self.at(code):
                self.pos += len(code)
                return self.leaf(LEAF_CODES[code])
        self.fail(f"unknown builtin type code {self.text[self.pos:self.pos + 2]!r}")

    def vector(self) -> Node:
        """``<vector-type> ::= Dv <number> _ <type>``: a GCC vector, one candidate.  Spelled
        again where the encoder would substitute it, it is the other kind of vector
        (``ext_vector_type``; clang keeps the two apart) or, normalised, one built on
        another C integer of the size."""
        start = self.pos
        self.pos += 2
        count = self.number("the length of a vector", max_digits=10)
        if not 0 < count <= MAX_VECTOR_LENGTH:
            self.fail(f"clang writes no vector of {count} elements", start + 2)
        self.expect("_", "'_' after the length of a vector")
        element_start = self.pos
        element = self.type()
        if not _vector_element(element.item):
            self.fail("clang writes vectors of integer and floating types only",
                      element_start)
        ext = _ext_only(element.item)  # (which clang makes of ext_vector_type alone)
        node = self.intern(Vector(as_type(element), count, ext), ("Dv", count, ext), [element])
        if node.key in self.candidates:
            other = self.intern(Vector(as_type(element), count, not ext), ("Dv", count, not ext),
                                [element])
            if other.key not in self.candidates:
                node = other
            elif self.flavour.normalized_integers_keep_c_type:
                node = self.other_origin(node)
        return self.add(node)

    def other_origin(self, node: Node) -> Node:
        """clang spells a normalised compound again when the C integers it was built on
        differ (``long *`` and ``long long *``: ``Pu3i64PS_``): give its integers the next
        C type of their size that makes it a new candidate."""
        for variant in range(1, 3):
            t = _with_origin(node.item, variant)
            if t is node.item:
                break
            key = ("origin", variant, node.key)
            found = self.interned.get(key)
            if found is None:
                found = self.interned[key] = Node(t, len(self.interned), node.size, node.depth)
            if found.key not in self.candidates:
                return found
        return node



#: clang's largest vector: its element count is an unsigned 32-bit number.
MAX_VECTOR_LENGTH = 0xFFFFFFFF


def _vector_element(t: object) -> bool:
    """Whether clang makes vectors of ``t`` (cv-qualified or not): integers, floating types,
    ``_BitInt``, and (``ext_vector_type``) ``_Bool`` and enums."""
    if isinstance(t, Qualified):
        t = t.base
    if isinstance(t, Primitive):
        return t.kind is not Scalar.VOID
    return isinstance(t, (CInteger, FixedInteger, BitInt, Named))


def _ext_only(t: object) -> bool:
    """Whether clang makes vectors of ``t`` only with ``ext_vector_type`` (``_Bool``, enums;
    ``vector_size`` refuses them)."""
    if isinstance(t, Qualified):
        t = t.base
    return isinstance(t, Named) or t == Primitive(Scalar.BOOL) or (
        isinstance(t, FixedInteger) and t.origin == Primitive(Scalar.BOOL))


#: The C integer types each normalised integer may have come from, in the order the decoder
#: assumes them when clang spells one compound twice (render_decoded shows the first).
C_ORIGINS: dict[FixedInt, tuple[Type, ...]] = {
    FixedInt.I8: (CInteger(CInt.SCHAR), CInteger(CInt.CHAR)),
    FixedInt.U8: (CInteger(CInt.UCHAR), Primitive(Scalar.BOOL), CInteger(CInt.CHAR)),
    FixedInt.I16: (CInteger(CInt.SHORT),), FixedInt.U16: (CInteger(CInt.USHORT),),
    FixedInt.I32: (CInteger(CInt.INT), CInteger(CInt.LONG)),
    FixedInt.U32: (CInteger(CInt.UINT), CInteger(CInt.ULONG)),
    FixedInt.I64: (CInteger(CInt.LLONG), CInteger(CInt.LONG)),
    FixedInt.U64: (CInteger(CInt.ULLONG), CInteger(CInt.ULONG)),
    FixedInt.I128: (CInteger(CInt.INT128),), FixedInt.U128: (CInteger(CInt.UINT128),),
}


def _with_origin(t: Type | Lifetime, variant: int) -> Type | Lifetime:
    """``t`` with its normalised integers given their ``variant``-th C origin (``t`` itself
    when none has one)."""
    match t:
        case FixedInteger(kind, None):
            origins = C_ORIGINS.get(kind, ())
            if variant < len(origins):
                origin = origins[variant]
                assert isinstance(origin, (CInteger, Primitive))
                return FixedInteger(kind, origin)
            return t
        case Pointer(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else Pointer(new)
        case Complex(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else Complex(new)
        case Atomic(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else Atomic(new)
        case Vector(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else replace(t, element=new)
        case Qualified(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else replace(t, base=new)
        case Array(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else replace(t, element=new)
        case FunctionType():
            parts = [_with_origin(x, variant) for x in (t.returns, *t.params)]
            if all(a is b for a, b in zip(parts, (t.returns, *t.params))):
                return t
            types = [x for x in parts if not isinstance(x, Lifetime)]
            return replace(t, returns=types[0], params=tuple(types[1:]))
        case _:
            return t

