"""Hypothesis strategies for Rust signatures and the items they use, rendered two ways: as a
prelude and declaration for cfi_typeid, and as a module of a crate for rustc.

A :class:`Case` is one module of items plus one function.  Every case compiles under rustc
1.95 with the features of :data:`FEATURES`: the generator only writes what rustc accepts
(sized types by value, unsized ones behind pointers, lifetimes declared where they are used,
``repr(transparent)`` with one non-zero-sized field, no recursive types by value ...).

``core::ffi::cfi::c_long`` and friends do not exist in rustc 1.95; the rustc rendering names
the ``cfi_types`` crate's newtypes instead (``crate::cfi_plain::c_long``, with its
``cfi_encoding``, for the plain and generalized ids; ``crate::cfi_norm::c_long``, a plain
``repr(transparent)`` wrapper, for the normalized ones, as that crate does under
``cfg(sanitizer_cfi_normalize_integers)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from ..errors import ParseError
from ..rust.abi import ALL_ABIS, check_abi, check_item_abi
from ..targets import get_target

FEATURES = ("c_variadic", "cfi_encoding", "extern_types", "never_type", "f16", "f128",
            "abi_x86_interrupt", "rust_cold_cc", "abi_vectorcall", "abi_unadjusted")

#: ABIs valid on x86_64 for a function item with any parameters (the interrupt ABIs, custom
#: and rust-call need special signatures) ...
ITEM_ABIS = ("Rust", "C", "C-unwind", "system", "system-unwind", "sysv64", "sysv64-unwind",
             "win64", "win64-unwind", "efiapi", "cdecl", "cdecl-unwind", "vectorcall",
             "rust-cold", "unadjusted")
#: ... and for a fn-pointer type.
POINTER_ABIS = ITEM_ABIS + ("x86-interrupt",)

INTS = ("i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize")
SCALARS = INTS + ("bool", "char", "f32", "f64", "f16", "f128")
C_ALIASES = ("c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint",
             "c_long", "c_ulong", "c_longlong", "c_ulonglong", "c_float", "c_double")
CFI_INTS = ("c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint",
            "c_long", "c_ulong", "c_longlong", "c_ulonglong")
CFI_CODES = {"c_char": "c", "c_schar": "a", "c_uchar": "h", "c_short": "s", "c_ushort": "t",
             "c_int": "i", "c_uint": "j", "c_long": "l", "c_ulong": "m", "c_longlong": "x",
             "c_ulonglong": "y"}
ENCODINGS = ("l", "i", "c", "v", "3Foo", "u3i64", "7Opaque", "Dh", "P3Bar", "S_")


def cfi_module(name: str, encoded: bool) -> str:
    """The ``cfi_types`` crate's C integer newtypes, as a module of the rustc crate."""
    lines = [f"pub mod {name} {{"]
    for n in CFI_INTS:
        attr = f'#[cfi_encoding = "{CFI_CODES[n]}"] ' if encoded else ""
        lines.append(f"    {attr}#[repr(transparent)] pub struct {n}(pub core::ffi::{n});")
    lines.append("}")
    return "\n".join(lines)


@dataclass(frozen=True)
class T:
    """A generated type: its text, whether it is sized, the named lifetimes it uses."""

    text: str
    sized: bool = True
    lifetimes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ItemInfo:
    """A prelude item a type can name: path, generic parameters, sizedness, and whether its
    name can be used by value."""

    path: str
    lifetimes: int = 0
    types: int = 0
    sized: bool = True
    #: the types of its const parameters (``usize``, ``bool``, ``i32``)
    consts: tuple[str, ...] = ()
    #: a trait, not a type: "plain", "generic" (one type parameter) or "assoc" (type Item)
    trait: str = ""


@dataclass(frozen=True)
class Ctx:
    """Where a type is being generated: the items it may name, the named lifetimes in scope,
    whether an elided lifetime is allowed here (an input position), the nesting budget."""

    items: tuple[ItemInfo, ...]
    lifetimes: tuple[str, ...] = ()
    elided: bool = True
    depth: int = 3
    #: type names brought in by ``use`` (``c_long``, ``Int`` for ``c_int as Int``)
    names: tuple[str, ...] = ()
    #: whether ``core`` exists (only x86_64's is installed; other targets build without it)
    core: bool = True
    #: the ABIs fn pointers may have on the target
    abis: tuple[str, ...] = POINTER_ABIS
    #: whether ``!`` may appear (rustc 1.95 panics computing the riscv64 C ABI of a parameter
    #: holding ``!`` in a tuple: "aggregates can't have FieldsShape::Primitive")
    never: bool = True

    def deeper(self, **kw: object) -> Ctx:
        return Ctx(**{"items": self.items, "lifetimes": self.lifetimes, "elided": self.elided,
                      "depth": self.depth - 1, "names": self.names, "core": self.core,
                      "abis": self.abis, "never": self.never, **kw})  # type: ignore[arg-type]


@dataclass
class Case:
    """One module of items and one function in it.  ``as_pointer``: give cfi_typeid the
    function's type as a fn-pointer type rather than the item (the same id: the lifetimes a
    pointer binds are erased, as the item's are)."""

    name: str
    items: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    returns: str | None = None
    abi: str = "Rust"
    explicit_abi: bool = False
    unsafe: bool = False
    variadic: str = ""
    lifetimes: tuple[str, ...] = ()
    as_pointer: bool = False

    @property
    def signature(self) -> str:
        head = "pub " + ("unsafe " if self.unsafe else "")
        if self.explicit_abi or self.abi != "Rust":
            head += f'extern "{self.abi}" '
        generics = f"<{', '.join(self.lifetimes)}>" if self.lifetimes else ""
        args = [f"{p}: {t}" for p, t in zip(self.patterns, self.params)]
        args += [self.variadic] if self.variadic else []
        out = f"{head}fn {self.name}{generics}({', '.join(args)})"
        return out + (f" -> {self.returns}" if self.returns else "")

    @property
    def pointer_type(self) -> str:
        head = f"for<{', '.join(self.lifetimes)}> " if self.lifetimes else ""
        head += ("unsafe " if self.unsafe else "")
        if self.explicit_abi or self.abi != "Rust":
            head += f'extern "{self.abi}" '
        args = self.params + (["..."] if self.variadic else [])
        out = f"{head}fn({', '.join(args)})"
        return out + (f" -> {self.returns}" if self.returns else "")

    def tool_prelude(self) -> str:
        return f"pub mod {self.name} {{\n" + "\n".join(self.items) + "\n}"

    def tool_decl(self) -> str:
        return f"use {self.name}::*;\n{self.pointer_type if self.as_pointer else self.signature}"

    def rustc_module(self, cfi: str) -> str:
        body = "\n".join([*self.items, f"#[no_mangle] {self.signature} {{ loop {{}} }}"])
        return f"pub mod {self.name} {{\n{body.replace('core::ffi::cfi::', f'crate::{cfi}::')}\n}}"


def rustc_crate(cases: list[Case], cfi: str, extra: str = "", core: bool = True) -> str:
    """One crate holding every case, for rustc (without ``core`` when ``core`` is False)."""
    head = [f"#![feature({', '.join(FEATURES)})]", "#![allow(warnings, internal_features)]",
            cfi_module(cfi, cfi == "cfi_plain") if core else NO_CORE, extra]
    if not core:
        head.insert(0, NO_CORE_ATTRS)
    return "\n".join(head + [c.rustc_module(cfi) for c in cases]) + "\n"


# ---- types ----------------------------------------------------------------------------------

def _lifetime(draw: st.DrawFn, ctx: Ctx) -> str:
    """A lifetime for a reference or a lifetime argument: '' when elided."""
    choices = ["'static", *ctx.lifetimes]
    if ctx.elided:
        choices += ["", "", "'_"]
    return draw(st.sampled_from(choices))


def _uses(lt: str) -> frozenset[str]:
    return frozenset({lt}) if lt not in ("", "'_", "'static") else frozenset()


@st.composite
def leaf_type(draw: st.DrawFn, ctx: Ctx) -> T:
    kinds = ("scalar", "scalar", "scalar", "unit", "item", "item") + (("never",) if ctx.never
                                                                       else ())
    kind = draw(st.sampled_from(kinds + (("alias", "cfi", "void") if ctx.core else ())))
    if kind == "scalar":
        return T(draw(st.sampled_from(SCALARS)))
    if kind == "unit":
        return T("()")
    if kind == "never":
        return T("!")
    if kind == "alias":
        use_name: bool = draw(st.booleans())
        if ctx.names and use_name:
            return T(draw(st.sampled_from(ctx.names)))
        crate = draw(st.sampled_from(("core::ffi::", "std::ffi::", "std::os::raw::",
                                      "::core::ffi::")))
        return T(crate + draw(st.sampled_from(C_ALIASES)))
    if kind == "cfi":
        return T("core::ffi::cfi::" + draw(st.sampled_from(CFI_INTS)))
    if kind == "void":
        return T("core::ffi::c_void")
    plain = [i for i in ctx.items if not i.types and not i.lifetimes and i.sized
             and not i.consts and not i.trait]
    if not plain:
        return T("u8")
    return T(draw(st.sampled_from(plain)).path)


@st.composite
def pointee(draw: st.DrawFn, ctx: Ctx) -> T:
    """What a reference or raw pointer may point to: sized types, ``str``, slices, extern
    types."""
    kind = draw(st.sampled_from(("sized", "sized", "sized", "str", "slice", "extern")))
    if kind == "str":
        return T("str", sized=False)
    if kind == "slice":
        inner = draw(rust_type(ctx.deeper()))
        return T(f"[{inner.text}]", False, inner.lifetimes)
    if kind == "extern":
        externs = [i for i in ctx.items if not i.sized and not i.trait]
        if externs:
            return T(draw(st.sampled_from(externs)).path, sized=False)
    if kind == "sized" and ctx.core and draw(st.integers(0, 3)) == 0:
        return draw(trait_object(ctx))
    return draw(rust_type(ctx.deeper()))


_AUTO_TRAITS = ("Send", "Sync", "Unpin", "core::panic::UnwindSafe", "std::panic::RefUnwindSafe")


@st.composite
def trait_object(draw: st.DrawFn, ctx: Ctx) -> T:
    """``(dyn Principal + Auto..)``: a prelude trait (plain, generic, with its associated
    type bound), the Fn sugar, or auto traits alone; unsized, so only behind pointers."""
    traits = [i for i in ctx.items if i.trait]
    kind = draw(st.sampled_from(("fn", "fn", "auto") + (("item",) * 3 if traits else ())))
    inner = ctx.deeper()
    used: frozenset[str] = frozenset()
    if kind == "fn":
        params = draw(st.lists(rust_type(inner), max_size=2))
        sugar = draw(st.sampled_from(("Fn", "FnMut", "FnOnce", "core::ops::Fn")))
        out = draw(st.none() | rust_type(replace(inner, elided=False)))
        text = f"{sugar}({', '.join(p.text for p in params)})"
        text += f" -> {out.text}" if out else ""
        used = frozenset().union(*(p.lifetimes for p in params),
                                 out.lifetimes if out else frozenset())
    elif kind == "item":
        info = draw(st.sampled_from(traits))
        text = info.path
        if info.trait in ("generic", "assoc"):
            arg = draw(rust_type(inner))
            used = arg.lifetimes
            text += f"<{arg.text}>" if info.trait == "generic" else f"<Item = {arg.text}>"
    else:
        text = ""
    autos = draw(st.lists(st.sampled_from(_AUTO_TRAITS), min_size=0 if text else 1,
                          max_size=3, unique=True))
    body = " + ".join([text, *autos] if text else autos)
    return T(f"(dyn {body})", sized=False, lifetimes=used)


def _fields(ctx: Ctx) -> dict[str, object]:
    return {"items": ctx.items, "lifetimes": ctx.lifetimes, "elided": ctx.elided,
            "depth": ctx.depth, "names": ctx.names, "core": ctx.core, "abis": ctx.abis,
            "never": ctx.never}


@st.composite
def fn_pointer(draw: st.DrawFn, ctx: Ctx) -> T:
    x, y = f"'x{ctx.depth}", f"'y{ctx.depth}"  # nested binders may not shadow names
    binder = draw(st.sampled_from(((), (), (x,), (x, y))))
    inner = ctx.deeper(lifetimes=(*ctx.lifetimes, *binder), elided=True)
    params = draw(st.lists(rust_type(inner), max_size=3))
    abi = draw(st.sampled_from(ctx.abis))
    variadic = abi == "C" and bool(params) and draw(st.booleans())
    unsafe = variadic or draw(st.booleans())
    used = frozenset().union(*(p.lifetimes for p in params))
    # the return type may only name a binder lifetime that a parameter constrains
    out_ctx = ctx.deeper(lifetimes=tuple(lt for lt in (*ctx.lifetimes, *binder)
                                         if lt not in binder or lt in used), elided=False)
    returns = draw(st.none() | rust_type(out_ctx))
    text = (f"for<{', '.join(binder)}> " if binder else "") + ("unsafe " if unsafe else "")
    text += "" if abi == "Rust" and draw(st.booleans()) else f'extern "{abi}" '
    args = [p.text for p in params] + (["..."] if variadic else [])
    text += f"fn({', '.join(args)})"
    if returns is not None:
        text += f" -> {returns.text}"
    outer = (used | (returns.lifetimes if returns else frozenset())) - frozenset(binder)
    return T(text, True, outer)


_GENERIC_CORE = (("Option", 1), ("core::option::Option", 1), ("Result", 2),
                 ("core::marker::PhantomData", 1), ("core::mem::ManuallyDrop", 1),
                 ("core::mem::MaybeUninit", 1), ("core::cell::Cell", 1),
                 ("std::num::Wrapping", 1), ("core::ptr::NonNull", 1), ("core::pin::Pin", 1),
                 ("core::cell::UnsafeCell", 1), ("std::marker::PhantomData", 1))


@st.composite
def generic_type(draw: st.DrawFn, ctx: Ctx) -> T:
    generic = [i for i in ctx.items if (i.types or i.lifetimes or i.consts) and not i.trait]
    if not generic and not ctx.core:
        return draw(leaf_type(ctx))
    use_item = bool(generic) and (not ctx.core or draw(st.booleans()))
    if use_item:
        item = draw(st.sampled_from(generic))
        name, n_types, n_lifetimes = item.path, item.types, item.lifetimes
    else:
        name, n_types = draw(st.sampled_from(_GENERIC_CORE))
        n_lifetimes = 0
    lts = [_lifetime(draw, ctx) for _ in range(n_lifetimes)]
    explicit = [lt for lt in lts if lt]
    if explicit and len(explicit) != len(lts):
        lts = [lt or "'_" for lt in lts]
    args = [draw(rust_type(ctx.deeper())) for _ in range(n_types)]
    kinds = item.consts if use_item else ()
    consts = [draw(st.sampled_from(_CONST_ARGS[c] if ctx.core else _CONST_ARGS[c][:3]))
              for c in kinds]
    shown = [lt for lt in lts if lt] + [a.text for a in args] + consts
    text = f"{name}<{', '.join(shown)}>" if shown else name
    return T(text, True, frozenset().union(*(a.lifetimes for a in args),
                                           *(_uses(lt) for lt in lts)))


_CONST_ARGS = {"usize": ("0", "3", "N", "{ N + 1 }"), "bool": ("true", "false"),
               "i32": ("-5", "7", "{ -2 }", "0")}


@st.composite
def rust_type(draw: st.DrawFn, ctx: Ctx) -> T:
    """A sized type."""
    if ctx.depth <= 0:
        return draw(leaf_type(ctx))
    kind = draw(st.sampled_from(("leaf", "leaf", "leaf", "ref", "ref", "ptr", "array",
                                 "tuple", "fn", "generic", "generic")))
    if kind == "leaf":
        return draw(leaf_type(ctx))
    if kind in ("ref", "ptr"):
        inner = draw(pointee(ctx))
        mut = draw(st.booleans())
        if kind == "ptr":
            return T(f"*{'mut' if mut else 'const'} {inner.text}", True, inner.lifetimes)
        lt = _lifetime(draw, ctx)
        prefix = f"&{lt} " if lt else "&"
        return T(f"{prefix}{'mut ' if mut else ''}{inner.text}", True,
                 inner.lifetimes | _uses(lt))
    if kind == "array":
        inner = draw(rust_type(ctx.deeper()))
        # (without core there is no Add for N + 1)
        n = draw(st.sampled_from(("0", "1", "3", "N", "N + 1") if ctx.core else ("0", "2", "N")))
        return T(f"[{inner.text}; {n}]", True, inner.lifetimes)
    if kind == "tuple":
        elems = draw(st.lists(rust_type(ctx.deeper()), min_size=1, max_size=3))
        text = "(" + ", ".join(e.text for e in elems) + ("," if len(elems) == 1 else "") + ")"
        return T(text, True, frozenset().union(*(e.lifetimes for e in elems)))
    if kind == "fn":
        return draw(fn_pointer(ctx))
    return draw(generic_type(ctx))


# ---- items ----------------------------------------------------------------------------------

_FIELD_CTX_DEPTH = 2


def _repr_attrs(draw: st.DrawFn, *, c: bool = True, encoding: bool = True) -> str:
    attrs = ""
    if c and draw(st.booleans()):
        attrs += "#[repr(C)] "
    if encoding and draw(st.integers(0, 4)) == 0:
        attrs += f'#[cfi_encoding = "{draw(st.sampled_from(ENCODINGS))}"] '
    return attrs


@st.composite
def item(draw: st.DrawFn, name: str, earlier: tuple[ItemInfo, ...], core: bool = True,
         never: bool = True) -> tuple[str, ItemInfo]:
    """One item named ``name`` that may use the items before it."""
    ctx = Ctx(earlier, (), False, _FIELD_CTX_DEPTH, core=core,
              abis=POINTER_ABIS if core else ("Rust", "C"), never=never)
    opt = f"Option<&'static {name}>" if core else f"&'static {name}"
    kind = draw(st.sampled_from((
        "struct", "tuple", "unit", "transparent", "transparent", "generic", "lifetime",
        "selfref", "union", "enum", "data_enum", "alias", "generic_alias", "extern",
        "const_generic", "trait")))
    if kind == "const_generic":
        const = draw(st.sampled_from(("usize", "bool", "i32") if core else ("usize", "bool")))
        field = "[u8; K]" if const == "usize" else "u16"
        attrs = draw(st.sampled_from(("", "#[repr(transparent)] ", "#[repr(C)] ")))
        return (f"{attrs}pub struct {name}<const K: {const}>(pub {field});",
                ItemInfo(name, consts=(const,)))
    if kind == "trait":
        shape = draw(st.sampled_from(("plain", "generic", "assoc")))
        head = {"plain": "", "generic": "<X>", "assoc": ""}[shape]
        body = "type Item; " if shape == "assoc" else ""
        # (a method needs the receiver lang items, which only core has)
        method = draw(st.sampled_from(("fn m(&self);", "fn m(&mut self, x: u8) -> u8 { x }",
                                       "") if core else ("",)))
        return f"pub trait {name}{head} {{ {body}{method} }}", ItemInfo(name, trait=shape)
    if kind == "struct":
        a, b = draw(rust_type(ctx)), draw(rust_type(ctx))
        return (f"{_repr_attrs(draw)}pub struct {name} {{ pub a: {a.text}, pub b: {b.text} }}",
                ItemInfo(name))
    if kind == "tuple":
        a = draw(rust_type(ctx))
        return f"{_repr_attrs(draw)}pub struct {name}(pub {a.text});", ItemInfo(name)
    if kind == "unit":
        return f"{_repr_attrs(draw)}pub struct {name};", ItemInfo(name)
    if kind == "transparent":
        a = draw(rust_type(ctx))
        extra = draw(st.sampled_from(("", ", core::marker::PhantomData<u64>", ", ()")
                                     if core else ("", ", ()")))
        first = draw(st.booleans())
        fields = f"pub {a.text}{extra}" if first or not extra else f"{extra[2:]}, pub {a.text}"
        attrs = "#[repr(transparent)] " + _repr_attrs(draw, c=False)
        return f"{attrs}pub struct {name}({fields});", ItemInfo(name)
    if kind == "generic":
        transparent = draw(st.booleans())
        attrs = "#[repr(transparent)] " if transparent else _repr_attrs(draw)
        rest = "" if transparent else ", pub u8"
        return f"{attrs}pub struct {name}<X>(pub X{rest});", ItemInfo(name, types=1)
    if kind == "lifetime":
        attrs = draw(st.sampled_from(("", "#[repr(transparent)] ", "#[repr(C)] ")))
        inner = draw(st.sampled_from(("&'l u8", "&'l mut [u16]", "fn(&'l u8)",
                                      "Option<&'l str>" if core else "(&'l str, u8)")))
        return f"{attrs}pub struct {name}<'l>(pub {inner});", ItemInfo(name, lifetimes=1)
    if kind == "selfref":
        ptr = draw(st.sampled_from((f"*const {name}", f"*mut {name}", opt,
                                    f"&'static {name}")))
        return f"#[repr(transparent)] pub struct {name}(pub {ptr});", ItemInfo(name)
    if kind == "union":
        fields = ", ".join(f"pub f{i}: {draw(st.sampled_from(('u32', 'f32', 'u8', '*const u8')))}"
                           for i in range(draw(st.integers(1, 3))))
        return f"{_repr_attrs(draw)}pub union {name} {{ {fields} }}", ItemInfo(name)
    if kind == "enum":
        variants = draw(st.sampled_from(("", "A", "A, B", "A = 3, B, C")))
        reprs = ("", "#[repr(u8)] ", "#[repr(C)] ", "#[repr(i32)] ") if variants else ("",)
        attrs = draw(st.sampled_from(reprs)) + _repr_attrs(draw, c=False)
        return f"{attrs}pub enum {name} {{ {variants} }}", ItemInfo(name)
    if kind == "data_enum":
        a = draw(rust_type(ctx))
        attrs = draw(st.sampled_from(("", "#[repr(u8)] ", "#[repr(C)] ")))
        return f"{attrs}pub enum {name} {{ A({a.text}), B {{ x: u8 }}, C }}", ItemInfo(name)
    if kind == "alias":
        a = draw(rust_type(ctx))
        return f"pub type {name} = {a.text};", ItemInfo(name)
    if kind == "generic_alias":
        body = draw(st.sampled_from(("*const X", "(X, u8)", "Option<X>" if core else "&'static X",
                                     "[X; 2]", "fn(X)")))
        return f"pub type {name}<X> = {body};", ItemInfo(name, types=1)
    enc = _repr_attrs(draw, c=False)
    return f'extern "C" {{ {enc}pub type {name}; }}', ItemInfo(name, sized=False)


_USES = (
    ((), ()),
    (("use core::ffi::*;",), C_ALIASES),
    (("use std::ffi::{c_int as Int, c_void as Void};",), ("Int", "Void")),
    (("use std::os::raw::c_char;", "use core::ffi::c_ulong as ULong;"), ("c_char", "ULong")),
)


def target_abis(target: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ABIs a function item and a fn pointer may have on ``target`` (rustc accepts these
    with any parameters: interrupt handlers and the like are left out)."""
    accepted = []
    for abi in ALL_ABIS:
        try:
            check_abi(abi, get_target(target), "", 0)
            accepted.append(abi)
        except ParseError:
            pass
    pointers = tuple(a for a in accepted if a in ITEM_ABIS or a in ("aapcs", "aapcs-unwind",
                                                                     "stdcall", "fastcall",
                                                                     "thiscall"))
    items = tuple(a for a in pointers if _item_abi_ok(a, target))
    return items, pointers + tuple(a for a in accepted if a == "x86-interrupt")


def _item_abi_ok(abi: str, target: str) -> bool:
    try:
        check_item_abi(abi, get_target(target), "", 0)
        return True
    except ParseError:
        return False


@st.composite
def case(draw: st.DrawFn, name: str, target: str = "x86_64-unknown-linux-gnu") -> Case:
    """A module of items and a function ``name`` in it; ``core`` exists on x86_64 only."""
    core = target == "x86_64-unknown-linux-gnu"
    never = not target.startswith("riscv64")
    item_abis, pointer_abis = target_abis(target)
    uses, names = draw(st.sampled_from(_USES if core else _USES[:1]))
    c = Case(name, ["pub const N: usize = 2;", *uses])
    infos: list[ItemInfo] = []
    for k in range(draw(st.integers(0, 5))):
        text, info = draw(item(f"S{k}", tuple(infos), core, never))
        if draw(st.integers(0, 5)) == 0:
            text = f"pub mod m{k} {{ use super::*; {text} }}"
            if draw(st.booleans()):
                c.items.append(f"use self::m{k}::{info.path};")
            else:
                info = ItemInfo(f"m{k}::{info.path}", info.lifetimes, info.types, info.sized,
                                info.consts, info.trait)
        c.items.append(text)
        infos.append(info)
    c.lifetimes = draw(st.sampled_from(((), (), ("'a",), ("'a", "'b"))))
    ctx = Ctx(tuple(infos), c.lifetimes, True, 3, names, core, pointer_abis, never)
    c.params = [t.text for t in draw(st.lists(rust_type(ctx), max_size=5))]
    c.abi = draw(st.sampled_from(item_abis))
    c.explicit_abi = draw(st.booleans())
    # (a C-variadic definition needs core's VaList)
    if core and c.abi == "C" and c.params and draw(st.integers(0, 3)) == 0:
        c.variadic = draw(st.sampled_from(("args: ...", "mut args: ...")))
    returns = draw(st.none() | rust_type(Ctx(tuple(infos), c.lifetimes, False, 3, names,
                                             core, pointer_abis, never)))
    c.returns = returns.text if returns else None
    c.patterns = [draw(st.sampled_from((f"a{i}", "_", f"mut a{i}")))
                  for i in range(len(c.params))]
    c.unsafe = bool(c.variadic) or draw(st.booleans())
    c.as_pointer = draw(st.integers(0, 3)) == 0
    return c


# ---- rustc on every target ------------------------------------------------------------------

#: rustc's name for our targets; those whose built-in spec lacks the CFI sanitizers get a
#: copy of it that has them (a custom target: same data layout, ABI and type sizes).
RUSTC_TARGETS = {
    "x86_64-unknown-linux-gnu": ("x86_64-unknown-linux-gnu", False),
    "aarch64-unknown-linux-gnu": ("aarch64-unknown-linux-gnu", False),
    "i686-unknown-linux-gnu": ("i686-unknown-linux-gnu", True),
    "armv7-unknown-linux-gnueabihf": ("armv7-unknown-linux-gnueabihf", True),
    "riscv64-unknown-linux-gnu": ("riscv64gc-unknown-linux-gnu", True),
    # one per architecture, OS family and float ABI of the rest of the table
    "x86_64-pc-windows-msvc": ("x86_64-pc-windows-msvc", True),
    "x86_64-pc-windows-gnu": ("x86_64-pc-windows-gnu", True),
    "i686-pc-windows-msvc": ("i686-pc-windows-msvc", True),
    "x86_64-unknown-none": ("x86_64-unknown-none", True),
    "x86_64-apple-darwin": ("x86_64-apple-darwin", True),
    "aarch64-apple-darwin": ("aarch64-apple-darwin", True),
    "aarch64-unknown-none": ("aarch64-unknown-none", True),
    "loongarch64-unknown-linux-gnu": ("loongarch64-unknown-linux-gnu", True),
    "thumbv8m.main-none-eabi": ("thumbv8m.main-none-eabi", True),
    "thumbv8m.main-none-eabihf": ("thumbv8m.main-none-eabihf", True),
    "thumbv7em-none-eabihf": ("thumbv7em-none-eabihf", True),
    "riscv64gc-unknown-none-elf": ("riscv64gc-unknown-none-elf", True),
}

#: A crate without ``core`` (only x86_64's is installed): the lang items a signature needs.
NO_CORE_ATTRS = "#![feature(no_core, lang_items)]\n#![no_core]\n"
NO_CORE = """\
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[lang = "copy"] pub trait Copy {}
"""

SIX = ("plain", "generalized", "normalized", "normalized_generalized", "kcfi",
       "kcfi_normalized")
