"""From Rust syntax to resolved types: paths to definitions, aliases expanded, lifetimes erased
or bound, array lengths evaluated; and the layout facts rustc's CFI encoding depends on.

Lifetimes follow rustc's region erasure: in a function's own signature every lifetime is
erased; inside a fn-pointer type each ``for<'a>`` lifetime and each elided one in a parameter
is a fresh bound lifetime of that pointer's binder, an elided one in its return type is the
one input lifetime.  Layout: a parameter of zero size is left out of the id, and
``repr(transparent)`` looks for its non-zero-sized field, so :meth:`Resolver.is_zst` follows
rustc's rules (including "unknown" for an unsubstituted type parameter).
"""

from __future__ import annotations

import itertools
from weakref import WeakKeyDictionary
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Iterator, Literal, Mapping

from ..model import ERASED, FixedInt, Lifetime, Scalar
from .abi import check_abi
from .consts import ConstEval
from .ast import (
    ArrayType, AssocArg, BinaryExpr, ConstArg, DynType, Expr, FnPtrType, Generics, IntLit,
    LifetimeArg, NegExpr, NeverType, PathExpr, PathSeg, PathType, PtrType, RefType, SliceType,
    TupleType, TypeExpr, UnsupportedType, UseItem,
)
from .items import (
    ALLOC_PRELUDE, STD_PRELUDE, AdtDef, AliasDef, CIntDef, ConstDef, Def, ForeignDef, Module,
    Source, TraitDef,
)
from .types import (
    UNIT, RAdt, RArray, RCInt, RConst, RFnPtr, RForeign, RInt, RParam, RPtr, RRef, RScalar,
    RSlice, RTuple, RTy, shift, shift_lifetime,
)
from ..targets import Target
from .traits import resolve_dyn

PRIMITIVES: Mapping[str, RTy] = MappingProxyType({
    **{k.value: RInt(k) for k in FixedInt},
    "bool": RScalar(Scalar.BOOL), "char": RScalar(Scalar.RUST_CHAR),
    "f16": RScalar(Scalar.HALF), "f32": RScalar(Scalar.FLOAT), "f64": RScalar(Scalar.DOUBLE),
    "f128": RScalar(Scalar.FLOAT128), "str": RScalar(Scalar.STR),
})

Position = Literal["input", "output"]
#: Names a user may expect that are not in the core/std this front end knows.
_NOT_MODELLED = frozenset({"Vec", "String"})
_Query = Callable[[RAdt], bool]
#: ``core::ffi``'s names: a bare one says which ``use`` is missing.
_FFI_NAMES = frozenset({
    "c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint", "c_long",
    "c_ulong", "c_longlong", "c_ulonglong", "c_float", "c_double", "c_void",
})


@dataclass(eq=False)
class _Binder:
    """One fn-pointer binder while its type is resolved."""

    names: dict[str, int]
    inputs: list[Lifetime] = field(default_factory=list)


@dataclass(frozen=True)
class Env:
    """Where a type expression is resolved: its module, the generic arguments of the item
    being instantiated, and the fn-pointer binders around it (innermost last)."""

    module: Module
    types: Mapping[str, RTy] = field(default_factory=dict)
    lifetimes: Mapping[str, Lifetime] = field(default_factory=dict)
    binders: tuple[_Binder, ...] = ()
    #: the const parameters' arguments (None: unknown, as in ``instantiate_identity``)
    consts: Mapping[str, RConst | None] = field(default_factory=dict)

    @property
    def source(self) -> Source:
        return self.module.source


class Resolver:
    """Resolves names against a crate and the extern crates ``core`` and ``std``."""

    def __init__(self, crates: Mapping[str, Module], target: Target,
                 edition: str = "2021") -> None:
        self.crates = crates
        self.target = target
        #: 2015: a path starting with ``::`` (and every ``use`` path) starts at the crate
        #: root; 2018 and later: ``::name`` is an extern crate.
        self.edition = edition
        self._ids = itertools.count()
        self._sizing: list[RAdt] = []
        self.consts = ConstEval(self)
        self._aliases: WeakKeyDictionary[AliasDef, dict[str, RTy]] = WeakKeyDictionary()
        self._alias_depth = 0
        #: the aliases being expanded, innermost last (one met again is a cycle)
        self._expanding: list[AliasDef] = []
        self._sizes: dict[int, tuple[RTy, int]] = {}

    # ---- names ------------------------------------------------------------------------------

    def lookup(self, module: Module, name: str, values: bool = False,
               seen: frozenset[tuple[int, str]] = frozenset()) -> Def | ConstDef | None:
        """``name`` as ``module`` sees it: its items, its ``use``s, then its glob imports."""
        if (id(module), name) in seen:
            return None  # a cycle of imports
        seen = seen | {(id(module), name)}
        own = module.values.get(name) if values else module.types.get(name)
        if own is not None:
            return own
        use = module.uses.get(name)
        if use is not None:
            found = self._path(module, use.path, self._use_is_global(module, use), use.at, values,
                               seen)
            if found is not None:
                return found
        for glob in module.globs:
            target = self._path(module, glob.path, self._use_is_global(module, glob), glob.at, False,
                                seen)
            if isinstance(target, Module):
                found = self.lookup(target, name, values, seen)
                if found is not None:
                    return found
        return None

    def _use_is_global(self, module: Module, use: UseItem) -> bool:
        """Whether a ``use`` path starts at the root (2015: all but ``self``/``super``/
        ``crate`` ones, which the 2015 rules read from the root too)."""
        return use.is_global or (self._reads_2015(module) and bool(use.path)
                                 and use.path[0] not in ("self", "super", "crate"))

    def _reads_2015(self, module: Module) -> bool:
        """Whether ``module``'s paths follow 2015 rules (the user's crate, not core/std)."""
        return self.edition == "2015" and self.crates.get(module.crate) is not module.root

    def _path(self, module: Module, names: tuple[str, ...], is_global: bool, at: int,
              values: bool, seen: frozenset[tuple[int, str]] = frozenset()
              ) -> Def | ConstDef | None:
        current: Def | ConstDef | None = module
        for i, name in enumerate(names):
            last = i == len(names) - 1
            if not isinstance(current, Module):
                return None
            if i == 0 and is_global:
                if self._reads_2015(module):  # the root, where `std` and extern crates are
                    root = module.root
                    found = self.lookup(root, name, values and last, seen)
                    if found is None and (name == "std" or name in root.uses):
                        found = self.crates.get(name)
                    current = found
                else:
                    current = self.crates.get(name)
            elif name == "crate" and i == 0:
                current = module.root
            elif name == "self" and i == 0:
                current = module
            elif name == "super" and (i == 0 or names[i - 1] == "super"):
                current = current.parent
            elif i == 0:
                current = self.lookup(current, name, values and last, seen)
                if current is None and not (values and last):
                    current = self._extern(name)
            else:
                current = self.lookup(current, name, values and last, seen)
        return current

    def _extern(self, name: str) -> Def | None:
        crate = self.crates.get(name)
        if crate is not None:
            return crate
        prelude = STD_PRELUDE.get(name)
        home = "core"
        if prelude is None and name in ALLOC_PRELUDE:
            prelude, home = ALLOC_PRELUDE[name], "alloc"
        if prelude is not None:
            found = self._path(self.crates[home], prelude, False, 0, False)
            assert isinstance(found, (AdtDef, TraitDef))
            return found
        return None

    def resolve_path(self, env: Env, path: PathType, values: bool = False) -> Def | ConstDef:
        names = tuple(s.name for s in path.segments)
        found = self._path(env.module, names, path.is_global, path.at, values)
        if found is None:
            name = "::".join(names)
            if values:
                hint = f"declare it in the prelude: 'const {name}: usize = 4;'"
            elif names[-1] in _NOT_MODELLED:
                hint = (f"{names[-1]} comes from alloc, whose generic types this tool does not "
                        "model; use a reference or raw pointer instead")
            elif len(names) == 1 and names[0] in _FFI_NAMES:
                hint = (f"add 'use std::ffi::{names[0]};' or 'use std::ffi::*;' before it "
                        "(rust-file: --use 'std::ffi::*')")
            else:
                hint = ("declare it in the prelude, or name it by its path (core::ffi::c_long, "
                        "core::ffi::cfi::c_long ...)")
            raise env.source.error(f"cannot find {'value' if values else 'type'} {name!r} in "
                                   f"this scope; {hint}", path.at)
        return found

    # ---- types ------------------------------------------------------------------------------

    def type(self, e: TypeExpr, env: Env, position: Position = "input") -> RTy:
        """The resolved type of ``e``."""
        match e:
            case PathType():
                return self._path_type(e, env, position)
            case RefType(inner, mutable, lifetime, at):
                lt = self.lifetime(lifetime, env, position, at)
                if isinstance(inner, DynType):  # the object's default lifetime is the ref's
                    return RRef(resolve_dyn(self, inner, env, position, lt), mutable, lt)
                return RRef(self.type(inner, env, position), mutable, lt)
            case DynType():
                return resolve_dyn(self, e, env, position, ERASED)
            case PtrType(inner, mutable):
                return RPtr(self.type(inner, env, position), mutable)
            case SliceType(inner):
                return RSlice(self.type(inner, env, position))
            case ArrayType(inner, length, at):
                n = self.const(length, env)
                if n < 0 and None in env.consts.values():
                    n = -1  # a length given by a const parameter with no value (unknown size)
                elif n < 0:
                    raise env.source.error(f"array length {n} is negative", at)
                return RArray(self.type(inner, env, position), n)
            case TupleType(elements):
                return RTuple(tuple(self.type(x, env, position) for x in elements))
            case NeverType():
                return RScalar(Scalar.NEVER)
            case FnPtrType():
                return self._fn_ptr(e, env)
            case UnsupportedType(what, at):
                raise env.source.error(what, at)

    def _fn_ptr(self, e: FnPtrType, env: Env) -> RFnPtr:
        abi = e.abi or "Rust"
        check_abi(abi, self.target, env.source.text, e.at, env.source.what)
        binder = _Binder({name: next(self._ids) for name in e.for_lifetimes})
        inner = Env(env.module, env.types, env.lifetimes, (*env.binders, binder), env.consts)
        params = tuple(self.type(p, inner, "input") for p in e.params)
        returns = UNIT if e.returns is None else self.type(e.returns, inner, "output")
        if abi.startswith("cmse-"):
            from .signature_rules import SignatureRules  # (it builds on this module)
            SignatureRules(self, env.source.text, env.source.what).check(
                abi, params, returns if e.returns is not None else None,
                tuple(getattr(p, "at", e.at) for p in e.params),
                getattr(e.returns, "at", e.at), pointer=True)
        return RFnPtr(params, returns, abi, e.unsafe, e.variadic)

    def lifetime(self, name: str | None, env: Env, position: Position, at: int) -> Lifetime:
        """The lifetime ``name`` (None when elided) stands for at this point."""
        if name == "'static":
            return ERASED
        if name is not None and name in env.lifetimes:
            return shift_lifetime(env.lifetimes[name], len(env.binders))
        if name is not None and name != "'_":
            for depth, binder in enumerate(reversed(env.binders)):
                if name in binder.names:
                    return self._note(env, Lifetime(depth, binder.names[name]), position)
            return self._note(env, ERASED, position)  # the item's own lifetime: erased
        if not env.binders:
            return ERASED
        binder = env.binders[-1]
        if position == "input":
            return self._note(env, Lifetime(0, next(self._ids)), position)
        candidates = set(binder.inputs)
        if len(candidates) != 1:
            raise env.source.error(
                "missing lifetime specifier: this function pointer's return type borrows "
                f"from {'none' if not candidates else 'more than one'} of its parameters "
                "(rustc E0106)", at)
        return candidates.pop()

    @staticmethod
    def _note(env: Env, lt: Lifetime, position: Position) -> Lifetime:
        if env.binders and position == "input":
            env.binders[-1].inputs.append(lt)
        return lt

    def _path_type(self, e: PathType, env: Env, position: Position) -> RTy:
        last = e.segments[-1]
        if len(e.segments) == 1 and not e.is_global:
            if last.name in env.types:
                self._no_args(env, last.args, last.at)
                return shift(env.types[last.name], len(env.binders))
            if self.lookup(env.module, last.name) is None and last.name in PRIMITIVES:
                self._no_args(env, last.args, last.at)
                return PRIMITIVES[last.name]
        if len(e.segments) == 2 and e.segments[0].name == "Self" and "Self" in env.types:
            return self._self_assoc(e, env)
        for seg in e.segments[:-1]:
            self._no_args(env, seg.args, seg.at)
        d = self.resolve_path(env, e)
        match d:
            case AdtDef() | AliasDef():
                types, lifetimes = self.args(d.item.generics, e.segments[-1], env, position,
                                             d.module)
                if isinstance(d, AdtDef):
                    return RAdt(d, types, lifetimes, id(d))
                return self._alias(d, types, lifetimes, position, e.at, env)
            case TraitDef():
                raise env.source.error(f"expected a type, found trait {last.name!r} (a trait "
                                       f"object is written 'dyn {last.name}')", e.at)
            case ForeignDef():
                self._no_args(env, last.args, last.at)
                return RForeign(d, id(d))
            case CIntDef(kind):
                self._no_args(env, last.args, last.at)
                return RCInt(kind)
            case _:
                raise env.source.error(f"expected a type, found module {last.name!r}", e.at)

    def expand_alias(self, d: AliasDef) -> RTy:
        """What ``d`` stands for with its own parameters as arguments: rustc expands every
        alias, used or not, and so finds its cycles (E0391)."""
        generics = d.item.generics
        order = generics.order or tuple(("ty", n) for n in generics.types)
        args = tuple(RParam(n) if k == "ty" else RParam("const " + n) for k, n in order)
        return self._alias(d, args, tuple(ERASED for _ in generics.lifetimes), "input",
                           d.item.at, Env(d.module))

    def _self_assoc(self, e: PathType, env: Env) -> RTy:
        """``Self::X`` in an impl's method: the impl's definition of ``X``."""
        name = e.segments[-1].name
        for seg in e.segments:
            self._no_args(env, seg.args, seg.at)
        found = env.types.get(f"Self::{name}")
        if found is None:
            raise env.source.error(
                f"cannot find associated type {name!r} of Self: ask for a method of the impl "
                f"block that defines it ('type {name} = ...;')", e.at)
        return shift(found, len(env.binders))

    def _alias(self, d: AliasDef, types: tuple[RTy, ...], lifetimes: tuple[Lifetime, ...],
               position: Position, at: int, env: Env) -> RTy:
        """The type alias ``d`` stands for.  An alias without generic parameters stands for
        the same type wherever it is used, so it is expanded once and the result shared
        (``type A2 = (A1, A1)`` twenty deep is twenty expansions, not 2**20); the size of
        what it expands to is bounded (:data:`MAX_TYPE_SIZE`) and so is the depth of
        aliases within aliases (:data:`MAX_ALIAS_DEPTH`), both checked before going on."""
        generics = d.item.generics
        plain = not (generics.types or generics.lifetimes or generics.consts)
        memo = self._aliases.get(d) if plain else None
        if memo is not None and position in memo:
            return memo[position]
        if self._alias_depth >= MAX_ALIAS_DEPTH:
            raise env.source.error(f"type aliases nested more than {MAX_ALIAS_DEPTH} deep",
                                   at)
        # the arguments are relative to the binders here, and the alias's own binders
        # shift them as they substitute them: the result needs no shift
        if d in self._expanding:
            raise d.module.source.item_error(
                f"cycle detected when expanding type alias {d.item.name!r} (rustc E0391)",
                d.item.at)
        inner = bind(d.module, generics, types, lifetimes)
        self._alias_depth += 1
        self._expanding.append(d)
        try:
            t = self.type(d.item.type, inner, position)
        finally:
            self._alias_depth -= 1
            self._expanding.pop()
        if type_size(t, self._sizes) > MAX_TYPE_SIZE:
            raise env.source.error(
                f"this type has more than {MAX_TYPE_SIZE:,} parts once its aliases are "
                "expanded", at)
        if plain:
            self._aliases.setdefault(d, {})[position] = t
        return t

    def _no_args(self, env: Env, args: tuple[object, ...], at: int) -> None:
        if args:
            raise env.source.error("this takes no generic arguments", at)

    def args(self, generics: Generics, seg: PathSeg, env: Env, position: Position,
             home: Module, skip_self: bool = False
             ) -> tuple[tuple[RTy, ...], tuple[Lifetime, ...]]:
        """The arguments of ``seg`` for an item with ``generics`` (defined in ``home``): its
        type and const arguments in declaration order (defaults filled in), and its
        lifetimes (elided ones as the position makes them)."""
        lifetime_args = [a for a in seg.args if isinstance(a, LifetimeArg)]
        rest = [a for a in seg.args if not isinstance(a, (LifetimeArg, AssocArg))]
        assoc = next((a for a in seg.args if isinstance(a, AssocArg)), None)
        if assoc is not None:
            raise env.source.error("associated type bindings belong in a trait object "
                                   "('dyn Trait<Item = u8>')", assoc.at)
        order = generics.order or tuple(("ty", n) for n in generics.types)
        required = sum(1 for (kind, name) in order if kind == "const"
                       or generics.defaults[generics.types.index(name)] is None) \
            if generics.defaults else len(order)
        if not required <= len(rest) <= len(order) or (
                lifetime_args and len(lifetime_args) != len(generics.lifetimes)):
            raise env.source.error(
                f"{seg.name!r} takes {len(generics.lifetimes)} lifetime and "
                f"{len(order)} type or const arguments", seg.at)
        lifetimes = tuple(self.lifetime(a.name, env, position, a.at) for a in lifetime_args) \
            if lifetime_args else tuple(self.lifetime(None, env, position, seg.at)
                                        for _ in generics.lifetimes)
        args: list[RTy] = []
        for i, (kind, name) in enumerate(order):
            if i >= len(rest):  # a default, resolved where the item is, with the args so far
                default = generics.defaults[generics.types.index(name)]
                assert default is not None
                partial = bind(home, generics, tuple(args), lifetimes)
                args.append(self.type(default, partial, position))
            elif kind == "const":
                args.append(self.const_arg(rest[i], generics, name, env, home))
            elif isinstance(rest[i], ConstArg):
                raise env.source.error(f"expected a type for {name!r}, found a constant",
                                       getattr(rest[i], "at", seg.at))
            else:
                args.append(self.type(rest[i], env, position))  # type: ignore[arg-type]
        return tuple(args), lifetimes

    def const_arg(self, arg: object, generics: Generics, name: str, env: Env,
                  home: Module) -> RConst:
        """A const argument for the const parameter ``name``: a literal, ``{ expr }``,
        ``true``/``false``, a const parameter or a named constant."""
        param_type = self.type(generics.const_types[generics.consts.index(name)], Env(home))
        at = getattr(arg, "at", 0)
        if isinstance(arg, PathType) and len(arg.segments) == 1 and not arg.segments[0].args:
            word = arg.segments[0].name
            if word in ("true", "false"):
                if param_type != RScalar(Scalar.BOOL):
                    raise env.source.error(f"mismatched types: {name!r} is not a bool", at)
                return RConst(param_type, word)
            if word in env.consts:
                given = env.consts[word]
                if given is None:
                    raise env.source.error(f"the const parameter {word} has no value here", at)
                return given
            value = self._const_value(PathExpr(arg, at), env, param_type)
        elif isinstance(arg, ConstArg) and arg.value is not None:
            value = self._const_value(arg.value, env, param_type)
        else:
            raise env.source.error(f"expected a constant for {name!r}", at)
        return RConst(param_type, const_spelling(param_type, value, env, at))

    # ---- constants ----------------------------------------------------------------------------

    def const(self, e: Expr, env: Env) -> int:
        """The value of an array length (see :mod:`cfi_typeid.rust.consts`)."""
        return self.consts.length(e, env)

    def _const_value(self, e: Expr, env: Env, param_type: RTy) -> int:
        """The value of a const argument, of its parameter's type."""
        name = param_type.kind.value if isinstance(param_type, RInt) else None
        return self.consts.typed_value(e, env, name)

    # ---- layout -----------------------------------------------------------------------------

    def variants(self, t: RAdt) -> list[list[RTy]]:
        """The field types of each variant of ``t`` (one variant for a struct or union)."""
        item = t.adt.item
        env = bind(t.adt.module, item.generics, t.args, t.lifetimes)
        if item.kind == "enum":
            return [[self.type(f.type, env) for f in v.fields] for v in item.variants]
        return [[self.type(f.type, env) for f in item.fields]]

    def identity(self, adt: AdtDef) -> RAdt:
        """``adt`` with its own parameters as arguments (rustc's ``instantiate_identity``)."""
        generics = adt.item.generics
        order = generics.order or tuple(("ty", n) for n in generics.types)
        return RAdt(adt, tuple(RParam(n) if k == "ty" else RParam("const " + n)
                               for k, n in order),
                    tuple(ERASED for _ in generics.lifetimes), id(adt))

    def is_zst(self, t: RTy) -> bool:
        """Whether ``t`` has size 0 (False when that depends on a type parameter)."""
        match t:
            case RScalar(kind):
                return kind is Scalar.NEVER
            case RArray(inner, length):
                return length >= 0 and self._known(inner) and (length == 0 or self.is_zst(inner))
            case RTuple(elements):
                return all(self.is_zst(x) for x in elements)
            case RAdt():
                return self._sized(t, self._adt_is_zst)
            case _:
                return False

    def _adt_is_zst(self, t: RAdt) -> bool:
        item, variants = t.adt.item, self.variants(t)
        if item.kind != "enum":
            return all(self.is_zst(f) for f in variants[0])
        if any(r not in ("transparent",) and not r.startswith(("align", "packed"))
               for r in item.attrs.repr):
            return False  # repr(C) and repr(u8) etc. give the enum a discriminant
        present = [v for v in variants
                   if not (any(self.uninhabited(f) for f in v) and all(map(self.is_zst, v)))]
        return len(present) == 0 or (len(present) == 1 and all(map(self.is_zst, present[0])))

    def uninhabited(self, t: RTy) -> bool:
        """Whether ``t`` has no values (``!``, empty enums, anything holding one by value)."""
        match t:
            case RScalar(kind):
                return kind is Scalar.NEVER
            case RArray(inner, length):
                return length > 0 and self.uninhabited(inner)
            case RTuple(elements):
                return any(self.uninhabited(x) for x in elements)
            case RAdt():
                return self._sized(t, self._adt_uninhabited)
            case _:
                return False

    def _adt_uninhabited(self, t: RAdt) -> bool:
        variants = self.variants(t)
        if t.adt.item.kind == "union":
            return False
        return all(any(self.uninhabited(f) for f in v) for v in variants)

    def _sized(self, t: RAdt, query: _Query) -> bool:
        if t in self._sizing:
            raise t.adt.module.source.item_error(
                f"recursive type {t.adt.item.name!r} has infinite size (rustc E0072)",
                t.adt.item.at)
        self._sizing.append(t)
        try:
            return query(t)
        finally:
            self._sizing.pop()

    def _known(self, t: RTy) -> bool:
        return not any(isinstance(x, RParam) for x in _walk(t))


#: Limits checked as aliases expand: parts of one type, and aliases within aliases.
MAX_TYPE_SIZE = 1 << 16
MAX_ALIAS_DEPTH = 256


def type_size(t: RTy, sizes: dict[int, tuple[RTy, int]]) -> int:
    """How many parts ``t`` has written out (shared parts counted each time), worked out
    over the shared graph once per node (``sizes``, by identity, holds the node alive)."""
    known = sizes.get(id(t))
    if known is not None and known[0] is t:
        return known[1]
    match t:
        case RRef(inner) | RPtr(inner) | RSlice(inner) | RArray(inner):
            n = 1 + type_size(inner, sizes)
        case RTuple(elements):
            n = 1 + sum(type_size(x, sizes) for x in elements)
        case RFnPtr(params, returns):
            n = 1 + type_size(returns, sizes) + sum(type_size(x, sizes) for x in params)
        case RAdt(args=args):
            n = 1 + sum(type_size(x, sizes) for x in args)
        case _:
            n = 1
    if len(sizes) > 1 << 16:
        sizes.clear()
    sizes[id(t)] = (t, n)
    return n


def _walk(t: RTy) -> Iterator[RTy]:
    yield t
    match t:
        case RArray(inner) | RSlice(inner):
            yield from _walk(inner)
        case RTuple(elements):
            for x in elements:
                yield from _walk(x)
        case RAdt(args=args):
            for x in args:
                yield from _walk(x)
        case _:
            pass



def bind(module: Module, generics: Generics, args: tuple[RTy, ...],
         lifetimes: tuple[Lifetime, ...]) -> Env:
    """Where an item's own types resolve with ``args`` for its parameters (types and consts
    in declaration order; an ``RParam`` for a const parameter is an unknown value)."""
    order = generics.order or tuple(("ty", n) for n in generics.types)
    types: dict[str, RTy] = {}
    consts: dict[str, RConst | None] = {}
    for (kind, name), arg in zip(order, args):
        if kind == "ty":
            types[name] = arg
        else:
            consts[name] = arg if isinstance(arg, RConst) else None
    return Env(module, types, dict(zip(generics.lifetimes, lifetimes)), consts=consts)


_INT_RANGES = {k: (k.value[0] == "i", int(k.value[1:]) if k.value[1:].isdigit() else 0)
               for k in FixedInt}


def const_spelling(param_type: RTy, value: int, env: Env, at: int) -> str:
    """How rustc spells const value ``value`` of ``param_type`` (``5``, ``n5``)."""
    if isinstance(param_type, RInt):
        signed, bits = _INT_RANGES[param_type.kind]
        bits = bits or 64
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if not low <= value <= high:
            raise env.source.error(f"{value} does not fit in {param_type.kind.value}", at)
        # rustc writes the sign twice, "n" and then the number's own "-": I<-5> is Ln-5E
        return f"n{value}" if value < 0 else str(value)
    if isinstance(param_type, RScalar) and param_type.kind is Scalar.BOOL:
        raise env.source.error("a bool const argument is 'true' or 'false'", at)
    if isinstance(param_type, RScalar) and param_type.kind is Scalar.RUST_CHAR:
        raise env.source.error("rustc 1.95 has no type id for a char const argument (its CFI "
                               "encoder panics: 'encode_const: unexpected type char')", at)
    raise env.source.error("const parameters of this type are not supported", at)
