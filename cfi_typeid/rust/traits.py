"""Trait objects: ``dyn Trait<..> + Send + 'a`` resolved into rustc's existential predicates.

rustc encodes a trait object as ``u3dynI<predicates><region>E`` (``encode_predicates``): the
principal trait with its generic arguments but no ``Self``, then its associated-type bindings
(``Item = u8``; the ``Output`` of ``Fn(A) -> R`` sugar, which belongs to ``FnOnce``), then the
auto traits, in rustc's ``stable_cmp`` order (``Sync``, ``Unpin``, ``UnwindSafe``, ``Send``,
``RefUnwindSafe``: the order of their def-path hashes, measured on rustc 1.95).  Each
predicate sits under a binder of its own, where the elided lifetimes of ``Fn(&u8) -> &u8``
are bound.  The object's region is the one written (``+ 'a``), else its default: the
reference's lifetime behind ``&``, ``'static`` (erased) elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Lifetime
from .ast import AssocArg, DynType, PathSeg, PathType, TraitBound
from .env import Binder, Env, bind
from .items import TraitDef
from .types import UNIT, RDyn, RProjection, RTraitRef, RTuple, RTy, shift

if TYPE_CHECKING:
    from .resolve import Position, Resolver

#: Auto traits in the order rustc 1.95 sorts them (``tests/test_rust_traits.py``).
AUTO_ORDER = (("core", ("marker", "Sync")), ("core", ("marker", "Unpin")),
              ("core", ("panic", "unwind_safe", "UnwindSafe")), ("core", ("marker", "Send")),
              ("core", ("panic", "unwind_safe", "RefUnwindSafe")))
_FN_TRAITS = frozenset({("ops", "function", "Fn"), ("ops", "function", "FnMut"),
                        ("ops", "function", "FnOnce")})


def resolve_dyn(resolver: Resolver, e: DynType, env: Env, position: Position,
                default: Lifetime) -> RDyn:
    """The trait object ``e``; ``default`` is its region when none is written."""
    principal: tuple[TraitDef, TraitBound] | None = None
    autos: list[RTraitRef] = []
    region = default
    for bound in e.bounds:
        if bound.path is None:
            region = resolver.lifetime(bound.lifetime, env, position, bound.at)
            continue
        if bound.maybe:
            raise env.source.error("'?Sized' is not allowed in a trait object", bound.at)
        found = resolver.resolve_path(env, bound.path)
        if not isinstance(found, TraitDef):
            raise env.source.error(f"expected a trait, found {bound.path.segments[-1].name!r}",
                                   bound.at)
        if found.item.auto:
            if bound.path.segments[-1].args or bound.sugar is not None:
                raise env.source.error("an auto trait takes no generic arguments", bound.at)
            ref = RTraitRef(found, (), (), id(found))
            if ref not in autos:
                autos.append(ref)
        elif principal is not None:
            raise env.source.error(
                "only auto traits can be used as additional traits in a trait object "
                "(rustc E0225)", bound.at)
        else:
            principal = (found, bound)
    predicates: list[RTraitRef | RProjection] = []
    if principal is not None:
        trait, bound = principal
        binder = Binder({})
        inner = Env(env.module, env.types, env.lifetimes, (*env.binders, binder), env.consts)
        predicates += _principal(resolver, trait, bound, env, inner, position)
    elif not autos:
        raise env.source.error("at least one trait is required for an object type "
                               "(rustc E0224)", e.at)
    if sum(1 for a in autos if (a.trait.crate, a.trait.path) not in AUTO_ORDER) and len(autos) > 1:
        raise env.source.error(
            "rustc orders auto traits by their def-path hashes: the order of an auto trait "
            "declared here among others is only known to rustc", e.at)
    autos.sort(key=lambda a: _auto_rank(a.trait))
    predicates.extend(autos)
    return RDyn(tuple(predicates), region)


def _auto_rank(trait: TraitDef) -> tuple[int, str]:
    key = (trait.crate, trait.path)
    # user-defined auto traits: after core's, by path (their def-path hashes are unknown)
    return (AUTO_ORDER.index(key), "") if key in AUTO_ORDER else (len(AUTO_ORDER),
                                                                  "::".join(trait.path))


def _principal(resolver: Resolver, trait: TraitDef, bound: TraitBound, env: Env, inner: Env,
               position: Position) -> list[RTraitRef | RProjection]:
    assert bound.path is not None
    seg = bound.path.segments[-1]
    if bound.sugar is not None:
        if trait.crate != "core" or trait.path not in _FN_TRAITS:
            raise env.source.error("the Fn(..) sugar is only for Fn, FnMut and FnOnce",
                                   bound.at)
        params = RTuple(tuple(resolver.type(p, inner, "input") for p in bound.sugar.params))
        output = (UNIT if bound.sugar.returns is None
                  else resolver.type(bound.sugar.returns, inner, "output"))
        fn_once = resolver.resolve_path(env.__class__(resolver.crates["core"]), _path(
            ("ops", "function", "FnOnce")))
        assert isinstance(fn_once, TraitDef)
        return [RTraitRef(trait, (params,), (), id(trait)),
                RProjection(fn_once, "Output", (params,), (), output, id(fn_once))]
    plain = PathSeg(seg.name, tuple(a for a in seg.args if not isinstance(a, AssocArg)), seg.at)
    args, lifetimes = resolver.args(trait.item.generics, plain, env, position, trait.module)
    args, lifetimes = tuple(shift(a, 1) for a in args), tuple(
        lt if lt.binder is None else Lifetime(lt.binder + 1, lt.index) for lt in lifetimes)
    out: list[RTraitRef | RProjection] = [RTraitRef(trait, args, lifetimes, id(trait))]
    projections = []
    for a in seg.args:
        if isinstance(a, AssocArg):
            owner = _declaring(resolver, trait, args, lifetimes, a.name, env, a.at)
            term = resolver.type(a.type, inner, "input")
            projections.append(RProjection(owner[0], a.name, owner[1], owner[2], term,
                                           id(owner[0])))
    bound_names = {p.name for p in projections}
    missing = [n for n in _assoc_types(resolver, trait, args, lifetimes) if n not in bound_names]
    if missing:
        raise env.source.error(f"the value of the associated type {missing[0]!r} in "
                               f"{trait.item.name!r} must be specified (rustc E0191)", seg.at)
    if len(projections) > 1:
        raise env.source.error(
            "rustc orders a trait object's associated-type bindings by their def-path hashes, "
            "which only rustc computes: this tool answers trait objects with one binding",
            seg.at)
    return out + projections


def _assoc_types(resolver: Resolver, trait: TraitDef, args: tuple[RTy, ...],
                 lifetimes: tuple[Lifetime, ...], depth: int = 0) -> list[str]:
    """The associated types of ``trait`` and its supertraits."""

    names = list(trait.item.assoc_types)
    if depth < 16:
        scope = bind(trait.module, trait.item.generics, args, lifetimes)
        for sup in trait.item.supertraits:
            found = resolver.resolve_path(scope, sup.path) if sup.path is not None else None
            if isinstance(found, TraitDef) and not found.item.auto and sup.path is not None:
                sup_args, sup_lts = resolver.args(found.item.generics, sup.path.segments[-1],
                                                  scope, "input", found.module)
                names += _assoc_types(resolver, found, sup_args, sup_lts, depth + 1)
    return names


def _declaring(resolver: Resolver, trait: TraitDef, args: tuple[RTy, ...],
               lifetimes: tuple[Lifetime, ...], name: str, env: Env, at: int,
               depth: int = 0) -> tuple[TraitDef, tuple[RTy, ...], tuple[Lifetime, ...]]:
    """The trait (``trait`` or one of its supertraits) that declares associated type
    ``name``, with its arguments."""

    if name in trait.item.assoc_types:
        return trait, args, lifetimes
    if depth < 16:
        scope = bind(trait.module, trait.item.generics, args, lifetimes)
        for sup in trait.item.supertraits:
            if sup.path is None:
                continue
            found = resolver.resolve_path(scope, sup.path)
            if isinstance(found, TraitDef) and not found.item.auto:
                sup_args, sup_lts = resolver.args(found.item.generics, sup.path.segments[-1],
                                                  scope, "input", found.module)
                try:
                    return _declaring(resolver, found, sup_args, sup_lts, name, env, at,
                                      depth + 1)
                except LookupError:
                    pass
    if depth:
        raise LookupError(name)
    raise env.source.error(f"the trait {trait.item.name!r} has no associated type {name!r}",
                           at)


def _path(names: tuple[str, ...]) -> PathType:
    return PathType(tuple(PathSeg(n) for n in names))
