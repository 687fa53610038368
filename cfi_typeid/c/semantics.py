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

from typing import Callable, Iterable, NamedTuple, Sequence

from .constants import ConstantRules
from .modes import ModeError, apply_mode
from .scope import (
    SKIPPED, Record, adjust_parameter, c_qualify, has_anonymous, name_anonymous,
)
from .specifiers import KEYWORD_ALIASES, SPECIFIERS, TARGET_BUILTINS, VA_LIST
from ..parsing.lalr import Token
from ..model import (
    VOID, Array, BitInt, CInt, CInteger, Complex, FunctionType, Named, Pointer, Primitive,
    Qualified, Scalar, TagKind, Type, nesting, qualify, unqualified,
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
    #: (an unnamed struct or union) its function-pointer members, named from here down
    members: tuple[Record, ...] = ()


class _Fields(NamedTuple):
    """What a struct declaration declares: its members (name, type, offset), and the
    function-pointer members of an unnamed struct or union it holds, named from it down."""

    fields: list[tuple[str, Type, int]]
    nested: list[Record]


class _Mode(NamedTuple):
    """``__attribute__((mode(word)))``, as blank_noise rewrote it (``__cfi_mode_word``)."""

    word: str
    pos: int


class _Specifiers(NamedTuple):
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
            arch = self.scope.target.triple.split("-", 1)[0]
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
        t = self.scope.typedefs[str(tok)]
        if t is SKIPPED:
            raise self.scope.error(self.scope.skipped_reason(str(tok)), tok.start_pos or 0)
        return _Base(t, tok.start_pos or 0, str(tok))

    def typeof_type(self, kw: Token, t: Type) -> _Base:
        return _Base(_typeof(kw, t), kw.start_pos or 0)

    def typeof_object(self, kw: Token, t: Type) -> _Base:
        return _Base(_typeof(kw, t), kw.start_pos or 0)

    def typeof_name(self, tok: Token) -> Type:
        found = self.scope.objects.get(str(tok))
        if found is None:
            if str(tok) in self.scope.constants:
                return CInteger(CInt.INT)  # an enumerator
            raise self.scope.error(f"__typeof__({tok!s}): {tok!s} is not a function or "
                                   "variable declared before", tok.start_pos or 0)
        return found

    def typeof_deref(self, t: Type) -> Type:
        t = unqualified(t)
        if isinstance(t, Pointer):
            return t.pointee
        if isinstance(t, Array):
            return t.element
        if isinstance(t, FunctionType):
            return t
        raise self.scope.error("__typeof__(*x): x is not a pointer", 0)

    def typeof_address(self, *parts: object) -> Type:
        t = parts[-1]
        assert not isinstance(t, Token)
        return Pointer(t)  # type: ignore[arg-type]

    def mode_attribute(self, tok: Token) -> _Mode:
        return _Mode(str(tok)[len("__cfi_mode_"):], tok.start_pos or 0)

    def moded_declarator(self, decl: _Declarator, *modes: Token) -> _Declarator:
        words = [self.mode_attribute(m) for m in modes]

        def moded(t: Type) -> Type:
            for mode in words:
                t = self._mode(t, mode)
            return t
        return _Declarator(decl.name, decl.pos, (moded,) + decl.steps)

    def _mode(self, t: Type, mode: _Mode) -> Type:
        quals = t if isinstance(t, Qualified) else None
        try:
            moded = apply_mode(unqualified(t), mode.word, self.scope.target)
        except ModeError as e:
            raise self.scope.error(f"__attribute__((mode({mode.word}))): {e}", mode.pos) from None
        if quals is not None:
            return qualify(moded, const=quals.const, volatile=quals.volatile,
                           restrict=quals.restrict)
        return moded

    def struct_definition(self, kw: Token, *rest: object) -> _Base:
        tag = rest[0] if rest and isinstance(rest[0], Token) else None
        base = self._tag(kw, tag)
        if self.scope.records is None:
            return base
        members: list[Record] = []
        for declared in rest:
            if isinstance(declared, _Fields):
                members.extend(Record("member", name, t, self.scope.base + pos)
                               for name, t, pos in declared.fields if _is_function_pointer(t))
                members.extend(declared.nested)
        if tag is None:
            return base._replace(members=tuple(members))
        self.scope.records.extend(m._replace(name=f"{tag!s}.{m.name}") for m in members)
        return base

    def struct_declaration(self, specs: _Specifiers,
                           declarators: list[_Declarator] | None = None) -> _Fields:
        """The members a struct declaration declares.  An unnamed struct or union's members
        are reached through this member's name (or directly, for an unnamed member)."""
        declarators = self._declarators(specs, declarators)
        nested = list(specs.members)
        named = [d.name for d in declarators if d.name]
        if nested and len(named) == 1:
            nested = [m._replace(name=f"{named[0]}.{m.name}") for m in nested]
        elif nested and named:
            nested = []  # several members of one unnamed type: a name each, not modelled
        return _Fields([(d.name, d.apply(specs.type), d.pos) for d in declarators if d.name],
                       nested)

    def empty_declaration(self) -> _Fields:
        return _Fields([], [])

    def struct_declarator_list(self, *items: _Declarator) -> list[_Declarator]:
        return list(items)

    def struct_declarator(self, decl: _Declarator, *modes: Token) -> _Declarator:
        return self.moded_declarator(decl, *modes) if modes else decl

    def bit_field(self, *parts: object) -> _Declarator:
        decl = parts[0] if isinstance(parts[0], _Declarator) else _Declarator(None, -1)
        return decl

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

    def identifier_list(self, *names: Token) -> list[Token]:
        return list(names)

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
        bits: int | None = None
        pos = -1
        storage: list[str] = []
        modes: list[_Mode] = []
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
                elif w in ("extern", "static", "auto", "register", "_Thread_local",
                           "__thread", "thread_local"):
                    storage.append(w)
                else:
                    words.append(w)
            elif isinstance(spec, _Mode):
                modes.append(spec)
            elif isinstance(spec, int):
                bits = spec
        redeclared, redeclared_pos = None, 0
        if bases and bases[-1].typedef_name is not None and (len(bases) == 2 or words):
            # `typedef struct S S;`, `typedef unsigned long size_t;` when the name is already
            # a typedef, or `T destructor` when destructor is one: after a type specifier, a
            # typedef name is the declarator's name (C17 6.7.2p2 allows no second type).
            last = bases.pop()
            redeclared, redeclared_pos = last.typedef_name, last.pos
        base = self._base_type(words, bases, bits, max(pos, 0))
        for mode in modes:
            base = self._mode(base, mode)
        if "restrict" in quals:
            self._check_restrict(base, max(pos, 0))
        members = bases[0].members if bases else ()
        return _Specifiers(c_qualify(base, "const" in quals, "volatile" in quals,
                                     "restrict" in quals), is_typedef, max(pos, 0), redeclared,
                           redeclared_pos, tuple(storage), members)

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
        found = TARGET_BUILTINS.get(target.triple.split("-", 1)[0], {}).get(found, found)
        return Complex(found) if complex_ else found

    # -- declarators --
    def name(self, tok: Token) -> _Declarator:
        return _Declarator(str(tok), tok.start_pos or 0)

    def pointer_level(self, *quals: _Keyword) -> Step:
        # `* const`: a pointer, then the qualifiers of that pointer itself
        step = _pointer_step(frozenset(q.word for q in quals))
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
                           (lambda t: self._array(t, size, inner.pos),) + inner.steps)

    def _array(self, element: Type, size: int | None, pos: int) -> Array:
        """An array type, refused where clang-19 refuses it: of functions, of ``void``, of
        arrays of unknown length, or larger than the target's ``size_t`` allows."""
        inner = unqualified(element)
        if isinstance(inner, FunctionType):
            raise self.scope.error("an array of functions is not a type (use an array of "
                                   "function pointers)", max(pos, 0))
        if inner == VOID or isinstance(inner, Array) and inner.length is None:
            raise self.scope.error("array has incomplete element type", max(pos, 0))
        if size is not None:
            unit = self._sizeof(element) or 1
            limit = min(self.scope.target.pointer_bits, 61)  # ConstantArrayType::getMaxSizeBits
            if (size * unit).bit_length() > limit:
                raise self.scope.error(f"array is too large ({size} elements)", max(pos, 0))
        return Array(element, size)

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

    def knr_of(self, inner: _Declarator, names: list[Token]) -> _Declarator:
        """A K&R identifier list: unprototyped here; a definition's declaration list gives
        the parameter types (see :func:`cfi_typeid.c.reader`)."""
        if not self.scope.knr_definition:
            first = names[0]
            raise self.scope.error(
                f"unknown type name '{first!s}' (declare it in the prelude, e.g. 'typedef "
                f"struct {first!s} {first!s};'); a parameter list without types is only "
                "allowed in a function definition", first.start_pos or 0)
        self.scope.knr_names = [str(n) for n in names]
        return self.unprototyped_of(inner)

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

    def parameter_declaration(self, specs: _Specifiers,
                              decl: _Declarator | None = None) -> tuple[Type, bool]:
        if specs.is_typedef or any(w != "register" for w in specs.storage):
            raise self.scope.error("invalid storage class in a parameter declaration "
                                   "(only 'register' is allowed)", specs.pos)
        if specs.redeclared is not None:
            decl = _Declarator(specs.redeclared, specs.redeclared_pos,
                               decl.steps if decl is not None else ())
        t = decl.apply(specs.type) if decl else specs.type
        named = decl is not None and decl.name is not None
        if unqualified(t) == VOID and (named or t != VOID):
            raise self.scope.error("a parameter may not have type 'void' (only an unnamed, "
                                   "unqualified 'void' alone means no parameters)",
                                   decl.pos if decl is not None and decl.pos >= 0 else specs.pos)
        return adjust_parameter(t), t == VOID

    def parameter_type_list(self, *items: object) -> _Params:
        variadic = bool(items) and isinstance(items[-1], Token)
        params = [item for item in items if isinstance(item, tuple)]
        if len(params) == 1 and params[0][1]:
            return _Params((), variadic)  # (void)
        if any(is_void for _, is_void in params):
            raise self.scope.error("'void' must be the only parameter", 0)
        return _Params(tuple(t for t, _ in params), variadic)

    def type_name(self, specs: _Specifiers, decl: _Declarator | None = None) -> Type:
        if specs.redeclared is not None:
            raise self.scope.error("two types in one type name", specs.redeclared_pos)
        return decl.apply(specs.type) if decl else specs.type

    # -- declarations --
    def init_declarator_list(self, *items: object) -> list[_Declarator]:
        return [d for d in _flatten(items) if isinstance(d, _Declarator)]

    def _declarators(self, specs: _Specifiers, declarators: list[_Declarator] | None
                     ) -> list[_Declarator]:
        declarators = list(declarators or [])
        if specs.redeclared is not None:
            if declarators:
                raise self.scope.error(f"{specs.redeclared!r} names a type here; a "
                                       "declarator cannot follow it", specs.redeclared_pos)
            declarators = [_Declarator(specs.redeclared, specs.redeclared_pos)]
        return declarators

    def declaration(self, specs: _Specifiers, declarators: list[_Declarator] | None = None
                    ) -> None:
        """Enter what a declaration declares: typedefs (and tags) into the scope, functions
        and variables as objects (``__typeof__`` reads them), and, when the scope keeps
        records (a whole file read), every function type a CFI check is made against."""
        declarators = self._declarators(specs, declarators)
        scope = self.scope
        base = specs.type
        if specs.is_typedef and has_anonymous(base):
            first = next((d for d in declarators if not d.steps and d.name), None)
            if first is not None and first.name is not None:
                base = name_anonymous(base, first.name)
                if scope.records is not None:
                    scope.records.extend(m._replace(name=f"{first.name}.{m.name}")
                                         for m in specs.members)
        for d in declarators:
            if d.name is None:
                continue
            t = d.apply(base)
            if specs.is_typedef:
                self._define_typedef(d.name, t, d.pos)
                kind = "typedef"
            else:
                scope.objects[d.name] = t
                kind = "function" if isinstance(t, FunctionType) else "variable"
            if scope.records is not None and (kind == "function" or _is_function(t)):
                scope.records.append(Record(kind, d.name, t, scope.base + max(d.pos, 0)))

    def _define_typedef(self, name: str, t: Type, pos: int, last: bool = False) -> None:
        """Enter a typedef, refusing a redefinition with another type of one this text
        defined (``last``: the declaration asked for, after which nothing is read, so the
        scope's shared sets are left alone)."""
        scope = self.scope
        if name in scope.defined and scope.typedefs.get(name) not in (t, SKIPPED):
            raise scope.error(f"typedef redefinition with different types ({name!r})",
                              max(pos, 0))
        if last:
            scope.typedefs[name] = t
            return
        if name in scope.typedefs and scope.typedefs[name] != t:
            scope.typedef_changes += 1  # (a predefined one redefined: reused values are stale)
        scope.typedefs[name] = t
        scope.defined.add(name)
        if scope.records is not None:  # (a whole file: kept up to date as it is read)
            scope.typedef_depth = max(scope.typedef_depth, nesting(t))

    def target(self, specs: _Specifiers, decl: _Declarator | list[_Declarator] | None = None
               ) -> tuple[Type, int]:
        """The type of the declaration or type name whose id is asked for, and its offset:
        with several declarators (``int a(int), b(long);``), the last one's."""
        declarators = self._declarators(specs, decl if isinstance(decl, list) else None)
        last = declarators[-1] if declarators else decl if isinstance(decl, _Declarator) \
            else None
        t = last.apply(specs.type) if last is not None else specs.type
        if specs.is_typedef:
            for d in declarators:
                if d.name is not None:  # (nothing follows: the names need no recording)
                    self._define_typedef(d.name, d.apply(specs.type), d.pos, last=True)
        return t, (last.pos if last is not None and last.pos >= 0 else specs.pos)


def _typeof(kw: Token, t: Type) -> Type:
    return unqualified(t) if "unqual" in kw else t


def _is_function(t: Type) -> bool:
    """Whether ``t`` is a function or a pointer to one (what a typedef, a member or a
    variable must be to be checked at an indirect call)."""
    t = unqualified(t)
    return isinstance(t, FunctionType) or _is_function_pointer(t)


def _is_function_pointer(t: Type) -> bool:
    t = unqualified(t)
    return isinstance(t, Pointer) and isinstance(unqualified(t.pointee), FunctionType)


_RESTRICT = frozenset({"restrict", "__restrict", "__restrict__"})


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
