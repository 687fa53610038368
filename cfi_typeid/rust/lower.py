"""From resolved Rust types to the CFI model, applying what rustc does before it encodes
(``rustc_sanitizers``' ``TransformTy`` and ``typeid_for_fnabi``):

* ``c_void`` becomes ``()`` (``v``);
* a ``repr(transparent)`` struct becomes its first non-zero-sized field (``()`` if none),
  unless it has a ``cfi_encoding``; a field that is a pointer to the struct itself is
  generalised, and a struct already being unwrapped stays a path (rustc's cycle guards);
* a zero-sized parameter of the function itself is left out (not inside fn pointers; and
  not where the calling convention passes it: ``win64``, ``vectorcall`` on x86_64);
* a ``repr(C)`` struct, union or enum is spelled by its bare name in a function whose ABI
  lowers to C (and in ``extern "C"``/``"C-unwind"`` fn pointers), by its v0 path elsewhere.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from ..model import (
    STATIC, VOID, Array, CInteger, ConstValue, DynTrait, FixedInteger, FunctionType, PathSegment,
    Pointer, Primitive, Projection, Reference, RustPath, Slice, Tuple, Type, qualify,
)
from ..memo import remember
from .abi import (
    function_spells_repr_c_by_name, pointer_spells_repr_c_by_name, skips_zero_sized_params,
)
from .resolve import Resolver
from .types import (
    UNIT, RAdt, RArray, RCInt, RConst, RDyn, RFnPtr, RForeign, RInt, RParam, RProjection, RPtr,
    RRef, RScalar, RSlice, RTraitRef, RTuple, RTy, anonymize, contains, map_predicate,
)


#: Memo entries kept per :class:`Lowering` before it starts afresh (a bound on memory).
_MAX_MEMO = 16384
#: The resolved types that may be zero-sized (see LayoutFacts.is_zst): integers, pointers,
#: references, fn pointers, slices and trait objects never are.
_MAYBE_ZERO_SIZED = (RScalar, RArray, RTuple, RAdt)


class Lowering:
    """Turns resolved types into model types for one target and crate map.

    What a function's parameter or return type lowers to, and whether it is zero-sized,
    depend on nothing but the type (a definition is part of a type's identity, and holds the
    module its fields resolve in), the target and the crate map: so they are memoised, and a
    batch of declarations lowers each distinct parameter type once.  Only answers reached
    without error are kept, so a memoised one never hides an error."""

    def __init__(self, resolver: Resolver, disambiguators: Mapping[str, str]) -> None:
        self.resolver = resolver
        self.disambiguators = disambiguators
        self._zst: dict[RTy, bool] = {}
        self._lowered: dict[tuple[RTy, bool], Type] = {}

    def function(self, params: tuple[RTy, ...], returns: RTy, abi: str, unsafe: bool,
                 variadic: bool) -> FunctionType:
        """The model of a function's own signature (zero-sized parameters left out)."""
        target = self.resolver.target
        by_name = function_spells_repr_c_by_name(abi, target)
        skip = skips_zero_sized_params(abi, target)
        kept = tuple(p for p in params if not (skip and self._is_zst(p)))
        return FunctionType(self._lower(returns, by_name),
                            tuple(self._lower(p, by_name) for p in kept),
                            variadic, True, abi, unsafe)

    def _is_zst(self, t: RTy) -> bool:
        if not isinstance(t, _MAYBE_ZERO_SIZED):
            return False  # (what LayoutFacts.is_zst says of them: most parameters)
        if not isinstance(t, RAdt):
            return self.resolver.is_zst(t)  # cheaper than hashing it: no fields to look at
        zst = self._zst.get(t)
        if zst is None:
            zst = remember(self._zst, t, self.resolver.is_zst(t), _MAX_MEMO)
        return zst

    def _lower(self, t: RTy, by_name: bool) -> Type:
        lowered = self._lowered.get((t, by_name))
        if lowered is None:
            lowered = remember(self._lowered, (t, by_name),
                               self.type(self.transform(t), by_name), _MAX_MEMO)
        return lowered

    # ---- rustc's TransformTy ------------------------------------------------------------------

    def transform(self, t: RTy, parents: tuple[RAdt, ...] = ()) -> RTy:
        """``t`` with ``c_void`` as ``()`` and ``repr(transparent)`` structs unwrapped.

        rustc runs this pass over each parameter, and again over the parameters of every fn
        pointer when it encodes that pointer, each time with no enclosing structs: so a
        self-referential transparent struct inside a fn pointer is unwrapped once more per
        level of fn pointers it is under (:meth:`type` calls this again for them)."""
        match t:
            case RRef(inner, mutable, lifetime):
                return RRef(self.transform(inner, parents), mutable, lifetime)
            case RPtr(inner, mutable):
                return RPtr(self.transform(inner, parents), mutable)
            case RSlice(inner):
                return RSlice(self.transform(inner, parents))
            case RArray(inner, length):
                return RArray(self.transform(inner, parents), length)
            case RTuple(elements):
                return RTuple(tuple(self.transform(x, parents) for x in elements))
            case RFnPtr(params, returns):
                return replace(t, params=tuple(self.transform(p, parents) for p in params),
                               returns=self.transform(returns, parents))
            case RDyn(predicates, lifetime):
                return RDyn(tuple(map_predicate(p, lambda x: self.transform(x, parents),
                                                lambda lt: lt) for p in predicates), lifetime)
            case RAdt(adt):
                if adt.is_c_void:
                    return UNIT
                if (adt.item.kind == "struct" and "transparent" in adt.repr
                        and adt.item.attrs.cfi_encoding is None and t not in parents):
                    return self._transparent(t, parents)
                return replace(t, args=tuple(self.transform(a, parents) for a in t.args))
            case _:
                return t

    def _transparent(self, t: RAdt, parents: tuple[RAdt, ...]) -> RTy:
        resolver = self.resolver
        shapes = resolver.variants(resolver.identity(t.adt))[0]
        index = next((i for i, f in enumerate(shapes) if not resolver.is_zst(f)), None)
        if index is None:
            return UNIT
        field = anonymize(resolver.variants(t)[0][index])
        if isinstance(field, (RRef, RPtr, RFnPtr)) and contains(field, t):
            # a pointer to itself: generalised, to end the cycle
            match field:
                case RRef(_, mutable):
                    return RRef(UNIT, mutable, STATIC)
                case RPtr(_, mutable):
                    return RPtr(UNIT, mutable)
                case _:
                    return RPtr(UNIT, False)
        return self.transform(field, (*parents, t))

    # ---- encoding choices ---------------------------------------------------------------------

    def type(self, t: RTy, by_name: bool) -> Type:
        """The model of transformed ``t``; ``by_name``: repr(C) types are spelled by name."""
        match t:
            case RInt(kind):
                return FixedInteger(kind)
            case RCInt(kind):
                return CInteger(kind)
            case RScalar(kind):
                return Primitive(kind)
            case RTuple(()):
                return VOID
            case RTuple(elements):
                return Tuple(tuple(self.type(x, by_name) for x in elements))
            case RRef(inner, mutable, lifetime):
                return Reference(self.type(inner, by_name), mutable, lifetime)
            case RPtr(inner, mutable):
                pointee = self.type(inner, by_name)
                return Pointer(pointee if mutable else qualify(pointee, const=True))
            case RSlice(inner):
                return Slice(self.type(inner, by_name))
            case RArray(inner, length):
                return Array(self.type(inner, by_name), length)
            case RFnPtr(params, returns, abi, unsafe, variadic):
                c_abi = pointer_spells_repr_c_by_name(abi)
                return Pointer(FunctionType(
                    self.type(self.transform(returns), c_abi),
                    tuple(self.type(self.transform(p), c_abi) for p in params), variadic,
                    True, abi, unsafe))
            case RForeign(foreign):
                crate = foreign.module.crate
                return RustPath(crate, self.disambiguators.get(crate, ""),
                                _segments(foreign.path), encoding=foreign.item.attrs.cfi_encoding,
                                foreign=True)
            case RAdt(adt, args, lifetimes):
                return RustPath(adt.crate, self.disambiguators.get(adt.crate, ""),
                                _segments(adt.path), tuple(self.type(a, by_name) for a in args),
                                lifetimes, adt.item.attrs.cfi_encoding,
                                by_name=by_name and "C" in adt.repr)
            case RConst(ty, value):
                return ConstValue(self.type(ty, by_name), value)
            case RDyn(predicates, lifetime):
                return DynTrait(tuple(self._predicate(p, by_name) for p in predicates),
                                lifetime)
            case RParam(name):
                raise AssertionError(f"unsubstituted type parameter {name}")

    def _predicate(self, p: RTraitRef | RProjection, by_name: bool) -> Type:
        crate = p.trait.crate
        names = (*p.trait.path, p.name) if isinstance(p, RProjection) else p.trait.path
        path = RustPath(crate, self.disambiguators.get(crate, ""), _segments(names),
                        tuple(self.type(a, by_name) for a in p.args), p.lifetimes)
        if isinstance(p, RProjection):
            return Projection(path, self.type(p.term, by_name))
        return path


def _segments(path: tuple[str, ...]) -> tuple[PathSegment, ...]:
    return tuple(PathSegment("t", name) for name in path)
