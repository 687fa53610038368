"""What rustc checks of every item, used or not, and of every signature it compiles.

rustc refuses a crate for an item no function uses: an alias that names itself (E0391), a
struct of infinite size (E0072), a ``repr(transparent)`` struct with two non-zero-sized
fields (E0690), ``repr(u8)`` on a struct (E0517), a union without fields, a constant whose
value overflows (E0080), a value-namespace name defined twice (E0428, in
:func:`~cfi_typeid.rust.items.add_items`), and a signature whose types are not well formed
(E0277: ``(str, u8)``, ``[str]``, ``Option<[u8]>``; and a parameter or return type by value
must be sized).  Measured on rustc 1.95 (``tests/test_rust_methods.py``).

An unused item's other errors (a name this tool's partial ``std`` does not know, a constant
it does not evaluate) are left until the item is used: only :class:`ItemError` escapes the
checks of unused items.  Not checked, as rustc does not check them either: the types inside
a type alias (``type T = (str, u8);`` is accepted until used) and the parameters of fn-pointer
types by value (``fn(str)``).
"""

from __future__ import annotations

from typing import Callable, TypeVar
from weakref import WeakKeyDictionary

from ..errors import ParseError
from ..memo import remember
from ..model import Scalar
from .ast import (
    AdtItem, AliasItem, ArrayType, AssocArg, ConstArg, ConstItem, DynType, ExternBlock, FnItem,
    FnPtrType, Item, LifetimeArg, ModItem, PathType, PtrType, RefType, SliceType, TupleType,
    TypeExpr,
)
from .consts import ConstValueError
from .items import AdtDef, AliasDef, ConstDef, ItemError, Module, Source
from .resolve import Env, Resolver
from .types import (
    RAdt, RArray, RDyn, RFnPtr, RForeign, RInt, RPtr, RRef, RScalar, RSlice, RTuple, RTy,
    children,
)

_T = TypeVar("_T")
#: The integer representations, which only enums take (E0517).
_INT_REPRS = frozenset({"u8", "u16", "u32", "u64", "u128", "usize",
                        "i8", "i16", "i32", "i64", "i128", "isize"})
#: How deep by-value fields and type arguments are followed.
_MAX_DEPTH = 64


def _quietly(work: Callable[[], _T]) -> _T | None:
    """``work()``, or None when it fails for a reason rustc may not report for an unused
    item (see the module docstring); an :class:`ItemError` always escapes."""
    try:
        return work()
    except ItemError:
        raise
    except (ParseError, RecursionError):
        return None


def check_items(module: Module, items: tuple[Item, ...], resolver: Resolver) -> None:
    """Raise the first :class:`ItemError` rustc would report for ``items`` of ``module``."""
    for item in items:
        match item:
            case AliasItem(name=name):
                d = module.types.get(name)
                if isinstance(d, AliasDef):
                    _check_alias(d, resolver)
            case AdtItem(name=name):
                adt = module.types.get(name)
                if isinstance(adt, AdtDef):
                    _check_adt(adt, resolver)
            case ConstItem(name=name) if name != "_":
                const = module.values.get(name)
                if isinstance(const, ConstDef):
                    resolver.consts.check(const)
            case FnItem() if item.owner is None and not (item.generics.types
                                                         or item.generics.consts):
                _check_unused_signature(item, module, resolver)
            case ModItem(name=name, items=inner):
                child = module.types.get(name)
                if isinstance(child, Module):
                    check_items(child, inner, resolver)
            case ExternBlock(items=inner):
                check_items(module, inner, resolver)
            case _:
                pass


def _check_alias(d: AliasDef, resolver: Resolver) -> None:
    """Only an alias's lifetimes (E0261) and cycles (E0391): rustc evaluates the array
    lengths in it, and checks that its types are well formed, only where it is used."""
    check_lifetimes((d.item.type,), frozenset(d.item.generics.lifetimes), d.module.source)
    try:
        resolver.expand_alias(d)
    except ConstValueError:
        pass
    except ItemError:
        raise
    except (ParseError, RecursionError):
        pass


def _check_unused_signature(fn: FnItem, module: Module, resolver: Resolver) -> None:
    env = Env(module)
    check_lifetimes((*fn.params, fn.returns), frozenset(fn.generics.lifetimes), module.source)
    for p in (*fn.params, *((fn.returns,) if fn.returns is not None else ())):
        t = _quietly(lambda: resolver.type(p, env, "input" if p is not fn.returns
                                           else "output"))
        if t is not None:
            check_parameter(t, resolver, module.source, getattr(p, "at", fn.at))


# ---- structs, unions, enums -------------------------------------------------------------

def _check_adt(adt: AdtDef, resolver: Resolver) -> None:
    item, source = adt.item, adt.module.source
    check_lifetimes(tuple(f.type for f in item.fields)
                    + tuple(f.type for v in item.variants for f in v.fields),
                    frozenset(item.generics.lifetimes), source)
    if item.kind == "union" and not item.fields:
        raise source.item_error("unions cannot have zero fields", item.at)
    if item.kind != "enum" and any(r in _INT_REPRS for r in item.attrs.repr):
        raise source.item_error("attribute should be applied to an enum: a struct or union "
                                "takes no integer repr (rustc E0517)", item.at)
    identity = resolver.identity(adt)
    variants = _quietly(lambda: resolver.variants(identity))
    if variants is None:
        return
    _check_finite(identity, resolver, [], source, item.at)
    if item.kind == "struct" and "transparent" in item.attrs.repr and \
            item.attrs.cfi_encoding is None:
        non_trivial = [f for f in variants[0] if not _quietly(lambda: resolver.is_zst(f))]
        if len(non_trivial) > 1:
            raise source.item_error(
                "transparent struct needs at most one field with non-trivial size or "
                f"alignment, but has {len(non_trivial)} (rustc E0690)", item.at)
    for fields in variants:
        for i, f in enumerate(fields):
            last = item.kind == "struct" and i == len(fields) - 1
            if last:
                check_well_formed(f, resolver, source, item.at)
            else:
                check_value(f, resolver, source, item.at)


def _check_finite(t: RAdt, resolver: Resolver, stack: list[RAdt], source: Source,
                  at: int) -> None:
    """rustc's E0072: a type that holds itself by value (through fields, tuples, arrays and
    the type arguments of other types' by-value fields) has no size."""
    if t in stack:
        name = stack[0].adt.item.name
        raise source.item_error(f"recursive type {name!r} has infinite size (rustc E0072)",
                                at)
    if len(stack) >= _MAX_DEPTH:
        return
    variants = _quietly(lambda: resolver.variants(t))
    for fields in variants or ():
        for f in fields:
            for inner in _by_value(f):
                _check_finite(inner, resolver, [*stack, t], source, at)


def _by_value(t: RTy) -> list[RAdt]:
    match t:
        case RAdt():
            return [t]
        case RArray(inner) | RSlice(inner):
            return _by_value(inner)
        case RTuple(elements):
            return [a for x in elements for a in _by_value(x)]
        case _:
            return []


# ---- well-formed types ------------------------------------------------------------------

#: Types already found sized, well formed and small enough to pass, per resolver (a batch
#: checks each distinct parameter type once; only successes are kept).
_PASSABLE: WeakKeyDictionary[Resolver, dict[RTy, None]] = WeakKeyDictionary()
_MAX_PASSABLE = 16384


def check_parameter(t: RTy, resolver: Resolver, source: Source, at: int) -> None:
    """A function's parameter or return type: :func:`check_value` and
    :func:`check_passable`."""
    known = _PASSABLE.get(resolver)
    if known is None:
        known = _PASSABLE[resolver] = {}
    if t in known:
        return
    check_value(t, resolver, source, at)
    check_passable(t, resolver, source, at)
    remember(known, t, None, _MAX_PASSABLE)


def check_value(t: RTy, resolver: Resolver, source: Source, at: int) -> None:
    """``t`` is passed or held by value: it must be sized, and well formed."""
    unsized = _unsized_part(t, resolver, 0)
    if unsized is not None:
        raise _unsized(unsized, source, at)
    check_well_formed(t, resolver, source, at)


def check_well_formed(t: RTy, resolver: Resolver, source: Source, at: int,
                      depth: int = 0) -> None:
    """rustc's well-formedness of ``t``: a tuple's elements but the last, a slice's or
    array's element and every type argument of a parameter not bounded ``?Sized`` are
    sized (E0277); fn-pointer parameters need not be."""
    if depth > _MAX_DEPTH:
        return
    def sized(x: RTy) -> None:
        unsized = _unsized_part(x, resolver, 0)
        if unsized is not None:
            raise _unsized(unsized, source, at)

    def deeper(x: RTy) -> None:
        check_well_formed(x, resolver, source, at, depth + 1)

    match t:
        case RTuple(elements):
            for x in elements[:-1]:
                sized(x)
            for x in elements:
                deeper(x)
        case RSlice(inner) | RArray(inner):
            sized(inner)
            deeper(inner)
        case RRef(inner) | RPtr(inner):
            deeper(inner)
        case RFnPtr(params, returns):
            for x in (*params, returns):
                deeper(x)
        case RAdt(adt, args):
            generics = adt.item.generics
            order = generics.order or tuple(("ty", n) for n in generics.types)
            for (kind, name), arg in zip(order, args):
                if kind == "ty" and name not in generics.unsized:
                    sized(arg)
                deeper(arg)
        case RDyn():
            for x in children(t):
                deeper(x)
        case _:
            pass


def _unsized_part(t: RTy, resolver: Resolver, depth: int) -> RTy | None:
    """The type that makes ``t`` unsized (``t`` itself, or a tuple's or struct's last
    element), or None when ``t`` is sized."""
    match t:
        case RScalar(kind) if kind is Scalar.STR:
            return t
        case RSlice() | RDyn() | RForeign():
            return t
        case RTuple(elements) if elements:
            return _unsized_part(elements[-1], resolver, depth + 1)
        case RAdt(adt) if adt.item.kind == "struct" and depth < _MAX_DEPTH:
            variants = _quietly(lambda: resolver.variants(t))
            if variants and variants[0]:
                return _unsized_part(variants[0][-1], resolver, depth + 1)
            return None
        case _:
            return None


def _unsized(t: RTy, source: Source, at: int) -> ItemError:
    what = {RSlice: "a slice", RDyn: "a trait object", RForeign: "an extern type"}
    name = "str" if isinstance(t, RScalar) else what.get(type(t), "this type")
    return source.item_error(f"the size for values of {name} cannot be known at compilation "
                             "time: it is not sized where a sized type is required "
                             "(rustc E0277)", at)



# ---- lifetimes ------------------------------------------------------------------------------

def check_lifetimes(types: tuple[TypeExpr | None, ...], declared: frozenset[str],
                    source: Source) -> None:
    """Every named lifetime in ``types`` is declared (by the item, its impl or trait, or a
    ``for<..>`` around it), ``'static`` or ``'_`` (rustc E0261)."""
    if "'" not in source.text:
        return  # (no lifetime is named anywhere in the text these types come from)
    for t in types:
        if t is not None:
            _lifetimes(t, declared | {"'static", "'_"}, source, 0)


def _lifetimes(t: TypeExpr, declared: frozenset[str], source: Source, depth: int) -> None:
    if depth > _MAX_DEPTH * 4:
        return

    def name(lifetime: str | None, at: int) -> None:
        if lifetime is not None and lifetime not in declared:
            raise source.item_error(f"use of undeclared lifetime name `{lifetime}` "
                                    "(rustc E0261)", at)

    def inner(x: TypeExpr, names: frozenset[str] = declared) -> None:
        _lifetimes(x, names, source, depth + 1)

    match t:
        case RefType(of, _, lifetime, at):
            name(lifetime, at)
            inner(of)
        case PtrType(of) | SliceType(of) | ArrayType(of):
            inner(of)
        case TupleType(elements):
            for x in elements:
                inner(x)
        case FnPtrType(params, returns, for_lifetimes=bound):
            names = declared | set(bound)
            for x in (*params, *((returns,) if returns is not None else ())):
                inner(x, names)
        case PathType(segments):
            for seg in segments:
                for a in seg.args:
                    if isinstance(a, LifetimeArg):
                        name(a.name, a.at)
                    elif isinstance(a, AssocArg):
                        inner(a.type)
                    elif not isinstance(a, ConstArg):
                        inner(a)
        case DynType(bounds):
            for b in bounds:
                name(b.lifetime, b.at)
                names = declared | set(b.for_lifetimes)
                if b.path is not None:
                    inner(b.path, names)
                if b.sugar is not None:
                    for x in (*b.sugar.params,
                              *((b.sugar.returns,) if b.sugar.returns is not None else ())):
                        inner(x, names)
        case _:
            pass


# ---- sizes ----------------------------------------------------------------------------------

def check_passable(t: RTy, resolver: Resolver, source: Source, at: int) -> None:
    """A parameter or return value is laid out: rustc refuses a type larger than the
    target's object-size bound (``2**61`` bytes on 64-bit targets, ``2**31`` on 32-bit)."""
    bits = resolver.target.pointer_bits
    bound = 1 << (61 if bits == 64 else bits - 1)
    if _least_size(t, resolver, 0) >= bound:
        raise source.item_error("values of this type are too big for the target "
                                "architecture", at)


def _least_size(t: RTy, resolver: Resolver, depth: int) -> int:
    """A lower bound of ``t``'s size in bytes (0 where it is not worked out)."""
    if depth > _MAX_DEPTH:
        return 0
    match t:
        case RArray(inner, length) if length > 0:
            return length * _least_size(inner, resolver, depth + 1)
        case RTuple(elements):
            return sum(_least_size(x, resolver, depth + 1) for x in elements)
        case RInt(kind):
            return (resolver.target.pointer_bits if kind.value[1:] == "size"
                    else int(kind.value[1:])) // 8
        case RRef() | RPtr() | RFnPtr():
            return resolver.target.pointer_bits // 8
        case RAdt(adt) if adt.item.kind != "union":
            variants = _quietly(lambda: resolver.variants(t)) or []
            sizes = [sum(_least_size(f, resolver, depth + 1) for f in fields)
                     for fields in variants]
            return max(sizes, default=0)
        case _:
            return 1 if isinstance(t, RScalar) and t.kind is not Scalar.NEVER else 0
