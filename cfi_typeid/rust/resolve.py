"""From Rust syntax to resolved types: paths to definitions, aliases expanded, lifetimes erased
or bound, array lengths evaluated.

Lifetimes follow rustc's region erasure: in a function's own signature every lifetime is
erased; inside a fn-pointer type each ``for<'a>`` lifetime and each elided one in a parameter
is a fresh bound lifetime of that pointer's binder, an elided one in its return type is the
one input lifetime.  The resolver is built from :class:`~cfi_typeid.rust.names.Names` (paths to
definitions) and :class:`~cfi_typeid.rust.layout.LayoutFacts` (zero size and inhabitedness,
which the ids depend on: :meth:`Resolver.is_zst` follows rustc's rules, including "unknown"
for an unsubstituted type parameter); :mod:`cfi_typeid.rust.env` holds :class:`Env` and
:func:`bind` (re-exported here).
"""

from __future__ import annotations

import itertools
from types import MappingProxyType
from typing import Literal, Mapping
from weakref import WeakKeyDictionary

from ..model import ERASED, FixedInt, Lifetime, Scalar
from ..targets import Target
from .abi import check_abi
from .ast import (
    ArrayType, AssocArg, ConstArg, DynType, Expr, FnPtrType, Generics, LifetimeArg, NeverType,
    PathExpr, PathSeg, PathType, PtrType, RefType, SliceType, TupleType, TypeExpr,
    UnsupportedType,
)
from .consts import ConstEval
from .env import Binder, Env, bind
from .items import AdtDef, AliasDef, CIntDef, ForeignDef, Module, TraitDef
from .layout import LayoutFacts
from .names import Names
from .traits import resolve_dyn
from .types import (
    UNIT, RAdt, RArray, RCInt, RConst, RFnPtr, RForeign, RInt, RParam, RPtr, RRef, RScalar,
    RSlice, RTuple, RTy, shift, shift_lifetime,
)

PRIMITIVES: Mapping[str, RTy] = MappingProxyType({
    **{k.value: RInt(k) for k in FixedInt},
    "bool": RScalar(Scalar.BOOL), "char": RScalar(Scalar.RUST_CHAR),
    "f16": RScalar(Scalar.HALF), "f32": RScalar(Scalar.FLOAT), "f64": RScalar(Scalar.DOUBLE),
    "f128": RScalar(Scalar.FLOAT128), "str": RScalar(Scalar.STR),
})

Position = Literal["input", "output"]


class Resolver(Names, LayoutFacts):
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
        binder = Binder({name: next(self._ids) for name in e.for_lifetimes})
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


__all__ = ["PRIMITIVES", "Env", "Position", "Resolver", "bind", "const_spelling", "type_size"]
