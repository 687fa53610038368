"""Methods as functions with their ``Self`` type, as rustc gives them their type ids.

* A method of an ``impl Type`` or ``impl Trait for Type`` block has ``Self = Type``: its
  receiver is its first parameter (``&self`` is ``&Type``); this is the id of a direct call
  and of a fn pointer to it (``<Type as Trait>::m as fn(&Type)``).
* A method of a ``trait`` block asks for the id of calls through a trait object: rustc's
  ``transform_instance`` makes ``Self`` the trait object of the trait that defines the method
  (``trait_object_ty``: the principal trait and a projection for each associated type, whose
  value only an impl knows, so traits with associated types are refused here), with the
  receiver as the vtable call passes it: ``&self`` is ``&dyn Trait``, ``&mut self`` is
  ``&mut dyn Trait``, ``self: Box<Self>`` is ``*const dyn Trait``.  That is the first of the
  two ids rustc attaches to an impl's method of a dyn-compatible trait (the second is the
  impl's own, above).

``#[track_caller]`` (rustc's ``requires_caller_location``): the function takes the caller's
``&'static core::panic::Location<'static>`` as a last, hidden argument, and its ids say so.
An impl's method inherits the attribute from the trait's declaration of it; a call through
a trait object passes the location only when the trait's declaration has the attribute (the
vtable entry is rustc's ``Virtual`` instance of the trait's method).
"""

from __future__ import annotations

from ..model import ERASED
from .ast import DynType, FnItem, Owner, PathSeg, PathType, Receiver
from .items import AdtDef, TraitDef
from .resolve import Env, Resolver, bind
from .types import RAdt, RDyn, RProjection, RPtr, RRef, RTraitRef, RTy


def method_env(fn: FnItem, resolver: Resolver, env: Env, through: DynType | None = None
               ) -> tuple[Env, RTy | None]:
    """The environment ``fn``'s signature resolves in (``Self`` bound) and the type of its
    receiver (None: an associated function without ``self``); ``through``: the trait object
    a trait's method is called through (``dyn Trait2<i32>``), which gives the trait's
    generic arguments and associated types."""
    owner = fn.owner
    if owner is None:
        assert fn.receiver is not None
        raise env.source.error("'self' is only allowed in a method: write the function "
                               "inside its impl or trait block", fn.receiver.at)
    if through is not None:
        return _through_given_dyn(fn, owner, resolver, env, through)
    if owner.generics.types or owner.generics.consts:
        raise env.source.error(
            f"the {owner.kind} block of {fn.name!r} is generic: its methods have one type id "
            "per instantiation (write the block for concrete types, or after a trait block "
            f"the trait object it is called through: 'dyn {owner.name}<..>')", owner.at)
    if owner.kind == "impl":
        assert owner.self_type is not None
        self_ty = resolver.type(owner.self_type, env)
        inner = Env(env.module, {**env.types, "Self": self_ty}, env.lifetimes, env.binders,
                    env.consts)
        if owner.trait is not None:
            _check_impl_assoc(owner, resolver, env)
        if owner.assoc:  # Self::X is the impl's X
            values = {f"Self::{name}": resolver.type(value, inner) for name, value in owner.assoc}
            inner = Env(env.module, {**inner.types, **values}, env.lifetimes, env.binders,
                        env.consts)
        return inner, _receiver(fn.receiver, self_ty, resolver, inner) if fn.receiver else None
    return _through_dyn(fn, owner, resolver, env)


def _check_impl_assoc(owner: Owner, resolver: Resolver, env: Env) -> None:
    """rustc refuses an impl of a trait that leaves out one of the trait's associated types
    (E0046) or defines one the trait does not declare (E0437)."""
    assert owner.trait is not None
    trait = resolver.resolve_path(env, owner.trait)
    if not isinstance(trait, TraitDef):
        raise env.source.error(f"expected a trait, found {owner.trait.segments[-1].name!r}",
                               owner.trait.at)
    declared = (*trait.item.assoc_types, *trait.item.sized_assoc_types)
    defined = [name for name, _ in owner.assoc]
    for name in defined:
        if name not in declared:
            raise env.source.error(f"type {name!r} is not a member of trait "
                                   f"{trait.item.name!r} (rustc E0437)", owner.at)
    missing = [name for name in declared if name not in defined]
    if missing:
        raise env.source.error(f"not all trait items implemented, missing: {missing[0]!r} "
                               "(rustc E0046)", owner.at)


def _receiver(r: Receiver, self_ty: RTy, resolver: Resolver, env: Env) -> RTy:
    match r.kind:
        case "value":
            return self_ty
        case "ref" | "mut":
            lifetime = resolver.lifetime(r.lifetime, env, "input", r.at)
            return RRef(self_ty, r.kind == "mut", lifetime)
        case _:
            assert r.type is not None
            return resolver.type(r.type, env)


#: ``self: Arc<Self>`` through a trait object is the pointer inside the Arc (rustc's
#: ``make_thin_self_ptr``): ``*const ArcInner<dyn Trait>``; likewise ``Rc``.
_SMART_POINTEES: dict[tuple[str, ...], tuple[str, ...]] = {("sync", "Arc"): ("sync", "ArcInner"), ("rc", "Rc"): ("rc", "RcInner")}


def _through_given_dyn(fn: FnItem, owner: Owner, resolver: Resolver, env: Env,
                       through: DynType) -> tuple[Env, RTy]:
    """A trait's method called through the trait object ``through``: rustc's ``Virtual``
    instance, ``Self`` the object without its auto traits and with an erased region, the
    trait's parameters its principal's arguments, ``Self::X`` its binding for ``X``."""
    if owner.kind != "trait":
        raise env.source.error("a trait object after the declaration asks for a trait's "
                               "method through it: end with a trait block", through.at)
    found = resolver.resolve_path(env, PathType((PathSeg(owner.name, (), owner.at),)))
    assert isinstance(found, TraitDef)
    dyn = resolver.type(through, env)
    assert isinstance(dyn, RDyn)
    principal = dyn.predicates[0] if dyn.predicates else None
    if not isinstance(principal, RTraitRef) or principal.key != id(found):
        raise env.source.error(f"the trait object is not one of {owner.name!r}: write "
                               f"'dyn {owner.name}<..>'", through.at)
    from .frontend import _erase_binder  # (frontend imports this module)

    parts = [p for p in dyn.predicates if not (isinstance(p, RTraitRef) and p.trait.item.auto)]
    self_ty = RDyn(tuple(parts), ERASED)
    bound = bind(found.module, found.item.generics, principal.args,
                 tuple(ERASED for _ in found.item.generics.lifetimes))
    # a binding's own elided lifetimes are bound by its predicate: erased out here
    values = {f"Self::{p.name}": _erase_binder(p.term) for p in parts
              if isinstance(p, RProjection)}
    inner = Env(env.module, {**env.types, **bound.types, "Self": self_ty, **values},
                {**env.lifetimes, **bound.lifetimes}, env.binders,
                {**env.consts, **bound.consts})
    if fn.receiver is None or fn.generics.types or fn.generics.consts:
        raise env.source.error(
            f"{fn.name!r} cannot be called through a trait object (it needs a receiver and no "
            "type parameters): ask for the method of an impl", fn.at)
    return inner, _dyn_receiver(fn, self_ty, resolver, inner)


def _through_dyn(fn: FnItem, owner: Owner, resolver: Resolver, env: Env) -> tuple[Env, RTy]:
    found = resolver.resolve_path(env, PathType((PathSeg(owner.name, (), owner.at),)))
    assert isinstance(found, TraitDef)
    if found.item.assoc_types:
        raise env.source.error(
            f"calls of {fn.name!r} through a trait object have Self = dyn {owner.name}<"
            f"{found.item.assoc_types[0]} = ..>, whose value only an impl gives: ask for the "
            "method of that impl, or give the trait object after the block: "
            f"'dyn {owner.name}<{found.item.assoc_types[0]} = ..>'", owner.at)
    if fn.receiver is None or fn.generics.types or fn.generics.consts:
        raise env.source.error(
            f"{fn.name!r} cannot be called through a trait object (it needs a receiver and no "
            "type parameters): ask for the method of an impl", fn.at)
    dyn = RDyn((RTraitRef(found, (), (), id(found)),), ERASED)
    inner = Env(env.module, {**env.types, "Self": dyn}, env.lifetimes, env.binders, env.consts)
    return inner, _dyn_receiver(fn, dyn, resolver, inner)


def _dyn_receiver(fn: FnItem, dyn: RDyn, resolver: Resolver, inner: Env) -> RTy:
    """The receiver as the vtable call passes it, ``Self`` being ``dyn``."""
    r = fn.receiver
    assert r is not None
    if r.kind in ("ref", "mut"):
        return RRef(dyn, r.kind == "mut", ERASED)
    if r.kind == "typed" and r.type is not None:
        written = resolver.type(r.type, inner)
        if isinstance(written, RRef) and written.inner == dyn:
            return RRef(dyn, written.mutable, ERASED)
        if isinstance(written, RAdt) and written.adt.crate == "alloc" and \
                written.adt.path == ("boxed", "Box"):
            return RPtr(dyn, False)  # the vtable call passes Box<Self>'s pointer
        inner_path = _SMART_POINTEES.get(written.adt.path) if isinstance(written, RAdt) and \
            written.adt.crate == "alloc" else None
        if inner_path is not None:  # ... and Arc<Self>'s, to its ArcInner<dyn Trait>
            found_inner = resolver.resolve_path(Env(resolver.crates["alloc"]), PathType(tuple(
                PathSeg(n) for n in inner_path)))
            assert isinstance(found_inner, AdtDef)
            return RPtr(RAdt(found_inner, (dyn,), (), id(found_inner)), False)
    raise inner.source.error(f"the receiver of {fn.name!r} is not one a trait object call "
                           "passes (&self, &mut self, self: Box<Self>, Arc<Self>, Rc<Self>)",
                           r.at)



def caller_location(fn: FnItem, resolver: Resolver, env: Env) -> RTy | None:
    """The hidden ``&Location`` argument of ``fn`` when it is ``#[track_caller]`` (its own
    attribute, or for a method of ``impl Trait for T`` the trait's declaration of it)."""
    tracked = fn.track_caller
    owner = fn.owner
    if not tracked and owner is not None and owner.kind == "impl" and owner.trait is not None:
        trait = resolver.resolve_path(env, owner.trait)
        if isinstance(trait, TraitDef):
            tracked = any(m.name == fn.name and m.track_caller for m in trait.item.methods)
    if not tracked:
        return None
    location = resolver.resolve_path(Env(resolver.crates["core"]), PathType(tuple(
        PathSeg(n) for n in ("panic", "location", "Location"))))
    assert isinstance(location, AdtDef)
    return RRef(RAdt(location, (), (ERASED,), id(location)), False, ERASED)
