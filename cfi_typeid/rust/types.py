"""Resolved Rust types: what rustc's ``Ty`` is before the CFI transforms.

The resolver (:mod:`rust_resolve`) turns syntax into these: aliases expanded, paths resolved to
their definitions, lifetimes erased or bound.  They differ from the CFI model in what rustc
still knows at this point and the model must not: which struct is ``repr(transparent)``, which
enum is ``c_void``, what is zero-sized.  :mod:`rust_lower` applies rustc's transforms to turn
them into model types.

Lifetimes use the model's :class:`~cfi_typeid.model.Lifetime`: while resolving, a bound one's
``index`` is a unique id; :func:`anonymize` then numbers each binder's lifetimes by first
appearance, as rustc's region eraser does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeAlias

from ..model import CInt, FixedInt, Lifetime, Scalar

if TYPE_CHECKING:
    from .items import AdtDef, ForeignDef


@dataclass(frozen=True, slots=True)
class RInt:
    kind: FixedInt


@dataclass(frozen=True, slots=True)
class RCInt:
    """A C integer type (``core::ffi::cfi::c_long``): encoded as C's ``l``."""

    kind: CInt


@dataclass(frozen=True, slots=True)
class RScalar:
    """``bool``, ``char``, floats, ``str``, ``!``."""

    kind: Scalar


@dataclass(frozen=True, slots=True)
class RRef:
    inner: RTy
    mutable: bool
    lifetime: Lifetime


@dataclass(frozen=True, slots=True)
class RPtr:
    inner: RTy
    mutable: bool


@dataclass(frozen=True, slots=True)
class RSlice:
    inner: RTy


@dataclass(frozen=True, slots=True)
class RArray:
    inner: RTy
    length: int


@dataclass(frozen=True, slots=True)
class RTuple:
    """A tuple; ``RTuple(())`` is ``()``."""

    elements: tuple[RTy, ...]


@dataclass(frozen=True, slots=True)
class RFnPtr:
    params: tuple[RTy, ...]
    returns: RTy
    abi: str
    unsafe: bool
    variadic: bool


@dataclass(frozen=True, slots=True)
class RAdt:
    """A struct, union or enum with its generic arguments."""

    adt: AdtDef = field(compare=False)
    args: tuple[RTy, ...] = ()
    lifetimes: tuple[Lifetime, ...] = ()
    #: identity of ``adt`` for equality and hashing (definitions are not hashable by value)
    key: int = 0


@dataclass(frozen=True, slots=True)
class RForeign:
    """An extern type."""

    foreign: ForeignDef = field(compare=False)
    key: int = 0


@dataclass(frozen=True, slots=True)
class RParam:
    """A type parameter left unsubstituted: its layout is unknown (rustc's layout query fails,
    which ``repr(transparent)``'s search for the non-zero-sized field treats as "not ZST")."""

    name: str


RTy: TypeAlias = (RInt | RCInt | RScalar | RRef | RPtr | RSlice | RArray | RTuple | RFnPtr
                  | RAdt | RForeign | RParam)

UNIT = RTuple(())


def children(t: RTy) -> tuple[RTy, ...]:
    """The component types of ``t`` in rustc's folding order."""
    match t:
        case RRef(inner) | RPtr(inner) | RSlice(inner) | RArray(inner):
            return (inner,)
        case RTuple(elements):
            return elements
        case RFnPtr(params, returns):
            return (*params, returns)
        case RAdt(args=args):
            return args
        case _:
            return ()


def contains(t: RTy, part: RTy) -> bool:
    """Whether ``part`` occurs in ``t`` (rustc's ``Ty::contains``)."""
    return t == part or any(contains(c, part) for c in children(t))


def anonymize(t: RTy) -> RTy:
    """``t`` with the lifetimes of every fn-pointer binder numbered 0, 1, ... by first
    appearance (params, then the return type; a reference's lifetime before its pointee)."""
    return _renumber(t, [])


def _lifetime(lt: Lifetime, frames: list[dict[int, int]]) -> Lifetime:
    if lt.binder is None or lt.binder >= len(frames):
        return lt
    numbering = frames[-1 - lt.binder]
    return Lifetime(lt.binder, numbering.setdefault(lt.index, len(numbering)))


def _renumber(t: RTy, frames: list[dict[int, int]]) -> RTy:
    match t:
        case RRef(inner, mutable, lifetime):
            lifetime = _lifetime(lifetime, frames)
            return RRef(_renumber(inner, frames), mutable, lifetime)
        case RPtr(inner, mutable):
            return RPtr(_renumber(inner, frames), mutable)
        case RSlice(inner):
            return RSlice(_renumber(inner, frames))
        case RArray(inner, length):
            return RArray(_renumber(inner, frames), length)
        case RTuple(elements):
            return RTuple(tuple(_renumber(e, frames) for e in elements))
        case RFnPtr(params, returns):
            frames.append({})
            new_params = tuple(_renumber(p, frames) for p in params)
            new_returns = _renumber(returns, frames)
            frames.pop()
            return replace(t, params=new_params, returns=new_returns)
        case RAdt(args=args, lifetimes=lifetimes):
            new_lifetimes = tuple(_lifetime(lt, frames) for lt in lifetimes)
            return replace(t, args=tuple(_renumber(a, frames) for a in args),
                           lifetimes=new_lifetimes)
        case _:
            return t


def shift(t: RTy, by: int, depth: int = 0) -> RTy:
    """``t`` moved under ``by`` more binders: bound lifetimes that escape it point further out
    (rustc shifts escaping bound vars when it substitutes generic arguments)."""
    if by == 0:
        return t

    def lt(x: Lifetime, d: int) -> Lifetime:
        return x if x.binder is None or x.binder < d else Lifetime(x.binder + by, x.index)

    def go(u: RTy, d: int) -> RTy:
        match u:
            case RRef(inner, mutable, lifetime):
                return RRef(go(inner, d), mutable, lt(lifetime, d))
            case RPtr(inner, mutable):
                return RPtr(go(inner, d), mutable)
            case RSlice(inner):
                return RSlice(go(inner, d))
            case RArray(inner, length):
                return RArray(go(inner, d), length)
            case RTuple(elements):
                return RTuple(tuple(go(e, d) for e in elements))
            case RFnPtr(params, returns):
                return replace(u, params=tuple(go(p, d + 1) for p in params),
                               returns=go(returns, d + 1))
            case RAdt(args=args, lifetimes=lifetimes):
                return replace(u, args=tuple(go(a, d) for a in args),
                               lifetimes=tuple(lt(x, d) for x in lifetimes))
            case _:
                return u

    return go(t, depth)


def shift_lifetime(lt: Lifetime, by: int) -> Lifetime:
    """A lifetime argument moved under ``by`` more binders."""
    return lt if lt.binder is None else Lifetime(lt.binder + by, lt.index)
