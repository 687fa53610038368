"""From C parse trees to model types: the grammar's rule methods for specifiers, declarators,
typedefs and tags (constant expressions are in :mod:`cfi_typeid.c.constants`, the specifier
table in :mod:`cfi_typeid.c.specifiers`, the scope in :mod:`cfi_typeid.c.scope`).

The rules, each checked against clang-19 by the golden and differential tests:

* specifiers in any order mean the same type (``long unsigned int`` is ``unsigned long``): one
  table keyed by the sorted keywords;
* typedefs resolve to their type; a tagless struct/union/enum is named by the first typedef
  that names it (``typedef struct {...} Name;`` encodes as ``4Name``);
* a parameter of array type becomes a pointer to the element, of function type a pointer to
  the function, and its top-level qualifiers vanish;
* qualifiers on an array type belong to its elements;
* ``(void)`` is an empty prototyped list, ``()`` an unprototyped one (``FiE``).
"""

from __future__ import annotations

from dataclasses import replace

from typing import Callable, Iterable, NamedTuple, Sequence

from .constants import ConstantRules
from .scope import adjust_parameter, c_qualify, has_anonymous, name_anonymous
from .specifiers import KEYWORD_ALIASES, SPECIFIERS, TARGET_BUILTINS, VA_LIST
from ..parsing.lalr import Token
from ..model import (
    VOID, Array, BitInt, CInt, CInteger, Complex, FunctionType, Named, Pointer, Primitive,
    Qualified,
    Scalar, TagKind, Type, qualify, unqualified,
)
from ..targets import Target

_HALF = Primitive(Scalar.HALF)


# ---- intermediate objects of the transformer -----------------------------------------------


# (NamedTuples, not frozen dataclasses: made at nearly every reduction, they cost a third as
# much to build, and they never leave this module.)

class _Keyword(NamedTuple):
    word: str
    pos: int


class _Base(NamedTuple):
    """A type specifier that is a whole type (typedef name or tag)."""

    type: Type
    pos: int
    typedef_name: str | None = None


class _Specifiers(NamedTuple):
    type: Type
    is_typedef: bool
    pos: int
    redeclared: str | None = None  # ``typedef int T;`` when T is already a typedef name
    convention: str = ""  # ``__attribute__((ms_abi))`` among the specifiers: ``ms_abi``


Step = Callable[[Type], Type]


class _Declarator(NamedTuple):
    name: str | None
    pos: int
    steps: tuple[Step, ...] = ()

    def apply(self, base: Type) -> Type:
        for step in self.steps:
            base = step(base)
        return base


class _Params(NamedTuple):
    params: tuple[Type, ...]
    variadic: bool


# ---- the transformer ----------------------------------------------------------------------

_KEYWORD_TYPES: dict[tuple[tuple[str, ...], Target], Type] = {}


class CTransformer(ConstantRules):
    """One method per grammar rule, called with the rule's children (Lark's ``v_args(inline=
    True)`` style), each returning a model object (or a small intermediate).

    Stateless itself, so one instance serves every parse, run during the parse by
    :class:`cfi_typeid.parsing.lalr.Parser` (no tree) or over a Lark tree on the slow path: the scope it
    reads and fills is the one in :data:`CURRENT_SCOPE`.
    """

    # -- specifiers --
    def basic_type(self, tok: Token) -> object:
        words = KEYWORD_ALIASES.get(str(tok), (str(tok),))
        if words == ("__builtin_va_list",):
            arch = self.scope.target.c_arch
            return _Base(VA_LIST[arch], tok.start_pos or 0)
        return [_Keyword(w, tok.start_pos or 0) for w in words]

    def keyword_type(self, spelling: str) -> Type:
        """The type that a list of type keywords (``unsigned long``) names, as the specifier
        rules make it: how a target's predefined typedefs are read without a parse."""
        return self.declaration_specifiers(
            *(self.basic_type(Token("BASIC_TYPE", word, 0)) for word in spelling.split())).type

    def bitint(self, tok: Token, width: int) -> object:
        if not 1 <= width <= self.scope.target.max_bitint:
            raise self.scope.error(f"_BitInt width {width} out of range (1 to "
                                   f"{self.scope.target.max_bitint} on "
                                   f"{self.scope.target.triple})", tok.start_pos or 0)
        return [_Keyword("_BitInt", tok.start_pos or 0), width]

    def typedef_name(self, tok: Token) -> _Base:
        return _Base(self.scope.typedefs[str(tok)], tok.start_pos or 0, str(tok))

    def struct_definition(self, kw: Token, *rest: object) -> _Base:
        tag = rest[0] if rest and isinstance(rest[0], Token) else None
        return self._tag(kw, tag)

    def struct_reference(self, kw: Token, tag: Token) -> _Base:
        return self._tag(kw, tag)

    def enum_definition(self, kw: Token, *rest: object) -> _Base:
        self.scope.next_enum_value = 0
        tag = rest[0] if rest and isinstance(rest[0], Token) else None
        return self._tag(kw, tag)

    enum_reference = struct_reference

    def _tag(self, kw: Token, tag: Token | None) -> _Base:
        kind: TagKind = "union" if kw == "union" else "enum" if kw == "enum" else "struct"
        return _Base(Named(str(tag) if tag else "", kind), kw.start_pos or 0)

    def enumerator(self, name: Token, value: int | None = None) -> None:
        scope = self.scope
        scope.next_enum_value = scope.next_enum_value if value is None else value
        scope.set_constant(str(name), scope.next_enum_value)
        scope.next_enum_value += 1

    def storage_class(self, tok: Token) -> _Keyword:
        return _Keyword(str(tok), tok.start_pos or 0)

    type_qualifier = storage_class

    def function_specifier(self, tok: Token) -> None:
        return None

    def declaration_specifiers(self, *specs: object) -> _Specifiers:
        return self._specifiers(specs, allow_storage=True)

    def specifier_qualifier_list(self, *specs: object) -> _Specifiers:
        return self._specifiers(specs, allow_storage=False)

    def _specifiers(self, specs: Sequence[object], allow_storage: bool) -> _Specifiers:
        words: list[str] = []
        bases: list[_Base] = []
        quals: set[str] = set()
        is_typedef = False
        convention = ""
        bits: int | None = None
        pos = -1
        for spec in _flatten(specs):
            if isinstance(spec, _Base):
                bases.append(spec)
                pos = spec.pos if pos < 0 else pos
            elif isinstance(spec, _Keyword):
                pos = spec.pos if pos < 0 else pos
                w = spec.word
                if w in ("const", "__const", "__const__"):
                    quals.add("const")
                elif w in ("volatile", "__volatile", "__volatile__"):
                    quals.add("volatile")
                elif w in ("restrict", "__restrict", "__restrict__"):
                    quals.add("restrict")
                elif w == "typedef":
                    is_typedef = True
                elif w.startswith(_CC_PREFIX):
                    convention = w[len(_CC_PREFIX):]
                elif w in ("extern", "static", "auto", "register", "_Thread_local",
                           "__thread", "thread_local"):
                    pass
                else:
                    words.append(w)
            elif isinstance(spec, int):
                bits = spec
        redeclared = None
        if is_typedef and bases and bases[-1].typedef_name is not None \
                and (len(bases) == 2 or words):
            # `typedef struct S S;` or `typedef unsigned long size_t;` when the name is already
            # a typedef: the lexer made it a type name, but it is the declarator.
            redeclared = bases.pop().typedef_name
        base = self._base_type(words, bases, bits, max(pos, 0))
        if "restrict" in quals:
            self._check_restrict(base, max(pos, 0))
        return _Specifiers(c_qualify(base, "const" in quals, "volatile" in quals,
                                     "restrict" in quals), is_typedef, max(pos, 0), redeclared,
                           convention)

    def _base_type(self, words: list[str], bases: list[_Base], bits: int | None,
                   pos: int) -> Type:
        if bases:
            if len(bases) > 1 or words:
                raise self.scope.error("two types in one declaration", bases[-1].pos)
            return bases[0].type
        # The same few keyword lists come up again and again: remember what each made (only
        # what was accepted; an error is raised afresh, at its own position, every time).
        # (_BitInt widths are many: those are not kept.)
        if bits is not None:
            return self._keyword_type(words, bits, pos)
        key = (tuple(words), self.scope.target)
        found = _KEYWORD_TYPES.get(key)
        if found is None:
            found = _KEYWORD_TYPES[key] = self._keyword_type(words, bits, pos)
        return found

    def _keyword_type(self, words: list[str], bits: int | None, pos: int) -> Type:
        if not words:
            raise self.scope.error("missing type specifier (C has no implicit int)", pos)
        complex_ = "_Complex" in words
        rest = [w for w in words if w != "_Complex"]
        if "_BitInt" in rest:
            signs = [w for w in rest if w != "_BitInt"]
            if bits is None or signs not in ([], ["signed"], ["unsigned"]):
                raise self.scope.error("invalid _BitInt specifiers", pos)
            if bits < 2 and signs != ["unsigned"]:
                raise self.scope.error("signed _BitInt must have a bit size of at least 2", pos)
            bitint = BitInt(bits, signs != ["unsigned"])
            return Complex(bitint) if complex_ else bitint
        if complex_ and not rest:
            rest = ["double"]
        found = SPECIFIERS.get(tuple(sorted(rest)))
        if found is None:
            raise self.scope.error(f"invalid combination of type specifiers: {' '.join(words)}",
                                   pos)
        if isinstance(found, CInteger) and found.kind in (CInt.INT128, CInt.UINT128) \
                and not self.scope.target.has_int128:
            raise self.scope.error(f"__int128 is not supported on {self.scope.target.triple}",
                                   pos)
        target = self.scope.target
        for scalar, supported in ((Scalar.FLOAT128, target.has_float128),
                                  (Scalar.FLOAT16, target.has_float16),
                                  (Scalar.BFLOAT16, target.has_bf16)):
            if found == Primitive(scalar) and not supported:
                raise self.scope.error(f"{scalar.value} is not supported on {target.triple}",
                                       pos)
        if complex_ and (found in (VOID, Primitive(Scalar.BOOL), Primitive(Scalar.HALF),
                                   Primitive(Scalar.BFLOAT16))
                         or isinstance(found, CInteger)
                         and found.kind in (CInt.INT128, CInt.UINT128)):
            raise self.scope.error(f"_Complex {' '.join(rest)} is not a type", pos)
        found = TARGET_BUILTINS.get(target.c_arch, {}).get(found, found)
        return Complex(found) if complex_ else found

    # -- declarators --
    def name(self, tok: Token) -> _Declarator:
        return _Declarator(str(tok), tok.start_pos or 0)

    def pointer_level(self, *quals: _Keyword) -> Step:
        # `* const`: a pointer, then the qualifiers of that pointer itself
        step = _pointer_step(frozenset(q.word for q in quals))
        convention = next((q.word[len(_CC_PREFIX):] for q in quals
                           if q.word.startswith(_CC_PREFIX)), "")
        if convention:
            plain = step

            def step(t: Type) -> Type:
                return plain(self._with_convention(t, convention))
        restrict = next((q.pos for q in quals if q.word in _RESTRICT), None)
        if restrict is None:
            return step

        def checked(t: Type) -> Type:
            self._check_restrict(Pointer(t), restrict)
            return step(t)
        return checked

    def _check_restrict(self, t: Type, pos: int) -> None:
        """C17 6.7.3p2: only a pointer to an object type may be restrict-qualified."""
        while isinstance(unqualified(t), Array):
            t = unqualified(t)
            assert isinstance(t, Array)
            t = t.element
        t = unqualified(t)
        if not isinstance(t, Pointer) or isinstance(unqualified(t.pointee), FunctionType):
            raise self.scope.error("restrict needs a pointer to an object type", pos)

    def pointer(self, *levels: Step) -> list[Step]:
        # `int * const * volatile p`: the leftmost star applies to the base type first
        return list(levels)

    def declarator(self, *parts: object) -> _Declarator:
        if len(parts) == 1:
            assert isinstance(parts[0], _Declarator)
            return parts[0]
        pointers, direct = parts
        assert isinstance(direct, _Declarator) and isinstance(pointers, list)
        return _Declarator(direct.name, direct.pos, tuple(pointers) + direct.steps)

    def abstract_declarator(self, *parts: object) -> _Declarator:
        if len(parts) == 1 and isinstance(parts[0], list):
            return _Declarator(None, -1, tuple(parts[0]))
        return self.declarator(*parts)

    def array_of(self, inner: _Declarator, size: int | None) -> _Declarator:
        return _Declarator(inner.name, inner.pos,
                           (lambda t: Array(t, size),) + inner.steps)

    def abstract_array_of(self, *parts: object) -> _Declarator:
        inner, size = (parts if len(parts) == 2 else (_Declarator(None, -1), parts[0]))
        assert isinstance(inner, _Declarator)
        return self.array_of(inner, size if isinstance(size, int) else None)

    def array_suffix(self, *parts: object) -> int | None:
        sizes = [p for p in parts if isinstance(p, int) and not isinstance(p, bool)]
        if sizes and sizes[-1] < 0:
            raise self.scope.error("array size is negative", 0)
        return sizes[-1] if sizes else None

    def vla_star(self, *parts: object) -> int | None:
        return None

    def function_of(self, inner: _Declarator, params: _Params) -> _Declarator:
        return _Declarator(inner.name, inner.pos, (
            lambda t: self._function(t, params.params, params.variadic, True, inner.pos),)
            + inner.steps)

    def unprototyped_of(self, inner: _Declarator) -> _Declarator:
        return _Declarator(inner.name, inner.pos, (
            lambda t: self._function(t, (), False, False, inner.pos),) + inner.steps)

    def _function(self, returns: Type, params: tuple[Type, ...], variadic: bool,
                  prototyped: bool, pos: int) -> FunctionType:
        """A function type, refused where clang-19 refuses it."""
        if isinstance(unqualified(returns), (Array, FunctionType)):
            raise self.scope.error("a function cannot return an array or a function",
                                   max(pos, 0))
        if not self.scope.target.half_args and _HALF in map(unqualified, (returns, *params)):
            raise self.scope.error(f"__fp16 cannot be a parameter or return type on "
                                   f"{self.scope.target.triple} (use __fp16 *)", max(pos, 0))
        return FunctionType(returns, params, variadic, prototyped)

    def abstract_function_of(self, *parts: object) -> _Declarator:
        inner, params = parts if len(parts) == 2 else (_Declarator(None, -1), parts[0])
        assert isinstance(inner, _Declarator) and isinstance(params, _Params)
        return self.function_of(inner, params)

    def abstract_unprototyped_of(self, *parts: object) -> _Declarator:
        inner = parts[0] if parts else _Declarator(None, -1)
        assert isinstance(inner, _Declarator)
        return self.unprototyped_of(inner)

    def _with_convention(self, t: Type, convention: str) -> Type:
        """``t`` with calling convention ``convention`` on the function type it is or points
        to (clang moves the attribute to the nearest function type), when clang mangles that
        convention on this target; unchanged otherwise (clang ignores it, or it is the
        target's default)."""
        if not convention or not mangles_convention(convention, self.scope.target):
            return t
        match t:
            case FunctionType():
                return t if t.calling_convention else replace(t, calling_convention=convention)
            case Pointer(pointee):
                return Pointer(self._with_convention(pointee, convention))
            case Qualified():
                return qualify(self._with_convention(t.base, convention), const=t.const,
                               volatile=t.volatile, restrict=t.restrict)
            case _:
                return t

    def _declared(self, specs: _Specifiers, decl: _Declarator | None) -> Type:
        t = decl.apply(specs.type) if decl is not None else specs.type
        return self._with_convention(t, specs.convention)

    def parameter_declaration(self, specs: _Specifiers,
                              decl: _Declarator | None = None) -> tuple[Type, bool]:
        t = self._declared(specs, decl)
        named = decl is not None and decl.name is not None
        return adjust_parameter(t), (t == VOID and not named)

    def parameter_list(self, *items: object) -> list[tuple[Type, bool]]:
        out: list[tuple[Type, bool]] = []
        for item in items:
            if isinstance(item, list):
                out.extend(item)
            else:
                assert isinstance(item, tuple)
                out.append(item)
        return out

    def parameter_type_list(self, *items: object) -> _Params:
        variadic = bool(items) and isinstance(items[-1], Token)
        params = items[0] if items and isinstance(items[0], list) else []
        if len(params) == 1 and params[0][1]:
            return _Params((), variadic)  # (void)
        if any(is_void for _, is_void in params):
            raise self.scope.error("'void' must be the only parameter", 0)
        return _Params(tuple(t for t, _ in params), variadic)

    def type_name(self, specs: _Specifiers, decl: _Declarator | None = None) -> Type:
        return self._declared(specs, decl)

    # -- declarations --
    def init_declarator_list(self, *items: object) -> list[_Declarator]:
        return [d for d in _flatten(items) if isinstance(d, _Declarator)]

    def declaration(self, specs: _Specifiers, declarators: list[_Declarator] | None = None
                    ) -> None:
        """Enter what a prelude declaration declares; only typedefs and tags matter."""
        declarators = list(declarators or [])
        if specs.redeclared is not None and not declarators:
            declarators = [_Declarator(specs.redeclared, specs.pos)]
        if not specs.is_typedef:
            return
        base = specs.type
        if has_anonymous(base):
            first = next((d for d in declarators if not d.steps and d.name), None)
            if first is not None and first.name is not None:
                base = name_anonymous(base, first.name)
        for d in declarators:
            if d.name is not None:
                self.scope.typedefs[d.name] = self._with_convention(d.apply(base),
                                                                    specs.convention)

    def target(self, specs: _Specifiers, decl: _Declarator | None = None) -> tuple[Type, int]:
        """The type of the declaration or type name whose id is asked for, and its offset."""
        t = self._declared(specs, decl)
        if specs.is_typedef and decl is not None and decl.name is not None:
            self.scope.typedefs[decl.name] = t
        return t, (decl.pos if decl is not None and decl.pos >= 0 else specs.pos)


_RESTRICT = frozenset({"restrict", "__restrict", "__restrict__"})
_CC_PREFIX = "__cfi_cc_"


def mangles_convention(convention: str, target: Target) -> bool:
    """Whether clang-19 mangles calling convention ``convention`` into the type on ``target``
    (``U6ms_abi``): only where it is not the default; on 32-bit x86, Arm and RISC-V it is
    ignored (checked per target in tests/test_c_calling_conventions.py)."""
    windows = target.os == "windows"
    if convention == "ms_abi":
        return target.arch in ("x86_64", "aarch64") and not windows
    return convention == "sysv_abi" and target.arch == "x86_64" and windows


def _pointer_step(quals: frozenset[str]) -> Step:
    const = bool(quals & {"const", "__const", "__const__"})
    volatile = bool(quals & {"volatile", "__volatile", "__volatile__"})
    restrict = bool(quals & {"restrict", "__restrict", "__restrict__"})
    return lambda t: qualify(Pointer(t), const=const, volatile=volatile, restrict=restrict)


def _flatten(items: Iterable[object]) -> Iterable[object]:
    for item in items:
        if isinstance(item, list):
            yield from item
        elif item is not None:
            yield item
