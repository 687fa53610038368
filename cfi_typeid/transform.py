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

from functools import partial
from operator import is_
from typing import Any, Callable, get_args

from .codes import SIZED_INTS
from .flavours import Flavour
from .model import (
    STATIC, VOID, Array, Atomic, BitInt, CInt, CInteger, Complex, ConstValue, DynTrait, Encoded,
    FixedInt, FixedInteger, FunctionType, Named, Pointer, Primitive, Projection, Qualified,
    Reference, RustPath, Scalar, Slice, Tuple, Type, Vector,
)
from .targets import Target

_POINTER_SIZED = {FixedInt.ISIZE: True, FixedInt.USIZE: False}

# Both passes dispatch on the node's class through a table (this runs three times for every
# id, and a ``match`` over the union tests its class patterns one by one), build nodes
# directly rather than through ``dataclasses.replace``, and hand back the node itself when
# none of its children changed: an equal node either way, with fewer allocations, and the
# encoder's dictionary compares an unchanged node by identity.  What a pass does to a node
# it has no rule for (rebuild it from its mapped children) is one table, ``_STRUCTURE``,
# shared by both; each pass adds its own rules on top.  ``_check_dispatch`` proves the tables
# complete, as ``assert_never`` did for the ``match``.


class _Sizes:
    """What ``normalize`` replaces each integer leaf with, for one target and flavour."""

    __slots__ = ("target", "c_ints", "bool", "pointer_sized")

    def __init__(self, target: Target, keep_c_type: bool) -> None:
        self.target = target  # keeps the id() this is cached under alive
        #: One node per C integer kind, remembering it as its origin when the flavour says
        #: so (the origin compares by kind, so one shared CInteger serves every node).
        self.c_ints = {
            kind: FixedInteger(SIZED_INTS[target.int_bits(kind), target.int_signed(kind)],
                               CInteger(kind) if keep_c_type else None)
            for kind in CInt}
        self.bool = FixedInteger(FixedInt.U8, Primitive(Scalar.BOOL) if keep_c_type else None)
        self.pointer_sized = {
            kind: FixedInteger(SIZED_INTS[target.pointer_bits, signed])
            for kind, signed in _POINTER_SIZED.items()}


_SIZES: dict[tuple[int, bool], _Sizes] = {}
_RUST_CHAR = FixedInteger(FixedInt.U32)


def _sizes(target: Target, flavour: Flavour | None) -> _Sizes:
    keep = flavour is not None and flavour.normalized_integers_keep_c_type
    sizes = _SIZES.get((id(target), keep))
    if sizes is None or sizes.target is not target:
        sizes = _SIZES[id(target), keep] = _Sizes(target, keep)
    return sizes


def normalize(t: Type, target: Target, flavour: Flavour | None = None) -> Type:
    """``t`` with every integer replaced by the fixed-width integer of its size (remembering
    the C type it was when ``flavour`` says so)."""
    return _normalize(t, _sizes(target, flavour))


def normalize_function(fn: FunctionType, target: Target, flavour: Flavour | None = None
                       ) -> FunctionType:
    """:func:`normalize` of a function type, typed as one (``fn`` itself if it has no integer
    to normalise)."""
    return _map_function(_normalize, fn, _sizes(target, flavour))


def _normalize(t: Type, sizes: _Sizes) -> Type:
    if type(t) is CInteger:
        return sizes.c_ints[t.kind]
    return _NORMALIZERS[type(t)](t, sizes)


def _normalize_fixed(t: FixedInteger, sizes: _Sizes) -> Type:
    return sizes.pointer_sized.get(t.kind, t)


def _normalize_primitive(t: Primitive, sizes: _Sizes) -> Type:
    if t.kind is Scalar.BOOL:
        return sizes.bool
    if t.kind is Scalar.RUST_CHAR:
        return _RUST_CHAR
    return t


def generalize(t: Type, flavour: Flavour) -> Type:
    """``t`` with every pointer and reference replaced by its generalised form."""
    if type(t) is CInteger:
        return t
    return _GENERALIZERS[type(t)](t, flavour)


def generalize_function(fn: FunctionType, flavour: Flavour) -> FunctionType:
    """:func:`generalize` of a function type, typed as one (``fn`` itself if it has no
    pointer or reference to generalise)."""
    return _map_function(generalize, fn, flavour)


def _generalize_pointer(t: Pointer, flavour: Flavour) -> Type:
    pointee = t.pointee
    if isinstance(pointee, FunctionType):
        return flavour.generalized_function_pointer
    # clang reads the pointee's qualifiers from its canonical type, where the qualifiers
    # of an array's elements sit on the array: `const int (*)[4]` → `PKv`
    while isinstance(pointee, Array):
        pointee = pointee.element
    if isinstance(pointee, Qualified):
        return _QUALIFIED_VOID_POINTERS[pointee.const, pointee.volatile, pointee.restrict]
    return _VOID_POINTER


def _generalize_reference(t: Reference, flavour: Flavour) -> Type:
    return _VOID_REFERENCES[t.mutable]


def _generalize_qualified(t: Qualified, flavour: Flavour) -> Type:
    if isinstance(t.base, Pointer):
        # a qualified pointer (C's `int *const f(void)`) becomes a fresh `void *`: clang's
        # GeneralizeType builds a new pointer type, dropping the pointer's own qualifiers
        return _generalize_pointer(t.base, flavour)
    return _map_qualified(generalize, t, flavour)


_VOID_POINTER = Pointer(VOID)
_QUALIFIED_VOID_POINTERS = {
    (const, volatile, restrict): Pointer(Qualified(VOID, const, volatile, restrict))
    for const in (False, True) for volatile in (False, True) for restrict in (False, True)}
_VOID_REFERENCES = {mutable: Reference(VOID, mutable, STATIC) for mutable in (False, True)}


def _function_like(fn: FunctionType, returns: Type, params: tuple[Type, ...]) -> FunctionType:
    """``fn`` with ``returns`` and ``params`` (``fn`` itself when they are its own)."""
    if returns is fn.returns and _same(params, fn.params):
        return fn
    return FunctionType(returns, params, fn.variadic, fn.prototyped, fn.abi, fn.unsafe,
                        fn.calling_convention)


def _with_args(t: RustPath, args: tuple[Type, ...]) -> RustPath:
    """``t`` with generic arguments ``args``, every other field kept (``by_name`` too, which
    takes no part in equality but decides the spelling)."""
    if _same(args, t.args):
        return t
    return RustPath(t.crate, t.disambiguator, t.segments, args, t.lifetimes, t.encoding,
                    t.foreign, t.by_name)


def _same(new: tuple[Type, ...], old: tuple[Type, ...]) -> bool:
    """Whether each of ``new`` is the very object at its place in ``old``."""
    return all(map(is_, new, old))  # (no generator frame: this runs for every node mapped)


# ---- structure shared by both passes: a node rebuilt from its children, each mapped by
# ``f(child, arg)`` (the node itself when no child changed) ---------------------------------

_Recurse = Callable[[Any, Any], Type]


def _keep(f: _Recurse, t: Type, arg: Any) -> Type:
    return t


def _map_complex(f: _Recurse, t: Complex, arg: Any) -> Type:
    element = f(t.element, arg)
    return t if element is t.element else Complex(element)


def _map_atomic(f: _Recurse, t: Atomic, arg: Any) -> Type:
    base = f(t.base, arg)
    return t if base is t.base else Atomic(base)


def _map_vector(f: _Recurse, t: Vector, arg: Any) -> Type:
    element = f(t.element, arg)  # (normalised as any integer; no pointer to generalise)
    return t if element is t.element else Vector(element, t.count, t.ext)


def _map_qualified(f: _Recurse, t: Qualified, arg: Any) -> Type:
    base = f(t.base, arg)
    return t if base is t.base else Qualified(base, t.const, t.volatile, t.restrict)


def _map_pointer(f: _Recurse, t: Pointer, arg: Any) -> Type:
    pointee = f(t.pointee, arg)
    return t if pointee is t.pointee else Pointer(pointee)


def _map_reference(f: _Recurse, t: Reference, arg: Any) -> Type:
    pointee = f(t.pointee, arg)
    return t if pointee is t.pointee else Reference(pointee, t.mutable, t.lifetime)


def _map_array(f: _Recurse, t: Array, arg: Any) -> Type:
    element = f(t.element, arg)
    return t if element is t.element else Array(element, t.length, t.variable)


def _map_slice(f: _Recurse, t: Slice, arg: Any) -> Type:
    element = f(t.element, arg)
    return t if element is t.element else Slice(element)


def _map_function(f: _Recurse, t: FunctionType, arg: Any) -> FunctionType:
    return _function_like(t, f(t.returns, arg), tuple([f(p, arg) for p in t.params]))


def _map_tuple(f: _Recurse, t: Tuple, arg: Any) -> Type:
    elements = tuple([f(e, arg) for e in t.elements])
    return t if _same(elements, t.elements) else Tuple(elements)


def _map_rust_path(f: _Recurse, t: RustPath, arg: Any) -> Type:
    if not t.args:
        return t
    return _with_args(t, tuple([f(a, arg) for a in t.args]))


def _map_const_value(f: _Recurse, t: ConstValue, arg: Any) -> Type:
    ty = f(t.type, arg)
    return t if ty is t.type else ConstValue(ty, t.value)


def _map_projection(f: _Recurse, t: Projection, arg: Any) -> Type:
    path, term = f(t.path, arg), f(t.term, arg)
    if path is t.path and term is t.term:
        return t
    assert isinstance(path, RustPath)
    return Projection(path, term)


def _map_dyn_trait(f: _Recurse, t: DynTrait, arg: Any) -> Type:
    predicates = tuple([f(p, arg) for p in t.predicates])
    return t if _same(predicates, t.predicates) else DynTrait(predicates, t.lifetime)


_STRUCTURE: dict[type, Callable[[_Recurse, Any, Any], Type]] = {
    FixedInteger: _keep, Primitive: _keep, BitInt: _keep, Named: _keep, Encoded: _keep,
    Complex: _map_complex, Atomic: _map_atomic, Qualified: _map_qualified, Pointer: _map_pointer,
    Reference: _map_reference, Array: _map_array, Slice: _map_slice,
    FunctionType: _map_function, Tuple: _map_tuple, RustPath: _map_rust_path,
    ConstValue: _map_const_value, Projection: _map_projection, DynTrait: _map_dyn_trait,
}
_STRUCTURE[Vector] = _map_vector

_Map = Callable[[Any, Any], Type]


def _pass(recurse: _Recurse, rules: dict[type, _Map]) -> dict[type, _Map]:
    """A pass's dispatch table: its own ``rules``, and ``_STRUCTURE`` (recursing through
    ``recurse``) for every other class."""
    table: dict[type, _Map] = {cls: partial(m, recurse) for cls, m in _STRUCTURE.items()}
    table.update(rules)
    return table


def _normalize_const(t: ConstValue, sizes: _Sizes) -> Type:
    # the value is written as its (normalised) type's: a bool argument becomes u8 1 or 0
    ty = _normalize(t.type, sizes)
    if ty is t.type:
        return t
    return ConstValue(ty, {"true": "1", "false": "0"}.get(t.value, t.value))


_NORMALIZERS = _pass(_normalize, {
    FixedInteger: _normalize_fixed, Primitive: _normalize_primitive,
    ConstValue: _normalize_const,
})

_GENERALIZERS = _pass(generalize, {
    Pointer: _generalize_pointer, Reference: _generalize_reference,
    Qualified: _generalize_qualified,
    # clang generalises no pointer inside _Atomic: `_Atomic(int *)` stays U7_AtomicPi
    Atomic: partial(_keep, generalize),
})


def _check_dispatch() -> None:
    """Each table covers the ``Type`` union but ``CInteger`` (tested first): a type added to
    the model and forgotten here fails at import."""
    expected = sorted(str(c) for c in get_args(Type) if c is not CInteger)
    for name, table in (("normalize", _NORMALIZERS), ("generalize", _GENERALIZERS)):
        if sorted(map(str, table)) != expected:
            raise AssertionError(f"{name} dispatch {list(table)} does not cover {expected}")


_check_dispatch()
