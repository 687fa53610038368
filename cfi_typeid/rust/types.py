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
from typing import TYPE_CHECKING, Callable, TypeAlias

from ..model import CInt, FixedInt, Lifetime, Scalar, keep_hash
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

if TYPE_CHECKING:
    from .items import AdtDef, ForeignDef, TraitDef


class _Kept:
    """The base of the types that hold types: a slot for the hash, kept once computed (see
    :func:`cfi_typeid.model.keep_hash`), as the model's nodes keep theirs: the lowering's and
    the layout's memos look the same resolved parameter types up line after line."""

    __slots__ = ("_hash",)
    _hash: int


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
class RRef(_Kept):
    inner: RTy
    mutable: bool
    lifetime: Lifetime


@dataclass(frozen=True, slots=True)
class RPtr(_Kept):
    inner: RTy
    mutable: bool


@dataclass(frozen=True, slots=True)
class RSlice(_Kept):
    inner: RTy


@dataclass(frozen=True, slots=True)
class RArray(_Kept):
    inner: RTy
    length: int


@dataclass(frozen=True, slots=True)
class RTuple(_Kept):
    """A tuple; ``RTuple(())`` is ``()``."""

    elements: tuple[RTy, ...]


@dataclass(frozen=True, slots=True)
class RFnPtr(_Kept):
    params: tuple[RTy, ...]
    returns: RTy
    abi: str
    unsafe: bool
    variadic: bool


@dataclass(frozen=True, slots=True)
class RAdt(_Kept):
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


@dataclass(frozen=True, slots=True)
class RConst(_Kept):
    """A const generic argument: its type and its value as rustc spells it (``32``,
    ``true``)."""

    type: RTy
    value: str


@dataclass(frozen=True, slots=True)
class RTraitRef(_Kept):
    """A trait with its generic arguments but no ``Self``: a trait object's principal trait
    or auto trait (rustc's ``ExistentialTraitRef``)."""

    trait: TraitDef = field(compare=False)
    args: tuple[RTy, ...] = ()
    lifetimes: tuple[Lifetime, ...] = ()
    key: int = 0


@dataclass(frozen=True, slots=True)
class RProjection(_Kept):
    """``Item = u8`` in a trait object: the associated type of ``trait`` (the trait that
    declares it, with that trait's arguments) bound to ``term``."""

    trait: TraitDef = field(compare=False)
    name: str = ""
    args: tuple[RTy, ...] = ()
    lifetimes: tuple[Lifetime, ...] = ()
    term: RTy = field(default_factory=lambda: RTuple(()))
    key: int = 0


@dataclass(frozen=True, slots=True)
class RDyn(_Kept):
    """``dyn Trait + Send + 'a``: its predicates in rustc's order (principal, projections,
    auto traits), each under a binder of its own (``Fn(&u8)``'s elided lifetime is bound
    there), and its region."""

    predicates: tuple[RTraitRef | RProjection, ...]
    lifetime: Lifetime


RTy: TypeAlias = (RInt | RCInt | RScalar | RRef | RPtr | RSlice | RArray | RTuple | RFnPtr
                  | RAdt | RForeign | RParam | RConst | RDyn)

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
        case RDyn(predicates):
            return tuple(x for p in predicates for x in _predicate_children(p))
        case _:
            return ()


def _predicate_children(p: RTraitRef | RProjection) -> tuple[RTy, ...]:
    return (*p.args, p.term) if isinstance(p, RProjection) else p.args


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
        case RDyn(predicates, lifetime):
            region = _lifetime(lifetime, frames)
            out = []
            for p in predicates:
                frames.append({})
                out.append(map_predicate(p, lambda x: _renumber(x, frames),
                                         lambda lt: _lifetime(lt, frames)))
                frames.pop()
            return RDyn(tuple(out), region)
        case _:
            return t


def map_predicate(p: RTraitRef | RProjection, ty: Callable[[RTy], RTy],
                  lt: Callable[[Lifetime], Lifetime]) -> RTraitRef | RProjection:
    """``p`` with ``ty`` applied to its type arguments (and term) and ``lt`` to its
    lifetimes."""
    args, lifetimes = tuple(ty(a) for a in p.args), tuple(lt(x) for x in p.lifetimes)
    if isinstance(p, RProjection):
        return replace(p, args=args, lifetimes=lifetimes, term=ty(p.term))
    return replace(p, args=args, lifetimes=lifetimes)


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
            case RDyn(predicates, lifetime):
                return RDyn(tuple(map_predicate(p, lambda x: go(x, d + 1),
                                                lambda x: lt(x, d + 1)) for p in predicates),
                            lt(lifetime, d))
            case _:
                return u

    return go(t, depth)


def shift_lifetime(lt: Lifetime, by: int) -> Lifetime:
    """A lifetime argument moved under ``by`` more binders."""
    return lt if lt.binder is None else Lifetime(lt.binder + by, lt.index)


for _cls in (RRef, RPtr, RSlice, RArray, RTuple, RFnPtr, RAdt, RConst, RTraitRef, RProjection,
             RDyn):
    keep_hash(_cls)
del _cls


_METHODS.close()
