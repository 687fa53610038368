"""The Rust front end: text in, :class:`FunctionType` out.

``parse_rust_function(decl, prelude, target, crate, crates)`` reads the prelude's items (the
crate ``crate``, default ``probe``), then ``decl``: more items, ending with the function item
(``pub unsafe extern "C" fn f(a: c_long) -> i32``, body optional) or the fn-pointer type whose
id is wanted.  ``crates`` maps crate names to the disambiguators rustc puts in v0 paths
(``{"core": "sgEmfK2I1SDT_"}``); only crates whose paths are spelled need one.

The builtin ``core``/``std`` items are parsed once per target and a prelude once per
(prelude, target, crate); each declaration then works in a child scope of the prelude's crate
root, so a batch sharing a prelude reads it once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Mapping
from weakref import WeakKeyDictionary

from ..errors import ParseError
from ..parsing.lalr import walk_lark_tree
from ..memo import remember
from ..model import ERASED, FunctionType, Lifetime, nesting
from .abi import check_abi, check_item_abi
from dataclasses import replace

from .ast import DynType, FnItem, Generics, LifetimeArg, PathSeg, PathType, SourceFile, TypeExpr
from .items import (
    ALLOC_SOURCE, DEFAULT_CRATE, STD_SOURCE, ItemError, Module, Source, add_cfi_integers,
    add_items, child_scope,
    core_source,
)
from .item_checks import check_items, check_lifetimes, check_parameter
from .lexer import check_text
from .lower import Lowering
from .resolve import Env, Position, Resolver, bind
from .syntax import Lexed, blank_noise, parse_rust, rust_fast_parser
from .methods import caller_location, method_env
from .signature_rules import CMSE, SPECIAL_SIGNATURES, SignatureRules
from .tree import RustTransformer
from .tree_types import SOURCE
from .types import (
    RAdt, RArray, RDyn, RFnPtr, RPtr, RRef, RSlice, RTuple, RTy, anonymize, map_predicate,
)
from ..targets import Target


#: Stateless: it reads the text it reports errors in from SOURCE.
_TRANSFORMER = RustTransformer()


def read_source(text: str, rule: str, what: str,
                lexed: Callable[[], Lexed] | None = None, fast_only: bool = False
                ) -> SourceFile:
    """Parse Rust ``text`` (``rule``: ``prelude`` or ``decl``) into syntax objects
    (``lexed``: its tokens, if the caller has them; see :func:`blank_noise`).

    The fast way (:mod:`cfi_typeid.parsing.lalr`) runs the rule methods during the parse.  If it fails
    for any reason, Lark parses the text into a tree first and the methods run over that: a
    syntax error anywhere is reported (with Lark's expected-token sets) before any error of
    meaning, as a tree parse always did.  (``fast_only``: the fast way's failure is raised
    as it is, for a caller that reads the text again this way if it fails.)"""
    check_text(text, what)
    blanked = blank_noise(text, what, impls=rule == "decl", lexed=lexed)
    context = SOURCE.set((text, what))
    try:
        try:
            result: Any = rust_fast_parser(_TRANSFORMER).parse(blanked, rule)
        except Exception:  # noqa: BLE001 - the slow path below says what is wrong
            if fast_only:
                raise
            tree = parse_rust(blanked, rule, what)
            result = walk_lark_tree(tree, _TRANSFORMER, positions=True)
    finally:
        SOURCE.reset(context)
    assert isinstance(result, SourceFile)
    return result


def _crate(name: str, text: str, what: str) -> Module:
    root = Module(name, name, (), None, Source(text, what))
    root.items = read_source(text, "prelude", what).items
    add_items(root, root.items)
    return root


#: The outcome of :func:`check_items` for each prelude's crate root (read once per prelude).
_CHECKED: WeakKeyDictionary[Module, ItemError | None] = WeakKeyDictionary()


def _check_prelude(root: Module, resolver: Resolver) -> None:
    """rustc refuses a crate for items no function uses: so does a prelude (once)."""
    if root not in _CHECKED:
        try:
            check_items(root, root.items, resolver)
            _CHECKED[root] = None
        except ItemError as e:
            _CHECKED[root] = e
    error = _CHECKED[root]
    if error is not None:
        raise error


@lru_cache(maxsize=16)
def builtin_crates(target: Target) -> Mapping[str, Module]:
    """The ``core`` and ``std`` this front end knows, for ``target``."""
    core = _crate("core", core_source(target), "core")
    add_cfi_integers(core)
    return {"core": core, "alloc": _crate("alloc", ALLOC_SOURCE, "alloc"),
            "std": _crate("std", STD_SOURCE, "std")}


@lru_cache(maxsize=256)
def prelude_root(prelude: str, target: Target, crate: str) -> Module:
    """The crate root after reading ``prelude`` (cached: treat it as read-only)."""
    return _crate(crate, prelude, "prelude")


@lru_cache(maxsize=64)
def _lowering(target: Target, crates: tuple[tuple[str, str], ...]) -> Lowering:
    """One resolver and lowering per target and crate map, shared by every declaration: they
    keep no state between calls but what they memoise (see :class:`Lowering`)."""
    return Lowering(Resolver(builtin_crates(target), target), dict(crates))


#: Resolved types of parameters and return types, by crate root: (expression, position) ->
#: the anonymised type.  A type written alike (``at`` takes no part in equality) in a
#: declaration that adds no items of its own resolves alike under the same root: the root's
#: names, no generic arguments, no binders around it, and fresh lifetime ids that
#: :func:`anonymize` renumbers.  Only types that resolved without error are kept, so reusing
#: one never hides an error.
_RESOLVED: WeakKeyDictionary[Module, dict[tuple[TypeExpr, Position], RTy]] = \
    WeakKeyDictionary()
_MAX_RESOLVED = 4096


def _known(root: Module) -> dict[tuple[TypeExpr, Position], RTy]:
    known = _RESOLVED.get(root)
    if known is None:
        known = _RESOLVED[root] = {}
    return known


def _resolved(e: TypeExpr, resolver: Resolver, env: Env, position: Position,
              known: dict[tuple[TypeExpr, Position], RTy] | None) -> RTy:
    if known is None:
        return anonymize(resolver.type(e, env, position))
    t = known.get((e, position))
    if t is None:
        t = remember(known, (e, position), anonymize(resolver.type(e, env, position)),
                     _MAX_RESOLVED)
    return t


#: How deeply types may nest (the encoder and the transforms recurse once per level).
MAX_DEPTH = 120


def parse_rust_function(decl: str, prelude: str, target: Target, crate: str | None = None,
                        crates: Mapping[str, str] | None = None) -> FunctionType:
    """The function type whose CFI id ``decl`` asks for (see the module docstring)."""
    try:
        fn = _parse_rust_function(decl, prelude, target, crate, crates)
    except RecursionError:
        fn = None
    if fn is None or nesting(fn) > MAX_DEPTH:
        raise ParseError(f"types nested more than {MAX_DEPTH} deep are not supported", decl, 0)
    return fn


def _parse_rust_function(decl: str, prelude: str, target: Target, crate: str | None,
                         crates: Mapping[str, str] | None) -> FunctionType:
    crate = crate or DEFAULT_CRATE
    if not crate.isidentifier():
        raise ParseError(f"{crate!r} is not a crate name", crate, 0, what="crate")
    source = read_source(decl, "decl", "input")
    root = prelude_root(prelude, target, crate)
    scope = child_scope(root, Source(decl, "input"))
    add_items(scope, source.items)
    lowering = _lowering(target, tuple(sorted(crates.items())) if crates else ())
    resolver = lowering.resolver
    _check_prelude(root, resolver)
    if len(source.items) > 1 or (source.items and not isinstance(source.items[0], FnItem)):
        # the declaration's own items, but the function asked for (checked as it is read)
        asked = scope.functions[-1] if scope.functions and source.tail is None else None
        check_items(scope, tuple(i for i in source.items if i is not asked), resolver)
    env = Env(scope)
    generic = _instantiated(source.tail, scope, root)
    if generic is not None:  # "f::<i32>": that function at those generic arguments
        return _function_item(generic[0], lowering, env, None, generic[1])
    if isinstance(source.tail, DynType) and scope.functions:
        # "trait Trait2<T> { fn bar(&self); } dyn Trait2<i32>": the method through that object
        return _function_item(scope.functions[-1], lowering, env, None, through=source.tail)
    if source.tail is not None:
        check_lifetimes((source.tail,), frozenset(), env.source)
        t = resolver.type(source.tail, env)
        if not isinstance(t, RFnPtr):
            raise ParseError("not a function type: expected a function item or a fn-pointer "
                             "type", decl, getattr(source.tail, "at", 0))
        for p in (*t.params, t.returns):  # (no function takes or returns such values)
            check_parameter(p, resolver, env.source, getattr(source.tail, "at", 0))
        return pointee_function(t, lowering)
    if not scope.functions:
        raise ParseError("expected a function item ('fn f(x: u8)') or a fn-pointer type "
                         "('extern \"C\" fn(u8)')", decl, len(decl.rstrip()))
    own_items = any(not isinstance(item, FnItem) for item in source.items)
    return _function_item(scope.functions[-1], lowering, env, None if own_items else _known(root))


def _instantiated(tail: TypeExpr | None, scope: Module, root: Module
                  ) -> tuple[FnItem, PathSeg] | None:
    """The function a trailing ``f::<i32, 3>`` names, with the segment giving its generic
    arguments (a single-segment path naming a function of the declaration or prelude)."""
    if not isinstance(tail, PathType) or len(tail.segments) != 1 or tail.is_global:
        return None
    seg = tail.segments[0]
    found = [f for f in (*root.functions, *scope.functions) if f.name == seg.name]
    return (found[-1], seg) if found else None


def pointee_function(t: RFnPtr, lowering: Lowering) -> FunctionType:
    """The function type an fn pointer of type ``t`` points to (what CFI checks)."""
    params = tuple(anonymize(_erase_binder(p)) for p in t.params)
    return lowering.function(params, anonymize(_erase_binder(t.returns)), t.abi, t.unsafe,
                             t.variadic)


def function_item(fn: FnItem, lowering: Lowering, env: Env,
                  known: dict[tuple[TypeExpr, Position], RTy] | None = None) -> FunctionType:
    """The function type of ``fn``, an item of ``env``'s module.  ``known`` (one dictionary
    per module, see ``_RESOLVED``) keeps the parameter and return types resolved in that
    module for the next function of it."""
    return _function_item(fn, lowering, env, known)


def _function_item(fn: FnItem, lowering: Lowering, env: Env,
                   known: dict[tuple[TypeExpr, Position], RTy] | None,
                   instance: PathSeg | None = None,
                   through: DynType | None = None) -> FunctionType:
    resolver = lowering.resolver
    if instance is not None:
        env, fn = _instantiate(fn, instance, resolver, env)
    if fn.is_async:
        raise env.source.error("an async fn returns a future: its type id is not that of "
                               "the signature written", fn.at)
    receiver: RTy | None = None
    if fn.receiver is not None or fn.owner is not None or through is not None:
        env, receiver = method_env(fn, resolver, env, through)
        known = None  # (Self is bound here)
    abi = fn.abi or "Rust"
    rules = SignatureRules(resolver, env.source.text, env.source.what)
    if abi in CMSE and (fn.generics.types or fn.generics.consts):
        rules.check(abi, (), None, (), fn.at, pointer=False, generic=fn.generics.at or fn.at)
    if fn.generics.types or fn.generics.consts:
        raise env.source.error(
            "generic functions have one type id per instantiation: write the signature with "
            "concrete types", fn.generics.at or fn.at)
    check_item_abi(abi, resolver.target, env.source.text, fn.at, env.source.what)
    declared = fn.generics.lifetimes + (fn.owner.generics.lifetimes if fn.owner else ())
    check_lifetimes((*fn.params, fn.returns, fn.receiver.type if fn.receiver else None),
                    frozenset(declared), env.source)
    params = tuple(_resolved(p, resolver, env, "input", known) for p in fn.params)
    for p, t in zip(fn.params, params):
        at = getattr(p, "at", fn.at)
        check_parameter(t, resolver, env.source, at)
    if receiver is not None:
        params = (anonymize(receiver), *params)
    location = caller_location(fn, resolver, env)
    if location is not None:
        params = (*params, location)
    returns = (_resolved(fn.returns, resolver, env, "output", known) if fn.returns
               else RTuple(()))
    if fn.returns is not None:
        check_parameter(returns, resolver, env.source, getattr(fn.returns, "at", fn.at))
    if abi in SPECIAL_SIGNATURES:
        rules.check(abi, params, returns if fn.returns else None,
                    tuple(p.at for p in fn.params),
                    fn.returns.at if fn.returns is not None else fn.at, pointer=False)
    return lowering.function(params, returns, abi, fn.unsafe, fn.variadic)


def _instantiate(fn: FnItem, seg: PathSeg, resolver: Resolver, env: Env) -> tuple[Env, FnItem]:
    """``fn``'s own generic parameters bound to ``seg``'s arguments (its lifetimes are late
    bound, and erased, as in any signature): the environment its signature resolves in, and
    the function without generics."""
    generics = fn.generics
    if not (generics.types or generics.consts):
        raise env.source.error(f"{fn.name!r} is not generic: ask for it without arguments",
                               seg.at)
    if any(isinstance(a, LifetimeArg) for a in seg.args):
        raise env.source.error("a function's lifetime parameters are late bound: give only "
                               "its type and const arguments", seg.at)
    args, _ = resolver.args(replace(generics, lifetimes=()), seg, env, "input", env.module)
    bound = bind(env.module, generics, args, ())
    inner = Env(env.module, {**env.types, **bound.types}, env.lifetimes, env.binders,
                {**env.consts, **bound.consts})
    return inner, replace(fn, generics=Generics(generics.lifetimes))


def _erase_binder(t: RTy, depth: int = 0) -> RTy:
    """``t`` (a parameter of a fn-pointer type) with the lifetimes bound by that pointer
    erased: the function the pointer points to has them erased (rustc's
    ``instantiate_bound_regions_with_erased``)."""
    def lt(x: Lifetime) -> Lifetime:
        if x.binder is None or x.binder < depth:
            return x
        return ERASED if x.binder == depth else Lifetime(x.binder - 1, x.index)

    match t:
        case RRef(inner, mutable, lifetime):
            return RRef(_erase_binder(inner, depth), mutable, lt(lifetime))
        case RPtr(inner, mutable):
            return RPtr(_erase_binder(inner, depth), mutable)
        case RSlice(inner):
            return RSlice(_erase_binder(inner, depth))
        case RArray(inner, length):
            return RArray(_erase_binder(inner, depth), length)
        case RTuple(elements):
            return RTuple(tuple(_erase_binder(x, depth) for x in elements))
        case RFnPtr(params, returns, abi, unsafe, variadic):
            return RFnPtr(tuple(_erase_binder(p, depth + 1) for p in params),
                          _erase_binder(returns, depth + 1), abi, unsafe, variadic)
        case RAdt(adt, args, lifetimes, key):
            return RAdt(adt, tuple(_erase_binder(a, depth) for a in args),
                        tuple(lt(x) for x in lifetimes), key)
        case RDyn(predicates, region):
            def deeper(x: Lifetime) -> Lifetime:  # one binder deeper, inside a predicate
                if x.binder is None or x.binder < depth + 1:
                    return x
                return ERASED if x.binder == depth + 1 else Lifetime(x.binder - 1, x.index)
            return RDyn(tuple(map_predicate(p, lambda x: _erase_binder(x, depth + 1), deeper)
                              for p in predicates), lt(region))
        case _:
            return t
