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
    """A const generic argument (``3``, ``{ N }``): read, then refused with a position."""

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
                       | NeverType | FnPtrType | UnsupportedType)
GenericArg: TypeAlias = TypeExpr | LifetimeArg | ConstArg

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
                   | ModItem | ExternBlock)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A parsed text: its items, then (for a declaration) the type it ends with, if any."""

    items: tuple[Item, ...]
    tail: TypeExpr | None = None
