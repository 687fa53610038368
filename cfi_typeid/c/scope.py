"""The C front end's symbol table and the C rules for types that do not depend on syntax.

A :class:`Scope` holds what the declarations read so far declared (typedefs, enum constants),
and the parser's rule methods find the current one in :data:`CURRENT_SCOPE`.  The functions
below are C's own adjustments of a type: where qualifiers go, how a parameter's type decays,
and how a tagless struct takes its typedef's name.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, MutableMapping, NamedTuple, Sequence

from ..errors import ParseError
from ..model import (
    Array, Atomic, Complex, Encoded, FunctionType, Named, Pointer, Qualified, TYPEDEF_NAMED, Type,
    Vector,
    qualify, unqualified,
)
from ..targets import Target
from .typed_int import Typed

#: The value of a typedef whose declaration was skipped: the name still lexes as a type name
#: (so what uses it parses as C does), and using it reports why it was skipped.
SKIPPED: Type = Encoded("?", "<skipped>")


class Record(NamedTuple):
    """A function type a whole-file read found: ``kind`` is ``function``, ``typedef``,
    ``member`` (``name`` is ``tag.member``) or ``variable``; ``offset`` is in the text read."""

    kind: str
    name: str
    type: Type
    offset: int
    #: a function's ``__asm__("label")``, the symbol it is linked by ("": its name)
    symbol: str = ""
    #: a function declared ``__attribute__((overloadable))``: without a label, linked by its
    #: C++ mangled name (``_Z3fooi``)
    overloadable: bool = False


@dataclass
class Scope:
    """What the declarations seen so far have declared."""

    target: Target
    typedefs: MutableMapping[str, Type] = field(default_factory=dict)
    constants: MutableMapping[str, Typed] = field(default_factory=dict)
    text: str = ""
    base: int = 0
    what: str = "input"
    next_enum_value: int = 0
    #: (table, name, previous value) of each constant or tag set, so a parse that fails
    #: half-way can be undone
    undo: list[tuple[MutableMapping[str, Any], str, Any]] = field(default_factory=list)
    #: parameter declarations parsed with exactly this scope's typedef names, for the fast
    #: parser to reuse (see :meth:`cfi_typeid.parsing.lalr.Parser.parse`)
    parameters: dict[tuple[int, str], object] = field(default_factory=dict)
    #: (set once a prelude is read) the deepest typedef's nesting, and whether any typedef
    #: mentions an unnamed tag: what lets a line skip walking its type for either
    typedef_depth: int = 0
    anonymous_typedefs: bool = False
    #: functions and variables declared so far (what ``__typeof__(name)`` reads)
    objects: MutableMapping[str, Type] = field(default_factory=dict)
    #: ``tag.member`` -> the member's type, for every struct or union with a tag defined so
    #: far (what ``__typeof__(p->member)`` reads)
    members: dict[str, Type] = field(default_factory=dict)
    #: typedef names the read text itself defined (a target's predefined ones may be
    #: redefined; these only with the same type)
    defined: set[str] = field(default_factory=set)
    #: how many variable-length arrays were read (each is numbered: see model.Array)
    variable_arrays: int = 0
    #: how many times a typedef name already declared got another type (see reader)
    typedef_changes: int = 0
    #: typedef name -> why its declaration was skipped (its value is :data:`SKIPPED`)
    skipped: dict[str, str] = field(default_factory=dict)
    #: when not None (a whole file read), the function types found, in order
    records: list[Record] | None = None
    #: tags defined (``struct S {...}``) or declared at file scope (``struct S;``): name ->
    #: (struct, union or enum; whether defined), for clang's checks of their redefinitions
    tags: MutableMapping[str, tuple[str, bool]] = field(default_factory=dict)
    #: the identifier list of the last K&R declarator parsed
    knr_names: list[str] = field(default_factory=list)
    #: (a prelude's scope) the declarations it skipped, as ``cfi_typeid.c.reader.Skipped``
    prelude_skipped: Sequence[object] = ()
    #: whether the declaration being read is a K&R definition's head (identifier lists are
    #: allowed only there)
    knr_definition: bool = False
    #: the text as given, before blank_noise (at the same offsets as ``text``): what a
    #: struct's layout reads its attributes from (see :mod:`cfi_typeid.c.layout`)
    source: str = ""
    #: the layouts of the structs and unions defined so far (``cfi_typeid.c.layout.Found``),
    #: by ``tag#instance``; and of the unnamed ones, by the offset of their keyword in text
    layouts: MutableMapping[str, Any] = field(default_factory=dict)
    anonymous_layouts: dict[int, Any] = field(default_factory=dict)
    #: (offset in text, value, name) of each enumerator read since the last enum's definition
    enum_values: list[tuple[int, int, str]] = field(default_factory=list)
    #: typedef names declared with a layout attribute (``__attribute__((aligned(8)))``), which
    #: the types they name do not carry
    aligned_typedefs: set[str] = field(default_factory=set)
    #: what cfi_typeid.c.layout found once in ``source`` (where attributes may be)
    source_marks: object = None
    #: whether the declaration being read is ``__attribute__((overloadable))``: its functions
    #: are overloads, which another signature declares beside, not again (clang's C
    #: overloading: ``void f(int)`` and ``void f(long)`` are ``_Z1fi`` and ``_Z1fl``)
    overloading: bool = False

    def skipped_reason(self, name: str) -> str:
        return f"uses {name!r}, whose declaration was skipped ({self.skipped.get(name, '?')})"

    def error(self, message: str, pos: int) -> ParseError:
        return ParseError(message, self.text, self.base + pos, what=self.what)

    def set_constant(self, name: str, value: Typed) -> None:
        self.undo.append((self.constants, name, self.constants.get(name)))
        self.constants[name] = value

    def set_tag(self, name: str, kind: str, defined: bool) -> None:
        self.undo.append((self.tags, name, self.tags.get(name)))
        self.tags[name] = (kind, defined)

    def rollback(self, mark: int) -> None:
        """Forget the constants and tags set since ``len(self.undo)`` was ``mark``."""
        while len(self.undo) > mark:
            table, name, old = self.undo.pop()
            if old is None:
                del table[name]
            else:
                table[name] = old
        self.next_enum_value = 0


#: The scope the parser's embedded transformer works in (the parser, with its transformer, is
#: built once; each parse sets this).
CURRENT_SCOPE: ContextVar[Scope] = ContextVar("CURRENT_SCOPE")


def c_qualify(t: Type, const: bool = False, volatile: bool = False,
              restrict: bool = False) -> Type:
    """Qualify ``t`` the C way: qualifiers on an array type go to its elements, and those on
    a function type (undefined in C17 6.7.3p9; ``const F *`` through a typedef) vanish, as
    they do from clang's mangled name."""
    if isinstance(t, Array):
        return Array(c_qualify(t.element, const, volatile, restrict), t.length, t.variable)
    if isinstance(t, FunctionType):
        return t
    return qualify(t, const=const, volatile=volatile, restrict=restrict)


def adjust_parameter(t: Type) -> Type:
    """C17 6.7.6.3: array → pointer to element, function → pointer; drop top-level qualifiers."""
    t = unqualified(t)
    if isinstance(t, Array):
        return Pointer(t.element)
    if isinstance(t, FunctionType):
        return Pointer(t)
    return t


def has_anonymous(t: Type) -> bool:
    """Whether ``t`` mentions a tagless struct/union/enum that no typedef named."""
    match t:
        case Named(name):
            return name == ""
        case Qualified(base):
            return has_anonymous(base)
        case Pointer(inner) | Array(inner) | Complex(inner) | Atomic(inner) | Vector(inner):
            return has_anonymous(inner)
        case FunctionType():
            return has_anonymous(t.returns) or any(has_anonymous(p) for p in t.params)
        case _:
            return False


def name_anonymous(t: Type, name: str) -> Type:
    """The typedef name an unnamed tag takes for linkage, as clang gives it: only when the
    typedef names exactly the tag (``typedef const struct {...} C;`` leaves it unnamed)."""
    match t:
        case Named(""):
            return Named(name, t.kind, TYPEDEF_NAMED)
        case _:
            return t
