"""Where a Rust type expression is resolved (:class:`Env`): its module, the generic arguments
of the item being instantiated and the fn-pointer binders around it; :func:`bind` makes one for
an item's own types.  A module of its own so that what the resolver calls (traits, constants)
can name it without importing the resolver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..model import Lifetime
from .ast import Generics
from .items import Module, Source
from .types import RConst, RTy
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)


@dataclass(eq=False)
class Binder:
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
    binders: tuple[Binder, ...] = ()
    #: the const parameters' arguments (None: unknown, as in ``instantiate_identity``)
    consts: Mapping[str, RConst | None] = field(default_factory=dict)

    @property
    def source(self) -> Source:
        return self.module.source


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


_METHODS.close()
