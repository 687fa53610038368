"""Pure passes from model to model, run before encoding: integer normalisation and pointer
generalisation.  They mirror the options of the compilers:

* ``normalize`` — clang ``-fsanitize-cfi-icall-experimental-normalize-integers``, rustc
  ``-Zsanitizer-cfi-normalize-integers``: every integer becomes the fixed-width integer of its
  size and signedness on the target (``long`` → ``i64`` on LP64, ``i32`` on ILP32; ``char`` by
  the target's signedness; ``_Bool``/``bool`` → ``u8``; Rust ``char`` → ``u32``; ``isize`` →
  by pointer width).  C enums keep their names; ``_BitInt`` is left alone (as clang does).
* ``generalize`` — clang ``-fsanitize-cfi-icall-generalize-pointers`` (and the ``.generalized``
  ids both compilers always emit): every pointer becomes a pointer to ``void`` that keeps the
  pointee's qualifiers, every reference ``&()`` / ``&mut ()``, every function pointer what the
  flavour says (``Pv`` for clang, ``PKv`` for rustc).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, assert_never

from .codes import SIZED_INTS
from .flavours import Flavour
from .model import (
    STATIC, VOID, Array, BitInt, CInteger, Complex, Encoded, FixedInt, FixedInteger, FunctionType,
    Named, Pointer, Primitive, Qualified, Reference, RustPath, Scalar, Slice, Tuple, Type,
)
from .targets import Target

_TypeMap = Callable[[Type], Type]
_POINTER_SIZED = {FixedInt.ISIZE: True, FixedInt.USIZE: False}


def normalize(t: Type, target: Target, flavour: Flavour | None = None) -> Type:
    """``t`` with every integer replaced by the fixed-width integer of its size (remembering
    the C type it was when ``flavour`` says so)."""
    match t:
        case CInteger(kind):
            sized = SIZED_INTS[target.int_bits(kind), target.int_signed(kind)]
            return FixedInteger(sized, _origin(t, flavour))
        case FixedInteger(kind):
            if kind in _POINTER_SIZED:
                return FixedInteger(SIZED_INTS[target.pointer_bits, _POINTER_SIZED[kind]])
            return t
        case Primitive(kind):
            if kind is Scalar.BOOL:
                return FixedInteger(FixedInt.U8, _origin(t, flavour))
            if kind is Scalar.RUST_CHAR:
                return FixedInteger(FixedInt.U32)
            return t
        case BitInt() | Named() | Encoded():
            return t
        case Complex(element):
            return Complex(normalize(element, target, flavour))
        case Qualified(base, const, volatile, restrict):
            return Qualified(normalize(base, target, flavour), const, volatile, restrict)
        case Pointer(pointee):
            return Pointer(normalize(pointee, target, flavour))
        case Array(element, length):
            return Array(normalize(element, target, flavour), length)
        case FunctionType():
            return map_function(t, lambda p: normalize(p, target, flavour))
        case Reference(pointee):
            return replace(t, pointee=normalize(pointee, target, flavour))
        case Slice(element):
            return Slice(normalize(element, target, flavour))
        case Tuple(elements):
            return Tuple(tuple(normalize(e, target, flavour) for e in elements))
        case RustPath():
            return replace(t, args=tuple(normalize(a, target, flavour) for a in t.args))
        case _:
            assert_never(t)


def _origin(t: CInteger | Primitive, flavour: Flavour | None) -> CInteger | Primitive | None:
    return t if flavour is not None and flavour.normalized_integers_keep_c_type else None


def generalize(t: Type, flavour: Flavour) -> Type:
    """``t`` with every pointer and reference replaced by its generalised form."""
    match t:
        case Pointer(pointee):
            if isinstance(pointee, FunctionType):
                return flavour.generalized_function_pointer
            # clang reads the pointee's qualifiers from its canonical type, where the qualifiers
            # of an array's elements sit on the array: `const int (*)[4]` → `PKv`
            while isinstance(pointee, Array):
                pointee = pointee.element
            if isinstance(pointee, Qualified):
                return Pointer(Qualified(VOID, pointee.const, pointee.volatile, pointee.restrict))
            return Pointer(VOID)
        case Reference(_, mutable):
            return Reference(VOID, mutable, STATIC)
        case CInteger() | FixedInteger() | Primitive() | BitInt() | Named() | Encoded():
            return t
        case Complex(element):
            return Complex(generalize(element, flavour))
        case Qualified(Pointer() as pointer):
            # a qualified pointer (C's `int *const f(void)`) becomes a fresh `void *`: clang's
            # GeneralizeType builds a new pointer type, dropping the pointer's own qualifiers
            return generalize(pointer, flavour)
        case Qualified(base, const, volatile, restrict):
            return Qualified(generalize(base, flavour), const, volatile, restrict)
        case Array(element, length):
            return Array(generalize(element, flavour), length)
        case FunctionType():
            return map_function(t, lambda p: generalize(p, flavour))
        case Slice(element):
            return Slice(generalize(element, flavour))
        case Tuple(elements):
            return Tuple(tuple(generalize(e, flavour) for e in elements))
        case RustPath():
            return replace(t, args=tuple(generalize(a, flavour) for a in t.args))
        case _:
            assert_never(t)


def map_function(fn: FunctionType, f: _TypeMap) -> FunctionType:
    """``fn`` with ``f`` applied to its return type and each parameter type."""
    return replace(fn, returns=f(fn.returns), params=tuple(f(p) for p in fn.params))
