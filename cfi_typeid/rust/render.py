"""Model types as Rust: the signature, the items it needs, and the crate map rustc must match.

The decoder shows every id as Rust where Rust has the type.  "Has" means: rustc gives the
rendered signature this very encoding, so every choice below is one rustc was seen to make
(``tests/test_decode_render.py`` compiles the output):

* C's integer types are ``#[cfi_encoding]`` newtypes over ``core::ffi::c_long`` and the like,
  as the ``cfi_types`` crate does, because ``c_long`` itself is an alias of ``i64``.
* A C tag (``3Foo``) is a ``#[repr(C)]`` struct: in an ``extern "C"`` signature rustc encodes
  one by its bare name.  The signature is therefore always ``extern "C"``; Rust-ABI and C-ABI
  function pointers encode alike.
* A Rust path of the local crate is a plain struct inside nested modules, with one generic
  parameter per argument; paths of ``core``/``std``/``alloc`` are written out and must exist.
* Structs get a ``u8`` field: a zero-sized parameter is left out of the id by rustc.

What Rust cannot say raises :class:`NotExpressibleError` with the reason: ``volatile``,
``restrict``, ``long double``, ``_Complex``, ``_BitInt``, unprototyped functions, unsized arrays,
function types not under a pointer, zero-sized parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from ..codes import C_INT_CODES
from ..errors import NotExpressibleError
from ..model import (
    VOID, Array, Atomic, BitInt, CInt, CInteger, Complex, ConstValue, DynTrait, Encoded, FixedInteger,
    FunctionType, Lifetime, Named, Pointer, Primitive, Projection, Qualified, Reference, RustPath,
    Scalar, Slice, Tuple, Type, Vector,
)
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

#: Crates whose paths are written out rather than defined in the prelude.
STANDARD_CRATES = frozenset({"core", "std", "alloc"})
#: The local crate's name when no path names one (the oracle tests' ``--crate-name``).
DEFAULT_CRATE = "probe"

#: C integer kinds as ``cfi_encoding`` newtypes: (struct name, field type).
C_INTEGER_NEWTYPES: dict[CInt, tuple[str, str]] = {
    CInt.CHAR: ("c_char", "core::ffi::c_char"), CInt.SCHAR: ("c_schar", "core::ffi::c_schar"),
    CInt.UCHAR: ("c_uchar", "core::ffi::c_uchar"), CInt.SHORT: ("c_short", "core::ffi::c_short"),
    CInt.USHORT: ("c_ushort", "core::ffi::c_ushort"), CInt.INT: ("c_int", "core::ffi::c_int"),
    CInt.UINT: ("c_uint", "core::ffi::c_uint"), CInt.LONG: ("c_long", "core::ffi::c_long"),
    CInt.ULONG: ("c_ulong", "core::ffi::c_ulong"),
    CInt.LLONG: ("c_longlong", "core::ffi::c_longlong"),
    CInt.ULLONG: ("c_ulonglong", "core::ffi::c_ulonglong"),
    CInt.INT128: ("c_int128", "i128"), CInt.UINT128: ("c_uint128", "u128"),
}

#: Scalars Rust spells natively (rustc encodes ``f16`` as ``Dh`` and ``f128`` as ``g``).
RUST_SCALARS: dict[Scalar, str] = {
    Scalar.BOOL: "bool", Scalar.FLOAT: "f32", Scalar.DOUBLE: "f64", Scalar.HALF: "f16",
    Scalar.FLOAT128: "f128", Scalar.RUST_CHAR: "char", Scalar.STR: "str", Scalar.NEVER: "!",
}
_SCALAR_FEATURES = {Scalar.HALF: "f16", Scalar.FLOAT128: "f128", Scalar.NEVER: "never_type"}
_C_VOID = "core::ffi::c_void"


@dataclass(frozen=True, slots=True)
class RustSignature:
    """A Rust rendering: ``decl`` is an ``extern "C"`` fn-pointer type; ``prelude`` the items
    it uses (with ``#![feature]`` lines first); ``crate`` the name of the crate they belong to
    and ``crates`` every crate's disambiguator that the id names (``--crates``)."""

    prelude: str
    params: tuple[str, ...]
    returns: str | None
    variadic: bool
    crate: str
    crates: tuple[tuple[str, str], ...] = ()
    #: ``C``, or ``win64`` when a parameter is zero-sized: rustc leaves such parameters out of
    #: the id under the C ABI but keeps them under ``win64`` (x86_64), so only that spelling
    #: gives the id back.
    abi: str = "C"

    @property
    def decl(self) -> str:
        """The signature as a function pointer type: ``unsafe extern "C" fn(i64) -> i32``."""
        return f"{self._head()}fn({self._params()}){self._returns()}"

    def item(self, name: str = "f") -> str:
        """A definition that rustc compiles and gives this id (``loop {}`` fits any type)."""
        params = [f"_a{i}: {p}" for i, p in enumerate(self.params)]
        if self.variadic:
            params.append("_args: ...")
        return (f"#[no_mangle] pub {self._head()}fn {name}({', '.join(params)})"
                f"{self._returns()} {{ loop {{}} }}")

    def _head(self) -> str:
        return f'{"unsafe " if self.variadic else ""}extern "{self.abi}" '

    def _params(self) -> str:
        return ", ".join([*self.params, *(["..."] if self.variadic else [])])

    def _returns(self) -> str:
        return f" -> {self.returns}" if self.returns else ""


def render_rust_signature(fn: FunctionType, crate: str | None = None) -> RustSignature:
    """``fn`` as Rust; raises :class:`NotExpressibleError` when Rust has no such type."""
    renderer = _RustRenderer(crate)
    params, returns = renderer.signature(fn)
    if fn.variadic:
        renderer.features.add("c_variadic")  # for :meth:`RustSignature.item`
    return RustSignature(renderer.prelude(), tuple(params), returns, fn.variadic,
                         renderer.crate or crate or DEFAULT_CRATE,
                         tuple(sorted(renderer.crates.items())), renderer.abi)


def render_rust_type(t: Type) -> str:
    """``t`` as a Rust type (items it needs are not shown): ``*const [i32; 4]``."""
    return _RustRenderer(None).type(t)


@dataclass
class _Module:
    """A module of the local crate: its submodules and its structs (name → (lifetime
    parameters, type parameters))."""

    modules: dict[str, _Module] = field(default_factory=dict)
    structs: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: traits (of trait objects): name → (type parameters, associated types)
    traits: dict[str, tuple[int, set[str]]] = field(default_factory=dict)

    def render(self, indent: str = "") -> list[str]:
        lines = [f"{indent}pub struct {name}{_generics(*n)};" for name, n in self.structs.items()]
        for name, (n, associated) in self.traits.items():
            generics = f"<{', '.join(f'T{i}: ?Sized' for i in range(n))}>" if n else ""
            body = " ".join(f"type {a}: ?Sized;" for a in sorted(associated))
            lines.append(f"{indent}pub trait {name}{generics} {{{f' {body} ' if body else ''}}}")
        for name, sub in self.modules.items():
            lines += [f"{indent}pub mod {name} {{", *sub.render(indent + "    "), f"{indent}}}"]
        return lines


def _generics(lifetimes: int, types: int) -> str:
    """A struct body with these generic parameters that is never zero-sized."""
    if not lifetimes and not types:
        return "(pub u8)"
    lts = [f"'a{i}" for i in range(lifetimes)]
    tys = [f"T{i}" for i in range(types)]
    params = ", ".join([*lts, *(f"{n}: ?Sized" for n in tys)])
    phantoms = ", ".join([*(f"core::marker::PhantomData<&{lt} ()>" for lt in lts),
                          *(f"core::marker::PhantomData<{n}>" for n in tys)])
    return f"<{params}>(pub u8, {phantoms})"


@dataclass
class _Binder:
    """A function pointer being rendered: its nesting level, the bound lifetimes its
    parameters use, and whether its return type is being rendered."""

    level: int
    in_params: set[int]
    used: set[int] = field(default_factory=set)
    in_return: bool = False


class _RustRenderer:
    """One rendering: the items, crates and features it has met so far."""

    def __init__(self, crate: str | None) -> None:
        self.crate = crate
        self.crates: dict[str, str] = {}
        self.features: set[str] = set()
        self.items: dict[str, str] = {}
        #: The struct each (encoding, instance) of an :class:`Encoded` is rendered as.
        self.encoded: dict[tuple[str, int], str] = {}
        self.root = _Module()
        self.binders: list[_Binder] = []
        self.top_return = False
        self.abi = "C"

    def prelude(self) -> str:
        clash = sorted(set(self.root.modules) & {k.split()[-1] for k in self.items
                                                 if k.startswith("mod ")})
        if clash:
            raise NotExpressibleError(f"module {clash[0]} holds both a Rust path's items and "
                                      "one of several types spelled alike")
        lines = [f"#![feature({', '.join(sorted(self.features))})]"] if self.features else []
        return "\n".join([*lines, *self.items.values(), *self.root.render()])

    def signature(self, fn: FunctionType) -> tuple[list[str], str | None]:
        """Parameters and return type of ``fn`` (the binder, if any, is already pushed)."""
        if not fn.prototyped:
            raise NotExpressibleError("Rust has no unprototyped functions (C's 'int f()')")
        if not self.binders and any(_zero_sized(p) for p in fn.params):
            if fn.variadic:
                raise NotExpressibleError("a C-variadic function with a zero-sized parameter "
                                          "(rustc leaves it out under the C ABI)")
            self.abi = "win64"  # the only ABI here that keeps zero-sized parameters in the id
        # rustc spells a by-value c_void (one byte, not zero-sized) 'v'
        params = [_C_VOID if p == VOID else self.type(p) for p in fn.params]
        if self.binders:
            self.binders[-1].in_return = True
        else:
            self.top_return = True
        returns = None if fn.returns == VOID else self.type(fn.returns)
        return params, returns

    def lifetime(self, lt: Lifetime) -> str:
        """A lifetime's name: bound ones are named after their binder, erased ones (and bound
        ones that only a return type uses, which Rust forbids) are ``'static``."""
        if lt.binder is None or lt.binder >= len(self.binders):
            return "'static"
        binder = self.binders[-1 - lt.binder]
        if binder.in_return and lt.index not in binder.in_params:
            return "'static"
        binder.used.add(lt.index)
        return f"'l{binder.level}_{lt.index}"

    def type(self, t: Type) -> str:
        match t:
            case CInteger(kind):
                name, field_type = C_INTEGER_NEWTYPES[kind]
                self.need_encoded_item(name, C_INT_CODES[kind], f"#[repr(transparent)] pub "
                                       f"struct {name}(pub {field_type});")
                return name
            case FixedInteger(kind):
                return kind.value
            case Primitive(kind):
                return self.scalar(kind)
            case BitInt():
                raise NotExpressibleError("Rust has no _BitInt types")
            case Complex():
                raise NotExpressibleError("Rust has no _Complex types")
            case Atomic():
                raise NotExpressibleError("Rust has no _Atomic types (core::sync::atomic's "
                                          "types are structs: rustc encodes no U7_Atomic)")
            case Vector():
                raise NotExpressibleError(
                    "Rust has no GCC vector types (core::arch's __m128i and the like are "
                    "repr(simd) structs that rustc encodes by path): a #[cfi_encoding] "
                    "newtype carries clang's Dv encoding")
            case Qualified():
                raise NotExpressibleError(_qualified_reason(t))
            case Pointer(pointee):
                return self.pointer(pointee)
            case Array(element, length):
                if length is None:
                    raise NotExpressibleError("Rust has no arrays of unknown length ('[T]' is "
                                              "a slice, encoded u5sliceI)")
                return f"[{self.type(element)}; {length}]"
            case FunctionType():
                raise NotExpressibleError("Rust has function types only behind pointers")
            case Named(name, _, instance):
                return self.tag(name, instance)
            case Encoded(code, source, instance):
                struct = self.encoded.get((code, instance))
                if struct is None:
                    struct = (f"{source}_{instance}" if instance else source) \
                        if source.isidentifier() else f"Encoded{len(self.encoded)}"
                    self.encoded[code, instance] = struct
                    self.need_encoded_item(struct, code,
                                           f"#[repr(C)] pub struct {struct}(pub u8);")
                return struct
            case Reference(pointee, mutable, lifetime):
                name = self.lifetime(lifetime)
                if name == "'static" and lifetime.binder is None and not self.binders \
                        and not self.top_return:
                    name = ""
                inner = "()" if pointee == VOID else self.type(pointee)
                return f"&{name}{' ' if name else ''}{'mut ' if mutable else ''}{inner}"
            case Slice(element):
                return f"[{self.type(element)}]"
            case Tuple(elements):
                inner = ", ".join(self.type(e) for e in elements)
                return f"({inner},)" if len(elements) == 1 else f"({inner})"
            case RustPath():
                return self.path(t)
            case ConstValue(_, value):
                return {"true": "true", "false": "false"}.get(value, value.lstrip("n"))
            case DynTrait():
                return self.dyn_trait(t)
            case Projection():
                raise NotExpressibleError("an associated-type binding belongs to a trait "
                                          "object")
            case _:
                assert_never(t)

    def scalar(self, kind: Scalar) -> str:
        if kind is Scalar.VOID:
            return "()"
        if kind not in RUST_SCALARS:
            raise NotExpressibleError(f"Rust has no type {kind.value!r}")
        if kind in _SCALAR_FEATURES:
            self.features.add(_SCALAR_FEATURES[kind])
        return RUST_SCALARS[kind]

    def pointer(self, pointee: Type) -> str:
        if isinstance(pointee, FunctionType):
            return self.function_pointer(pointee)
        mutability = "mut"
        if isinstance(pointee, Qualified):
            if pointee.volatile or pointee.restrict:
                raise NotExpressibleError(_qualified_reason(pointee))
            mutability, pointee = "const", pointee.base
            if isinstance(pointee, FunctionType):
                raise NotExpressibleError("Rust has no const-qualified function types")
        inner = _C_VOID if pointee == VOID else self.type(pointee)
        return f"*{mutability} {inner}"

    def function_pointer(self, fn: FunctionType) -> str:
        """``[for<..>] [unsafe] [extern "ABI"] fn(..) [-> T]``, naming the lifetimes it
        binds."""
        if fn.variadic and (fn.abi != "C"):
            raise NotExpressibleError(f"a C-variadic function pointer with ABI {fn.abi!r}")
        bound: set[int] = set()
        for p in fn.params:
            bound |= _bound_lifetimes(p, 0)
        binder = _Binder(len(self.binders) + 1, bound)
        self.binders.append(binder)
        params, returns = self.signature(fn)
        self.binders.pop()
        if fn.variadic:
            params.append("...")
        names = ", ".join(f"'l{binder.level}_{i}" for i in sorted(binder.used))
        head = (f"for<{names}> " if names else "") + ("unsafe " if fn.unsafe or fn.variadic
                                                       else "")
        head += "" if fn.abi == "Rust" else f'extern "{fn.abi}" '
        return f"{head}fn({', '.join(params)}){f' -> {returns}' if returns else ''}"

    def tag(self, name: str, instance: int = 0) -> str:
        """A C tag: a ``#[repr(C)]`` struct, or with ``cfi_encoding`` when the name is a
        Rust keyword.  Another type spelled alike (``instance`` > 0) is a struct of the same
        name in a module of its own, ``s2_1::S2``, which rustc spells ``2S2`` as well."""
        keyword = name in _RUST_KEYWORDS or not name.isidentifier()
        rust_name = f"{''.join(c if c.isalnum() else '_' for c in name)}_" if keyword else name
        definition = f"#[repr(C)] pub struct {rust_name}(pub u8);"
        if keyword:
            self.features.add("cfi_encoding")
            definition = f'#[cfi_encoding = "{len(name)}{name}"] {definition}'
        if instance == 0:
            self.items.setdefault(f"{'enc' if keyword else 'tag'} {rust_name}", definition)
            return rust_name
        module = f"{rust_name.lower().strip('_')}_{instance}"
        self.items.setdefault(f"mod {module}", f"pub mod {module} {{ {definition} }}")
        return f"{module}::{rust_name}"

    def need_encoded_item(self, name: str, code: str, definition: str) -> None:
        self.features.add("cfi_encoding")
        self.items.setdefault(f"enc {name}", f'#[cfi_encoding = "{code}"] {definition}')

    def note_crate(self, t: RustPath) -> None:
        """Record the crate of a type or trait path: one disambiguator per crate name."""
        known = self.crates.setdefault(t.crate, t.disambiguator)
        if known != t.disambiguator:
            raise NotExpressibleError(f"crate {t.crate!r} appears with two disambiguators")

    def note_local_crate(self, t: RustPath) -> None:
        """A path the prelude defines: every such path must be of the one crate it defines."""
        if self.crate is None:
            self.crate = t.crate
        if t.crate != self.crate:
            raise NotExpressibleError(f"items of two crates ({self.crate}, {t.crate}): one "
                                      "prelude defines the items of one crate")

    def path(self, t: RustPath) -> str:
        self.note_crate(t)
        if any(seg.namespace != "t" for seg in t.segments):
            raise NotExpressibleError("a type defined inside a function or value cannot be "
                                      "named from a signature")
        names = [seg.name for seg in t.segments]
        generic = [*(self.lifetime(lt) for lt in t.lifetimes), *(self.type(a) for a in t.args)]
        args = f"<{', '.join(generic)}>" if generic else ""
        if (t.crate, *names) == ("alloc", "alloc", "Global"):
            self.features.add("allocator_api")
        if t.crate in STANDARD_CRATES:
            # alloc's items are re-exported by std, which needs no `extern crate`
            public = "::".join(_public_path(names))
            return f"::{'std' if t.crate == 'alloc' else t.crate}::{public}{args}"
        self.note_local_crate(t)
        self.define(names, (len(t.lifetimes), len(t.args)))
        return f"crate::{'::'.join(names)}{args}"

    def dyn_trait(self, t: DynTrait) -> str:
        """``dyn Trait<A, Assoc = T> + Send`` (``dyn Fn(A) -> R`` for the Fn traits), in
        parentheses when it has several bounds (``&(dyn Debug + Send)``).  The region is the
        object's default, which the id erases: it is not written."""
        principal, *rest = t.predicates
        if not isinstance(principal, RustPath):
            raise NotExpressibleError("a trait object's first predicate is its trait")
        bindings: list[tuple[str, Type]] = []
        bounds: list[str] = []
        for p in rest:
            if isinstance(p, Projection):
                bindings.append((p.path.segments[-1].name, p.term))
            elif isinstance(p, RustPath):
                bounds.append(self.trait(p, []))
            else:
                raise NotExpressibleError("a trait object's predicate is a trait or a binding")
        bounds.insert(0, self.trait(principal, bindings))
        text = "dyn " + " + ".join(bounds)
        return f"({text})" if len(bounds) > 1 else text

    def trait(self, t: RustPath, bindings: list[tuple[str, Type]]) -> str:
        """A trait's path with its arguments and associated-type bindings."""
        names = [seg.name for seg in t.segments]
        public = _PUBLIC_TRAITS.get((t.crate, *names))
        if public in ("ops::Fn", "ops::FnMut", "ops::FnOnce") and len(t.args) == 1 \
                and (isinstance(t.args[0], Tuple) or t.args[0] == VOID) \
                and [n for n, _ in bindings] in ([], ["Output"]):
            elements = t.args[0].elements if isinstance(t.args[0], Tuple) else ()  # (`()`)
            params = ", ".join(self.type(e) for e in elements)
            returns = bindings[0][1] if bindings else VOID
            tail = "" if returns == VOID else f" -> {self.type(returns)}"
            return f"::core::{public}({params}){tail}"
        generic = [*(self.lifetime(lt) for lt in t.lifetimes), *(self.type(a) for a in t.args),
                   *(f"{name} = {self.type(term)}" for name, term in bindings)]
        args = f"<{', '.join(generic)}>" if generic else ""
        self.note_crate(t)
        if t.crate in STANDARD_CRATES:
            if public is None:
                raise NotExpressibleError(f"the public path of the trait "
                                          f"{'::'.join([t.crate, *names])} is not known")
            return f"::core::{public}{args}"
        self.note_local_crate(t)
        module = self.root
        for name in names[:-1]:
            module = module.modules.setdefault(name, _Module())
        arity, associated = module.traits.get(names[-1], (len(t.args), set()))
        if arity != len(t.args) or t.lifetimes or names[-1] in module.structs:
            raise NotExpressibleError(f"{'::'.join(names)} is used in two different ways")
        module.traits[names[-1]] = (arity, associated | {name for name, _ in bindings})
        return f"crate::{'::'.join(names)}{args}"

    def define(self, names: list[str], arity: tuple[int, int]) -> None:
        module = self.root
        for name in names[:-1]:
            if name in module.structs:
                raise NotExpressibleError(f"{name!r} is both a module and a type")
            module = module.modules.setdefault(name, _Module())
        last = names[-1]
        if last in module.modules or module.structs.get(last, arity) != arity:
            raise NotExpressibleError(f"{'::'.join(names)} is used in two different ways")
        module.structs[last] = arity


#: The public paths (below ``core``) of the standard traits a trait object names by their
#: definition's path.
_PUBLIC_TRAITS: dict[tuple[str, ...], str] = {
    **{(crate, "marker", name): f"marker::{name}" for crate in ("core", "std")
       for name in ("Send", "Sync", "Unpin", "Copy", "Sized")},
    **{(crate, "ops", "function", name): f"ops::{name}" for crate in ("core", "std")
       for name in ("Fn", "FnMut", "FnOnce")},
    **{(crate, "fmt", name): f"fmt::{name}" for crate in ("core", "std")
       for name in ("Debug", "Display", "Write")},
    ("core", "iter", "traits", "iterator", "Iterator"): "iter::Iterator",
    ("core", "any", "Any"): "any::Any",
    ("core", "panic", "unwind_safe", "UnwindSafe"): "panic::UnwindSafe",
    ("core", "panic", "unwind_safe", "RefUnwindSafe"): "panic::RefUnwindSafe",
    ("core", "future", "future", "Future"): "future::Future",
    ("core", "error", "Error"): "error::Error",
}


def _public_path(names: list[str]) -> list[str]:
    """The standard library's public path for a type whose id names its definition:
    ``mem::maybe_uninit::MaybeUninit`` is re-exported as ``mem::MaybeUninit`` (a private
    module named after the type it holds is left out, below the top-level module)."""
    out = list(names[:1])
    for name, after in zip(names[1:], names[2:]):
        if name != "".join(f"_{c.lower()}" if c.isupper() else c for c in after).lstrip("_"):
            out.append(name)
    return out + names[-1:] if len(names) > 1 else out


def _bound_lifetimes(t: Type, depth: int) -> set[int]:
    """Indices of the lifetimes in ``t`` bound by the function pointer ``depth`` levels out."""
    match t:
        case Reference(pointee, _, lifetime):
            own = {lifetime.index} if lifetime.binder == depth else set()
            return own | _bound_lifetimes(pointee, depth)
        case RustPath():
            found = {lt.index for lt in t.lifetimes if lt.binder == depth}
            for a in t.args:
                found |= _bound_lifetimes(a, depth)
            return found
        case Pointer(FunctionType() as fn):
            found = set()
            for p in (fn.returns, *fn.params):
                found |= _bound_lifetimes(p, depth + 1)
            return found
        case Pointer(inner) | Qualified(inner) | Array(inner) | Slice(inner) | Complex(inner):
            return _bound_lifetimes(inner, depth)
        case Tuple(elements):
            found = set()
            for e in elements:
                found |= _bound_lifetimes(e, depth)
            return found
        case _:
            return set()


_RUST_KEYWORDS = frozenset("""as break const continue crate else enum extern false fn for if
    impl in let loop match mod move mut pub ref return self Self static struct super trait true
    type unsafe use where while async await dyn abstract become box do final macro override priv
    typeof unsized virtual yield try gen union""".split())


def _qualified_reason(t: Qualified) -> str:
    words = [w for w, on in (("const", t.const), ("volatile", t.volatile),
                             ("restrict", t.restrict)) if on]
    return (f"Rust has no {' '.join(words)}-qualified types (only the pointee of a raw pointer "
            "can be const: *const T)")


def _zero_sized(t: Type) -> bool:
    """Whether rustc would leave a parameter of this type out of the id (a ZST)."""
    match t:
        case Primitive(kind):
            return kind is Scalar.NEVER
        case Array(element, length):
            return length == 0 or _zero_sized(element)
        case Tuple(elements):
            return all(_zero_sized(e) for e in elements)
        case RustPath(crate="core", segments=segments):
            return [s.name for s in segments] == ["marker", "PhantomData"]
        case _:
            return False


_METHODS.close()
