"""The C transformer's intermediate objects: what rule methods hand each other between a
token and a model type (specifiers, declarators, parameter lists, struct members).

(NamedTuples, not frozen dataclasses: made at nearly every reduction, they cost a third as
much to build, and they never leave the C front end.)
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

from .scope import Record
from ..model import Type


class Keyword(NamedTuple):
    word: str
    pos: int


class Base(NamedTuple):
    """A type specifier that is a whole type (typedef name or tag)."""

    type: Type
    pos: int
    typedef_name: str | None = None
    #: (an unnamed struct or union) its function-pointer members, named from here down
    members: tuple[Record, ...] = ()


class Fields(NamedTuple):
    """What a struct declaration declares: its members (name, type, offset), and the
    function-pointer members of an unnamed struct or union it holds, named from it down."""

    fields: list[tuple[str, Type, int]]
    nested: list[Record]
    #: every member in order, named or not, for the layout (``cfi_typeid.c.layout.Member``:
    #: its type, the layout of the unnamed struct or union it is of, its bit-field width)
    members: tuple[Any, ...] = ()


class Mode(NamedTuple):
    """``__attribute__((mode(word)))``, as blank_noise rewrote it (``__cfi_mode_word``)."""

    word: str
    pos: int


class Specifiers(NamedTuple):
    type: Type
    is_typedef: bool
    pos: int
    #: a typedef name after the type (``typedef int T;`` when T is already one, or
    #: ``T destructor`` when destructor is): the declarator's name, as C reads it
    redeclared: str | None = None
    redeclared_pos: int = 0
    #: storage-class keywords other than typedef (``static``, ``extern``, ...)
    storage: tuple[str, ...] = ()
    #: the function-pointer members of an unnamed struct or union among the specifiers
    members: tuple[Record, ...] = ()
    #: a calling convention among the specifiers (``__attribute__((ms_abi))``: ``ms_abi``)
    convention: str = ""


Step = Callable[[Type], Type]


class Declarator(NamedTuple):
    name: str | None
    pos: int
    steps: tuple[Step, ...] = ()
    #: a bit-field's width (-1 when it is not a constant), for the struct's layout
    bits: int | None = None

    def apply(self, base: Type) -> Type:
        for step in self.steps:
            base = step(base)
        return base


class Params(NamedTuple):
    params: tuple[Type, ...]
    variadic: bool




def flatten(items: Iterable[object]) -> Iterable[object]:
    """Items, with lists spliced in and Nones left out (rule methods' children)."""
    for item in items:
        if isinstance(item, list):
            yield from item
        elif item is not None:
            yield item
