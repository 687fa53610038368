"""Items and name resolution: the module tree of a crate, ``use``, and the parts of ``core`` and
``std`` a signature may name without declaring them.

``core`` and ``std`` are written here as Rust source (the few items CFI needs, with their real
module paths, representations and fields) and read by the same front end as the user's prelude,
so ``core::option::Option`` encodes with the path rustc gives it and ``NonNull<T>`` unwraps as
the ``repr(transparent)`` struct it is.  Their target-dependent parts (``c_char``, ``c_long``)
come from the :class:`~cfi_typeid.targets.Target` table.  ``core::ffi::cfi`` holds the C integer
types of the ``cfi_types`` RFC: they are C's own integer types, not aliases.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, MutableMapping

from ..errors import ParseError
from ..model import CInt
from .ast import (
    AdtItem, AliasItem, ConstItem, ExternBlock, FnItem, ForeignTypeItem, ImplItem, Item,
    ModItem, TraitItem, UseItem,
)
from ..targets import Target
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

#: The crate whose items a prelude defines, when none is named.
DEFAULT_CRATE = "probe"


class ItemError(ParseError):
    """An error rustc reports for an item whether it is used or not (an alias that names
    itself, a constant that overflows, a struct of infinite size ...): the checks of
    :mod:`cfi_typeid.rust.item_checks` raise these for every item of a prelude, where other
    errors of an unused item wait until it is used (the ``std`` modelled here is partial)."""


@dataclass(frozen=True, slots=True)
class Source:
    """The text items were read from, for positioned errors."""

    text: str
    what: str

    def error(self, message: str, at: int) -> ParseError:
        return ParseError(message, self.text, at, what=self.what)

    def item_error(self, message: str, at: int) -> ItemError:
        return ItemError(message, self.text, at, what=self.what)


@dataclass(eq=False)
class Module:
    """A module: its items by namespace, its ``use`` declarations, and where it sits."""

    name: str
    crate: str
    path: tuple[str, ...]
    parent: Module | None
    source: Source
    types: MutableMapping[str, Def] = field(default_factory=dict)
    values: MutableMapping[str, ConstDef] = field(default_factory=dict)
    uses: MutableMapping[str, UseItem] = field(default_factory=dict)
    globs: list[UseItem] = field(default_factory=list)
    functions: list[FnItem] = field(default_factory=list)
    #: a crate root's items as read (for the checks of every item, used or not)
    items: tuple[Item, ...] = ()
    #: the names this module itself defines in the value namespace (constants, functions,
    #: tuple and unit structs): each once (rustc E0428)
    value_names: set[str] = field(default_factory=set)

    @property
    def root(self) -> Module:
        m = self
        while m.parent is not None:
            m = m.parent
        return m


@dataclass(eq=False)
class AdtDef:
    """A struct, union or enum definition; ``module`` is where its field types resolve."""

    item: AdtItem
    module: Module
    path: tuple[str, ...]

    @property
    def crate(self) -> str:
        return self.module.crate

    @property
    def repr(self) -> tuple[str, ...]:
        return self.item.attrs.repr

    @property
    def is_c_void(self) -> bool:
        return self.crate == "core" and self.path == ("ffi", "c_void")


@dataclass(eq=False)
class AliasDef:
    item: AliasItem
    module: Module


@dataclass(eq=False)
class ForeignDef:
    item: ForeignTypeItem
    module: Module
    path: tuple[str, ...]


@dataclass(eq=False)
class ConstDef:
    item: ConstItem
    module: Module


@dataclass(eq=False)
class TraitDef:
    """A trait: its path (a trait object's predicates spell it), generics, supertraits and
    associated types; ``module`` is where its bounds resolve."""

    item: TraitItem
    module: Module
    path: tuple[str, ...]

    @property
    def crate(self) -> str:
        return self.module.crate


@dataclass(frozen=True, slots=True)
class CIntDef:
    """``core::ffi::cfi::c_long`` and friends."""

    kind: CInt


Def = AdtDef | AliasDef | ForeignDef | Module | CIntDef | TraitDef


def add_items(module: Module, items: tuple[Item, ...]) -> None:
    """Enter ``items`` into ``module`` (recursively for inline modules)."""
    for item in items:
        match item:
            case AdtItem(name=name, ctor=True):
                _define_value(module, name, item.at)
                _define(module, name, AdtDef(item, module, (*module.path, name)), item.at)
            case AdtItem(name=name) | AliasItem(name=name):
                d: Def = (AdtDef(item, module, (*module.path, name)) if isinstance(item, AdtItem)
                          else AliasDef(item, module))
                _define(module, name, d, item.at)
            case ForeignTypeItem(name=name):
                _define(module, name, ForeignDef(item, module, (*module.path, name)), item.at)
            case TraitItem(name=name):
                _define(module, name, TraitDef(item, module, (*module.path, name)), item.at)
                for method in item.methods:
                    check_track_caller(module, method)
                module.functions.extend(item.methods)
            case ImplItem(methods=methods):
                for method in methods:
                    check_track_caller(module, method)
                module.functions.extend(methods)
            case ConstItem(name=name):
                if name != "_":
                    if name in module.values:
                        raise module.source.error(f"the name {name!r} is defined twice",
                                                  item.at)
                    _define_value(module, name, item.at)
                    module.values[name] = ConstDef(item, module)
            case ModItem(name=name, items=inner):
                child = Module(name, module.crate, (*module.path, name), module, module.source)
                _define(module, name, child, item.at)
                add_items(child, inner)
            case ExternBlock(items=inner):
                add_items(module, inner)
            case UseItem():
                _add_use(module, item)
            case FnItem():
                check_track_caller(module, item)
                _define_value(module, item.name, item.at)
                module.functions.append(item)


def check_track_caller(module: Module, fn: FnItem) -> None:
    """rustc refuses ``#[track_caller]`` on a function of any ABI but Rust's (E0737), used or
    not."""
    if fn.track_caller and fn.abi not in (None, "Rust"):
        raise module.source.error("`#[track_caller]` requires Rust ABI (rustc E0737)",
                                  fn.track_caller_at)


def _define_value(module: Module, name: str, at: int) -> None:
    if name in module.value_names:
        raise module.source.item_error(
            f"the name {name!r} is defined multiple times in the value namespace of this "
            "module (rustc E0428)", at)
    module.value_names.add(name)


def _define(module: Module, name: str, d: Def, at: int) -> None:
    own = module.types.maps[0] if isinstance(module.types, ChainMap) else module.types
    if name in own:
        raise module.source.error(f"the name {name!r} is defined twice in this module", at)
    module.types[name] = d


def _add_use(module: Module, use: UseItem) -> None:
    path, alias = use.path, use.alias
    if path and path[-1] == "self":
        path = path[:-1]
        alias = path[-1] if alias == "self" and path else alias
    if not path and alias != "*":
        raise module.source.error("'use self' names no module", use.at)
    use = UseItem(path, alias, use.is_global, use.at)
    if alias == "*":
        module.globs.append(use)
    elif alias != "_":
        module.uses[alias] = use


def child_scope(parent: Module, source: Source) -> Module:
    """A module that sees everything in ``parent`` (a crate root) and adds its own items on
    top, without changing ``parent``: where a declaration's own items go."""
    return Module(parent.name, parent.crate, parent.path, None, source,
                  ChainMap({}, parent.types), ChainMap({}, parent.values),
                  ChainMap({}, parent.uses), list(parent.globs))


# ---- core and std ---------------------------------------------------------------------------

#: ``core::ffi``'s C type aliases: name → (bits, signed); ``c_char``/``c_long`` vary by target.
_C_ALIASES: Mapping[str, tuple[int, bool]] = MappingProxyType({
    "c_schar": (8, True), "c_uchar": (8, False), "c_short": (16, True),
    "c_ushort": (16, False), "c_int": (32, True), "c_uint": (32, False),
    "c_longlong": (64, True), "c_ulonglong": (64, False),
})

#: ``core::ffi::cfi``: the C integer types (as the ``cfi_types`` crate's newtypes encode them).
CFI_C_INTEGERS: Mapping[str, CInt] = MappingProxyType({
    "c_char": CInt.CHAR, "c_schar": CInt.SCHAR, "c_uchar": CInt.UCHAR, "c_short": CInt.SHORT,
    "c_ushort": CInt.USHORT, "c_int": CInt.INT, "c_uint": CInt.UINT, "c_long": CInt.LONG,
    "c_ulong": CInt.ULONG, "c_longlong": CInt.LLONG, "c_ulonglong": CInt.ULLONG,
})


def _int_name(bits: int, signed: bool) -> str:
    return f"{'i' if signed else 'u'}{bits}"


def core_source(target: Target) -> str:
    """The part of ``core`` this front end knows, as Rust, for ``target``."""
    aliases = dict(_C_ALIASES)
    aliases["c_char"] = (8, target.char_signed)
    aliases["c_long"] = (target.long_bits, True)
    aliases["c_ulong"] = (target.long_bits, False)
    ffi = "".join(f"pub type {n} = {_int_name(*bs)}; " for n, bs in sorted(aliases.items()))
    return f"""
pub mod ffi {{
    {ffi}
    pub type c_float = f32; pub type c_double = f64;
    pub type c_size_t = usize; pub type c_ssize_t = isize; pub type c_ptrdiff_t = isize;
    #[repr(u8)] pub enum c_void {{ __variant1, __variant2 }}
    pub mod cfi {{}}
}}
pub mod option {{ pub enum Option<T> {{ None, Some(T) }} }}
pub mod result {{ pub enum Result<T, E> {{ Ok(T), Err(E) }} }}
pub mod marker {{
    pub struct PhantomData<T: ?Sized>; pub struct PhantomPinned;
    pub unsafe auto trait Send {{}} pub unsafe auto trait Sync {{}} pub auto trait Unpin {{}}
    pub trait Copy {{}} pub trait Sized {{}}
}}
pub mod ops {{
    pub mod function {{
        pub trait FnOnce<Args> {{ type Output; }}
        pub trait FnMut<Args>: FnOnce<Args> {{}}
        pub trait Fn<Args>: FnMut<Args> {{}}
    }}
    pub mod drop {{ pub trait Drop {{}} }}
    pub use self::function::{{Fn, FnMut, FnOnce}};
    pub use self::drop::Drop;
}}
pub mod iter {{
    pub mod traits {{ pub mod iterator {{ pub trait Iterator {{ type Item; }} }} }}
    pub use self::traits::iterator::Iterator;
}}
pub mod panic {{
    pub mod unwind_safe {{ pub auto trait UnwindSafe {{}} pub auto trait RefUnwindSafe {{}} }}
    pub mod location {{ pub struct Location<'a> {{ file: &'a str, line: u32, col: u32 }} }}
    pub use self::unwind_safe::{{RefUnwindSafe, UnwindSafe}};
    pub use self::location::Location;
}}
pub mod fmt {{ pub trait Debug {{}} pub trait Display {{}} pub trait Write {{}} }}
pub mod any {{ pub trait Any {{}} }}
pub mod ptr {{
    mod non_null {{ #[repr(transparent)] pub struct NonNull<T: ?Sized> {{ pointer: *const T }} }}
    pub use self::non_null::NonNull;
}}
pub mod mem {{
    mod manually_drop {{
        #[repr(transparent)] pub struct ManuallyDrop<T: ?Sized> {{ value: T }}
    }}
    mod maybe_uninit {{
        #[repr(transparent)] pub union MaybeUninit<T> {{
            uninit: (), value: super::manually_drop::ManuallyDrop<T>,
        }}
    }}
    pub use self::manually_drop::ManuallyDrop;
    pub use self::maybe_uninit::MaybeUninit;
}}
pub mod cell {{
    #[repr(transparent)] pub struct UnsafeCell<T: ?Sized> {{ value: T }}
    #[repr(transparent)] pub struct Cell<T: ?Sized> {{ value: UnsafeCell<T> }}
}}
pub mod num {{
    mod wrapping {{ #[repr(transparent)] pub struct Wrapping<T>(pub T); }}
    pub use self::wrapping::Wrapping;
}}
pub mod pin {{ #[repr(transparent)] pub struct Pin<Ptr> {{ pointer: Ptr }} }}
"""


#: The part of ``alloc`` signatures name: ``Box<T, A = Global>``, ``Arc<T, A = Global>`` and
#: ``Rc<T, A = Global>`` (not transparent: a pointer and its allocator).  A call through a
#: trait object passes ``self: Arc<Self>`` as the pointer inside it, ``*const ArcInner<dyn
#: Trait>`` (:mod:`cfi_typeid.rust.methods`).
ALLOC_SOURCE = """
pub mod alloc { pub struct Global; }
pub mod boxed { pub struct Box<T: ?Sized, A = super::alloc::Global>(*const T, A); }
pub mod sync {
    pub struct Arc<T: ?Sized, A = super::alloc::Global> {
        ptr: core::ptr::NonNull<ArcInner<T>>, alloc: A,
    }
    struct ArcInner<T: ?Sized> { strong: usize, weak: usize, data: T }
}
pub mod rc {
    pub struct Rc<T: ?Sized, A = super::alloc::Global> {
        ptr: core::ptr::NonNull<RcInner<T>>, alloc: A,
    }
    struct RcInner<T: ?Sized> { strong: usize, weak: usize, value: T }
}
"""

#: ``std`` re-exports ``core``'s modules (``std::ffi::c_long`` is ``core::ffi::c_long``).
STD_SOURCE = """
pub use core::{ffi, option, result, marker, ptr, mem, cell, num, pin, ops, iter, fmt, any};
pub use alloc::{boxed, rc};
pub mod sync { pub use alloc::sync::Arc; }
pub mod panic { pub use core::panic::{Location, RefUnwindSafe, UnwindSafe}; }
pub mod os { pub mod raw {
    pub use core::ffi::{c_char, c_schar, c_uchar, c_short, c_ushort, c_int, c_uint, c_long,
                        c_ulong, c_longlong, c_ulonglong, c_float, c_double, c_void};
} }
"""

#: What the 2021 prelude brings into every module (``Option``, ``Result``).
STD_PRELUDE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "Option": ("option", "Option"), "Result": ("result", "Result"),
    "Send": ("marker", "Send"), "Sync": ("marker", "Sync"), "Unpin": ("marker", "Unpin"),
    "Copy": ("marker", "Copy"), "Sized": ("marker", "Sized"),
    "Fn": ("ops", "Fn"), "FnMut": ("ops", "FnMut"), "FnOnce": ("ops", "FnOnce"),
    "Drop": ("ops", "Drop"), "Iterator": ("iter", "Iterator"),
})
#: ... and from ``alloc``.
ALLOC_PRELUDE: Mapping[str, tuple[str, ...]] = MappingProxyType({"Box": ("boxed", "Box")})


def add_cfi_integers(core: Module) -> None:
    """Enter ``core::ffi::cfi::c_long`` and friends (C's integer types) into ``core``."""
    ffi = core.types["ffi"]
    assert isinstance(ffi, Module)
    cfi = ffi.types["cfi"]
    assert isinstance(cfi, Module)
    for name, kind in CFI_C_INTEGERS.items():
        cfi.types[name] = CIntDef(kind)


_METHODS.close()
