"""From resolved Rust types to the CFI model, applying what rustc does before it encodes
(``rustc_sanitizers``' ``TransformTy`` and ``typeid_for_fnabi``):

* ``c_void`` becomes ``()`` (``v``);
* a ``repr(transparent)`` struct becomes its first non-zero-sized field (``()`` if none),
  unless it has a ``cfi_encoding``; a field that is a pointer to the struct itself is
  generalised, and a struct already being unwrapped stays a path (rustc's cycle guards);
* a zero-sized parameter of the function itself is left out (not inside fn pointers);
* a ``repr(C)`` struct, union or enum is spelled by its bare name in a function whose ABI
  lowers to C (and in ``extern "C"``/``"C-unwind"`` fn pointers), by its v0 path elsewhere.
"""

from __future__ import annotations

from typing import Mapping

from .flavours import RUSTC
from .model import (
    VOID, Array, CInteger, FixedInteger, FunctionType, PathSegment, Pointer, Primitive,
    Reference, RustPath, Slice, Tuple, Type, qualify,
)
from .rust_abi import function_spells_repr_c_by_name, pointer_spells_repr_c_by_name
from .rust_resolve import Resolver
from .rust_types import (
    RAdt, RArray, RCInt, RFnPtr, RForeign, RInt, RParam, RPtr, RRef, RScalar, RSlice, RTuple,
    RTy, anonymize, contains,
)
from .transform import generalize


class Lowering:
    """Turns resolved types into model types for one target and crate map."""

    def __init__(self, resolver: Resolver, disambiguators: Mapping[str, str]) -> None:
        self.resolver = resolver
        self.disambiguators = disambiguators

    def function(self, params: tuple[RTy, ...], returns: RTy, abi: str, unsafe: bool,
                 variadic: bool) -> FunctionType:
        """The model of a function's own signature (zero-sized parameters left out)."""
        by_name = function_spells_repr_c_by_name(abi, self.resolver.target)
        kept = tuple(p for p in params if not self.resolver.is_zst(p))
        return FunctionType(self.type(returns, by_name),
                            tuple(self.type(p, by_name) for p in kept), variadic, True, abi,
                            unsafe)

    def type(self, t: RTy, by_name: bool, parents: tuple[RAdt, ...] = ()) -> Type:
        """The model of ``t``; ``by_name``: repr(C) types are spelled by name here."""
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
                return Tuple(tuple(self.type(x, by_name, parents) for x in elements))
            case RRef(inner, mutable, lifetime):
                return Reference(self.type(inner, by_name, parents), mutable, lifetime)
            case RPtr(inner, mutable):
                pointee = self.type(inner, by_name, parents)
                return Pointer(pointee if mutable else qualify(pointee, const=True))
            case RSlice(inner):
                return Slice(self.type(inner, by_name, parents))
            case RArray(inner, length):
                return Array(self.type(inner, by_name, parents), length)
            case RFnPtr(params, returns, abi, unsafe, variadic):
                inner_by_name = pointer_spells_repr_c_by_name(abi)
                return Pointer(FunctionType(
                    self.type(returns, inner_by_name, parents),
                    tuple(self.type(p, inner_by_name, parents) for p in params), variadic,
                    True, abi, unsafe))
            case RForeign(foreign):
                return RustPath(foreign.module.crate, self._disambiguator(foreign.module.crate),
                                _segments(foreign.path), encoding=foreign.item.attrs.cfi_encoding,
                                foreign=True)
            case RAdt():
                return self._adt(t, by_name, parents)
            case RParam(name):
                raise AssertionError(f"unsubstituted type parameter {name}")

    def _adt(self, t: RAdt, by_name: bool, parents: tuple[RAdt, ...]) -> Type:
        adt = t.adt
        if adt.is_c_void:
            return VOID
        encoding = adt.item.attrs.cfi_encoding
        if (adt.item.kind == "struct" and "transparent" in adt.repr and encoding is None
                and t not in parents):
            return self._transparent(t, by_name, parents)
        return RustPath(adt.crate, self._disambiguator(adt.crate), _segments(adt.path),
                        tuple(self.type(a, by_name, parents) for a in t.args), t.lifetimes,
                        encoding, by_name=by_name and "C" in adt.repr)

    def _transparent(self, t: RAdt, by_name: bool, parents: tuple[RAdt, ...]) -> Type:
        resolver = self.resolver
        shapes = resolver.variants(resolver.identity(t.adt))[0]
        index = next((i for i, f in enumerate(shapes) if not resolver.is_zst(f)), None)
        if index is None:
            return VOID
        field = anonymize(resolver.variants(t)[0][index])
        lowered = self.type(field, by_name, (*parents, t))
        if isinstance(field, (RRef, RPtr, RFnPtr)) and contains(field, t):
            return generalize(lowered, RUSTC)
        return lowered

    def _disambiguator(self, crate: str) -> str:
        return self.disambiguators.get(crate, "")


def _segments(path: tuple[str, ...]) -> tuple[PathSegment, ...]:
    return tuple(PathSegment("t", name) for name in path)
