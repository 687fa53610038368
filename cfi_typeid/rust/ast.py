"""The syntax of the Rust we read: items and type expressions, as written, with offsets.

These are what the grammar's transformer (:mod:`cfi_typeid.rust.syntax`) builds.  Nothing here
is resolved: a :class:`PathType` is a path as written, a lifetime a name.  Name resolution,
layout and rustc's CFI transforms happen later, in :mod:`cfi_typeid.rust.resolve` and
:mod:`cfi_typeid.rust.lower`.  ``at`` is always an offset into the text that was parsed, for
positioned errors; it takes no part in equality or hashing, so that a type written alike in
two places is one dictionary key (the front end reuses what it resolved for such a type).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)


def _offset() -> Any:
    """The ``at`` field of every node: 0 unless given, and left out of equality and hashing
    (see above)."""
    return field(default=0, compare=False)


# ---- types ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathSeg:
    """One segment of a path: ``Option<&'a T>`` is ``PathSeg("Option", (RefType(..),))``."""

    name: str
    args: tuple[GenericArg, ...] = ()
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class PathType:
    """A path naming a type, module, const or primitive (``core::ffi::c_long``, ``u8``)."""

    segments: tuple[PathSeg, ...]
    is_global: bool = False
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class LifetimeArg:
    """``'a``, ``'_``, ``'static`` as a generic argument."""

    name: str
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class ConstArg:
    """A const generic argument written as one (``3``, ``{ N + 1 }``); ``true`` or a const
    parameter's name come as a type path, which the resolver reads as a const where the item
    wants one."""

    value: Expr | None = None
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class AssocArg:
    """An associated type binding in generic arguments: ``Item = u8``."""

    name: str
    type: TypeExpr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class FnSugar:
    """``Fn(A, B) -> R`` after a trait path: the arguments tuple and the ``Output``."""

    params: tuple[TypeExpr, ...]
    returns: TypeExpr | None
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class TraitBound:
    """One bound of a trait object or ``impl Trait``: a trait path (``?Sized`` has
    ``maybe``), or a lifetime (``'a``; ``path`` None)."""

    path: PathType | None
    sugar: FnSugar | None = None
    maybe: bool = False
    lifetime: str | None = None
    at: int = _offset()
    #: ``for<'a>`` before the path: lifetimes it binds
    for_lifetimes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DynType:
    """``dyn A<..> + Send + 'a``."""

    bounds: tuple[TraitBound, ...]
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class RefType:
    """``&'a mut T``; ``lifetime`` is None when elided."""

    inner: TypeExpr
    mutable: bool = False
    lifetime: str | None = None
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class PtrType:
    """``*const T`` / ``*mut T``."""

    inner: TypeExpr
    mutable: bool
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class SliceType:
    inner: TypeExpr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class ArrayType:
    inner: TypeExpr
    length: Expr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class TupleType:
    """A tuple; ``()`` is the unit type."""

    elements: tuple[TypeExpr, ...]
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class NeverType:
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class FnPtrType:
    """``for<'a> unsafe extern "C" fn(&'a u8, ...) -> i32``."""

    params: tuple[TypeExpr, ...]
    returns: TypeExpr | None
    abi: str | None = None
    unsafe: bool = False
    variadic: bool = False
    for_lifetimes: tuple[str, ...] = ()
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class UnsupportedType:
    """``impl Trait``, ``dyn Trait``, ``_``: parsed so that the error can say what it is."""

    what: str
    at: int = _offset()


TypeExpr: TypeAlias = (PathType | RefType | PtrType | SliceType | ArrayType | TupleType
                       | NeverType | FnPtrType | UnsupportedType | DynType)
GenericArg: TypeAlias = TypeExpr | LifetimeArg | ConstArg | AssocArg

# ---- constant expressions (array lengths) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntLit:
    """An integer literal; ``suffix`` is its type (``usize`` in ``3usize``) or None."""

    value: int
    suffix: str | None = None
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class OtherLit:
    """A float, string or char literal: read so that a constant holding one parses, refused
    where a length is needed."""

    what: str
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class PathExpr:
    """A named constant (``N``, ``m::LEN``)."""

    path: PathType
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class BinaryExpr:
    op: str
    left: Expr
    right: Expr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class NegExpr:
    operand: Expr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class NotExpr:
    """``!x``: bitwise not of an integer (logical not of a ``bool``)."""

    operand: Expr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class CastExpr:
    """``x as T``."""

    operand: Expr
    type: TypeExpr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class CallExpr:
    """``core::mem::size_of::<T>()`` (or ``align_of``): the only calls a constant may make
    here."""

    path: PathType
    type: TypeExpr
    at: int = _offset()


Expr: TypeAlias = IntLit | OtherLit | PathExpr | BinaryExpr | NegExpr | NotExpr | CastExpr \
    | CallExpr

# ---- items ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attrs:
    """The attributes that change a type id; all others are read and dropped."""

    repr: tuple[str, ...] = ()
    cfi_encoding: str | None = None
    cfi_encoding_at: int = 0


@dataclass(frozen=True, slots=True)
class Generics:
    lifetimes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    consts: tuple[str, ...] = ()
    at: int = _offset()
    #: the type and const parameters in declaration order, as ("ty" | "const", name): the
    #: order of their arguments in an id
    order: tuple[tuple[str, str], ...] = ()
    #: each const parameter's type, as ``consts`` names them
    const_types: tuple[TypeExpr, ...] = ()
    #: each type parameter's default (``A = Global``), or None
    defaults: tuple[TypeExpr | None, ...] = ()
    #: the type parameters bounded ``?Sized`` (the others take sized arguments only)
    unsized: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    name: str | None
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    fields: tuple[Field, ...] = ()


AdtKind = Literal["struct", "union", "enum"]


@dataclass(frozen=True, slots=True)
class AdtItem:
    """A struct (named, tuple or unit), union or enum."""

    kind: AdtKind
    name: str
    generics: Generics
    attrs: Attrs
    fields: tuple[Field, ...] = ()
    variants: tuple[Variant, ...] = ()
    at: int = _offset()
    #: a tuple or unit struct: its name is also a value (the constructor), so it clashes
    #: with a constant or function of that name (rustc E0428)
    ctor: bool = False


@dataclass(frozen=True, slots=True)
class AliasItem:
    name: str
    generics: Generics
    type: TypeExpr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class ForeignTypeItem:
    """``extern "C" { type Foo; }``."""

    name: str
    attrs: Attrs
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class FnItem:
    """A function item or a foreign function; ``abi`` None means ``"Rust"``."""

    name: str
    generics: Generics
    params: tuple[TypeExpr, ...]
    returns: TypeExpr | None
    abi: str | None = None
    unsafe: bool = False
    variadic: bool = False
    at: int = _offset()
    #: a method's ``self`` parameter: ``self``, ``&self``, ``&mut self`` or ``self: T``
    receiver: Receiver | None = None
    #: the ``trait`` or ``impl`` block the function is a method of
    owner: Owner | None = None
    is_async: bool = False
    #: ``#[track_caller]``: rustc passes the caller's ``&Location`` as a last, hidden
    #: argument (``track_caller_at``: where the attribute is, for errors)
    track_caller: bool = False
    track_caller_at: int = _offset()


@dataclass(frozen=True, slots=True)
class Owner:
    """Where a method is: ``impl [Trait for] Type`` (``self_type`` set) or ``trait Name``."""

    kind: Literal["impl", "trait"]
    name: str
    generics: Generics
    self_type: TypeExpr | None = None
    trait: PathType | None = None
    at: int = _offset()
    #: an impl's associated types: ``type P1 = u16;`` is ``("P1", <u16>)``
    assoc: tuple[tuple[str, TypeExpr], ...] = ()


@dataclass(frozen=True, slots=True)
class Receiver:
    """``self`` (``kind`` "value"), ``&self`` ("ref"), ``&mut self`` ("mut") or ``self: T``
    ("typed", with ``type``)."""

    kind: Literal["value", "ref", "mut", "typed"]
    type: TypeExpr | None = None
    lifetime: str | None = None
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class TraitItem:
    """A trait declaration: what a trait object and a method's ``Self`` need of it."""

    name: str
    generics: Generics
    supertraits: tuple[TraitBound, ...]
    #: the associated types a trait object names (``dyn Trait<A = ..>``)
    assoc_types: tuple[str, ...]
    methods: tuple[FnItem, ...]
    auto: bool = False
    at: int = _offset()
    #: associated types bounded ``where Self: Sized``: not part of a trait object (rustc
    #: leaves them out of ``dyn Trait``), but still the trait's
    sized_assoc_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImplItem:
    """An ``impl`` block: only its methods matter (:class:`FnItem` with their owner)."""

    methods: tuple[FnItem, ...]
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class ConstItem:
    name: str
    type: TypeExpr
    value: Expr
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class UseItem:
    """One leaf of a ``use`` tree: ``use a::b as c;`` is ``(("a", "b"), "c")``; a glob has
    ``alias`` ``"*"``; ``self`` in a group names the prefix itself."""

    path: tuple[str, ...]
    alias: str
    is_global: bool = False
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class ModItem:
    name: str
    items: tuple[Item, ...]
    at: int = _offset()


@dataclass(frozen=True, slots=True)
class ExternBlock:
    abi: str | None
    items: tuple[Item, ...]
    at: int = _offset()


Item: TypeAlias = (AdtItem | AliasItem | ForeignTypeItem | FnItem | ConstItem | UseItem
                   | ModItem | ExternBlock | TraitItem | ImplItem)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A parsed text: its items, then (for a declaration) the type it ends with, if any."""

    items: tuple[Item, ...]
    tail: TypeExpr | None = None


_METHODS.close()
