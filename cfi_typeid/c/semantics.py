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

from operator import itemgetter
from typing import Sequence

from .atomic import atomic_of
from .vectors import VectorAttribute, vector_of
from .constants import VARIABLE, Unfolded, Variable
from .conversions import enum_type
from .typed_int import Typed, of_value
from .layout import define as define_layout, define_enum as define_enum_layout
from .declarations import (
    CC_PREFIX, FUNCTION_SPECIFIERS, DeclarationRules, is_function_pointer,
)
from .parts import (
    Base, Declarator, Fields, Keyword, Mode, Params, Specifiers, Step, flatten,
)
from .scope import SKIPPED, Record, adjust_parameter, c_qualify
from .specifiers import KEYWORD_ALIASES, SPECIFIERS, TARGET_BUILTINS, VA_LIST
from ..parsing.lalr import Token
from ..model import (
    VOID, Array, Atomic, BitInt, CInt, CInteger, Complex, FunctionType, Named, Pointer, Primitive,
    Qualified, Scalar, TagKind, Type, qualify, unqualified,
)
from ..targets import Target

_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _has_half(returns: Type, params: tuple[Type, ...]) -> bool:
    """Whether ``__fp16`` is the return type or a parameter's (a loop: no dataclass
    ``__eq__`` per parameter, no generator)."""
    for t in (returns, *params):
        if type(t) is Qualified:
            t = t.base
        if type(t) is Primitive and t.kind is Scalar.HALF:
            return True
    return False


# ---- the transformer ----------------------------------------------------------------------

_KEYWORD_TYPES: dict[tuple[tuple[str, ...], Target], Type] = {}


class CTransformer(DeclarationRules):
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
            return Base(VA_LIST[arch], tok.start_pos or 0)
        return [Keyword(w, tok.start_pos or 0) for w in words]

    def keyword_type(self, spelling: str) -> Type:
        """The type that a list of type keywords (``unsigned long``) names, as the specifier
        rules make it: how a target's predefined typedefs are read without a parse."""
        return self.declaration_specifiers(
            *(self.basic_type(Token("BASIC_TYPE", word, 0)) for word in spelling.split())).type

    def bitint(self, tok: Token, width: object) -> object:
        if not isinstance(width, int):
            raise self.scope.error("_BitInt's width must be a constant", tok.start_pos or 0)
        if not 1 <= width <= self.scope.target.max_bitint:
            raise self.scope.error(f"_BitInt width {width} out of range (1 to "
                                   f"{self.scope.target.max_bitint} on "
                                   f"{self.scope.target.triple})", tok.start_pos or 0)
        return [Keyword("_BitInt", tok.start_pos or 0), width]

    def typedef_name(self, tok: Token) -> Base:
        t = self.scope.typedefs[str(tok)]
        if t is SKIPPED:
            raise self.scope.error(self.scope.skipped_reason(str(tok)), tok.start_pos or 0)
        return Base(t, tok.start_pos or 0, str(tok))

    def struct_definition(self, kw: Token, *rest: object) -> Base:
        tag = rest[0] if rest and isinstance(rest[0], Token) else None
        base = self._tag(kw, tag, defining=True)
        self._one_member_each(rest)
        define_layout(self.scope, "union" if kw == "union" else "struct",
                      None if tag is None else str(tag), self.scope.base + (kw.start_pos or 0),
                      [declared.members for declared in rest if isinstance(declared, Fields)])
        if tag is not None:  # (what __typeof__(p->member) reads)
            self.scope.members.update((f"{tag!s}.{name}", t) for declared in rest
                                      if isinstance(declared, Fields)
                                      for name, t, _ in declared.fields)
        if self.scope.records is None:
            return base
        members: list[Record] = []
        for declared in rest:
            if isinstance(declared, Fields):
                members.extend(Record("member", name, t, self.scope.base + pos)
                               for name, t, pos in declared.fields if is_function_pointer(t))
                members.extend(declared.nested)
        if tag is None:
            return base._replace(members=tuple(members))
        self.scope.records.extend(m._replace(name=f"{tag!s}.{m.name}") for m in members)
        return base

    def _one_member_each(self, declared: Sequence[object]) -> None:
        """Refuse a member name declared twice in one struct or union, as clang does."""
        seen: set[str] = set()
        for fields in declared:
            if isinstance(fields, Fields):
                for name, _, pos in fields.fields:
                    if name in seen:
                        raise self.scope.error(f"duplicate member '{name}'", max(pos, 0))
                    seen.add(name)

    def struct_reference(self, kw: Token, tag: Token) -> Base:
        return self._tag(kw, tag)

    def enum_definition(self, kw: Token, *rest: object) -> Base:
        self.scope.next_enum_value = 0
        tag = rest[0] if rest and isinstance(rest[0], Token) else None
        base = self._tag(kw, tag, defining=True)
        self._retype_enumerators(self.scope.base + (kw.start_pos or 0))
        define_enum_layout(self.scope, None if tag is None else str(tag),
                           self.scope.base + (kw.start_pos or 0))
        return base

    def _retype_enumerators(self, kw: int) -> None:
        """After an enum's closing brace, clang (C, no fixed underlying type) gives each
        enumerator that does not fit ``int`` the enum's type (:func:`enum_type`): within the
        body ``enum { B = 0x100000000 }``'s ``B`` is a ``long``, after it an ``unsigned
        long``."""
        scope = self.scope
        values = [(v, name) for at, v, name in scope.enum_values if at > kw]
        if not all(-(1 << 31) <= v < 1 << 31 for v, _ in values):
            bits, signed, kind = enum_type([v for v, _ in values], scope.target)
            for v, name in values:
                if not -(1 << 31) <= v < 1 << 31:
                    scope.set_constant(name, Typed(v, bits, signed, kind))

    def enum_reference(self, kw: Token, tag: Token) -> Base:
        # (a method of its own, not an alias: mypyc makes a class attribute an instance
        # attribute of a compiled class, never set)
        return self._tag(kw, tag)

    def _tag(self, kw: Token, tag: Token | None, defining: bool = False) -> Base:
        kind: TagKind = "union" if kw == "union" else "enum" if kw == "enum" else "struct"
        if tag is not None:
            self.check_tag(str(tag), kind, kw.start_pos or 0, tag.start_pos or 0, defining)
        return Base(Named(str(tag) if tag else "", kind), kw.start_pos or 0)

    def identifier_list(self, *names: Token) -> list[Token]:
        return list(names)

    def enumerator(self, name: Token, value: object = None) -> None:
        scope = self.scope
        if value is not None and not isinstance(value, Typed):
            raise scope.error(f"{name!s}'s value is not a constant", name.start_pos or 0)
        if str(name) in scope.constants:  # (clang: one translation unit, one enumerator)
            raise scope.error(f"redefinition of enumerator '{name!s}'", name.start_pos or 0)
        if str(name) in scope.objects:
            raise scope.error(f"redefinition of '{name!s}'", name.start_pos or 0)
        # (a Typed throughout, never passed as an int: see c/typed_int).  C gives an
        # enumerator type int when its value fits (clang: `enum { A = 1u }`'s A is an int, so
        # `-1 < A` is 1); a larger one keeps its initializer's type, clang's extension.
        constant = of_value(scope.next_enum_value) if value is None else \
            of_value(value) if -(1 << 31) <= value < 1 << 31 else value
        scope.set_constant(str(name), constant)
        scope.enum_values.append((scope.base + (name.start_pos or 0), constant, str(name)))
        scope.next_enum_value = constant + 1

    def storage_class(self, tok: Token) -> Keyword:
        return Keyword(str(tok), tok.start_pos or 0)

    def type_qualifier(self, tok: Token) -> Keyword:
        return Keyword(str(tok), tok.start_pos or 0)

    def atomic_type(self, tok: Token, t: Type) -> Base:
        """``_Atomic ( type-name )``"""
        pos = tok.start_pos or 0
        return Base(atomic_of(t, self.scope, pos, specifier=True), pos)

    def function_specifier(self, tok: Token) -> Keyword | None:
        # `inline` and `_Noreturn` are kept (among the storage words): only a function may
        # have them; `__extension__` means nothing to a type
        return None if tok == "__extension__" else Keyword(str(tok), tok.start_pos or 0)

    def declaration_specifiers(self, *specs: object) -> Specifiers:
        return self._specifiers(specs, allow_storage=True)

    def specifier_qualifier_list(self, *specs: object) -> Specifiers:
        return self._specifiers(specs, allow_storage=False)

    def _specifiers(self, specs: Sequence[object], allow_storage: bool) -> Specifiers:
        words: list[str] = []
        bases: list[Base] = []
        quals: set[str] = set()
        is_typedef = False
        bits: int | None = None
        pos = -1
        storage: list[str] = []
        modes: list[Mode] = []
        convention = ""
        atomic = -1
        vectors: list[VectorAttribute] = []
        for spec in flatten(specs):
            if isinstance(spec, Base):
                bases.append(spec)
                pos = spec.pos if pos < 0 else pos
            elif isinstance(spec, Keyword):
                pos = spec.pos if pos < 0 else pos
                w = spec.word
                if w in ("const", "__const", "__const__"):
                    quals.add("const")
                elif w in ("volatile", "__volatile", "__volatile__"):
                    quals.add("volatile")
                elif w in ("restrict", "__restrict", "__restrict__"):
                    quals.add("restrict")
                elif w == "_Atomic":
                    atomic = spec.pos
                elif w == "typedef":
                    is_typedef = True
                elif w.startswith(CC_PREFIX):
                    convention = w[len(CC_PREFIX):]
                elif w in ("extern", "static", "auto", "register", "_Thread_local",
                           "__thread", "thread_local") or w in FUNCTION_SPECIFIERS:
                    storage.append(w)
                else:
                    words.append(w)
            elif isinstance(spec, Mode):
                modes.append(spec)
            elif isinstance(spec, VectorAttribute):
                vectors.append(spec)
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
        for vector in vectors:  # (of the type before the specifiers' own qualifiers)
            if vector.ext and not is_typedef:
                raise self.scope.error("'ext_vector_type' attribute only applies to typedefs",
                                       vector.pos)
            base = vector_of(base, vector, self.scope)
        if atomic >= 0:
            base = atomic_of(base, self.scope, atomic, specifier=False)
        if "restrict" in quals:
            self._check_restrict(base, max(pos, 0))
        members = bases[0].members if bases else ()
        return Specifiers(c_qualify(base, "const" in quals, "volatile" in quals,
                                     "restrict" in quals), is_typedef, max(pos, 0), redeclared,
                           redeclared_pos, tuple(storage), members, convention)

    def _base_type(self, words: list[str], bases: list[Base], bits: int | None,
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
    def name(self, tok: Token) -> Declarator:
        return Declarator(str(tok), tok.start_pos or 0)

    def pointer_level(self, *quals: Keyword) -> Step:
        # `* const`: a pointer, then the qualifiers of that pointer itself
        if not quals:
            return Pointer  # (most stars: nothing to qualify, check or convene)
        step = _pointer_step(frozenset(q.word for q in quals))
        convention = next((q.word[len(CC_PREFIX):] for q in quals
                           if q.word.startswith(CC_PREFIX)), "")
        if convention:
            plain = step

            def step(t: Type) -> Type:
                return plain(self.with_convention(t, convention))
        restrict = next((q.pos for q in quals if q.word in _RESTRICT), None)
        if restrict is None:
            return step
        if any(q.word == "_Atomic" for q in quals):  # (clang: '_Atomic(int *)' is invalid)
            raise self.scope.error("restrict needs a pointer to an object type", restrict)

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

    def declarator(self, *parts: object) -> Declarator:
        if len(parts) == 1:
            assert isinstance(parts[0], Declarator)
            return parts[0]
        pointers, direct = parts
        assert isinstance(direct, Declarator) and isinstance(pointers, list)
        return Declarator(direct.name, direct.pos, tuple(pointers) + direct.steps)

    def abstract_declarator(self, *parts: object) -> Declarator:
        if len(parts) == 1 and isinstance(parts[0], list):
            return Declarator(None, -1, tuple(parts[0]))
        return self.declarator(*parts)

    def array_of(self, inner: Declarator, size: int | Variable | None) -> Declarator:
        return Declarator(inner.name, inner.pos,
                           (lambda t: self._array(t, size, inner.pos),) + inner.steps)

    def _array(self, element: Type, size: int | Variable | None, pos: int) -> Array:
        """An array type, refused where clang-19 refuses it: of functions, of ``void``, of
        arrays of unknown length, or larger than the target's ``size_t`` allows."""
        inner = unqualified(element)
        if isinstance(inner, FunctionType):
            raise self.scope.error("an array of functions is not a type (use an array of "
                                   "function pointers)", max(pos, 0))
        if inner == VOID or isinstance(inner, Array) and inner.length is None \
                and not inner.variable:
            raise self.scope.error("array has incomplete element type", max(pos, 0))
        if isinstance(size, Variable):  # of variable length: complete, written `A_`
            self.scope.variable_arrays += 1
            return Array(element, None, self.scope.variable_arrays)
        if size is not None:
            unit = self._sizeof(element) or 1
            limit = min(self.scope.target.pointer_bits, 61)  # ConstantArrayType::getMaxSizeBits
            if (size * unit).bit_length() > limit:
                raise self.scope.error(f"array is too large ({size} elements)", max(pos, 0))
        return Array(element, size)

    def abstract_array_of(self, *parts: object) -> Declarator:
        inner, size = (parts if len(parts) == 2 else (Declarator(None, -1), parts[0]))
        assert isinstance(inner, Declarator)
        return self.array_of(inner, size if isinstance(size, (int, Variable)) else None)

    def array_suffix(self, *parts: object) -> int | Variable | None:
        if any(isinstance(p, Unfolded) for p in parts):
            raise self.scope.error("the array's length calls a function or reads a function, "
                                   "a variable or a pointer: not a constant clang folds (it "
                                   "makes the array variable-length)", 0)
        if any(isinstance(p, Variable) for p in parts):
            return VARIABLE  # a variable length: `A_` (see constants.Variable)
        sizes = [p for p in parts if isinstance(p, int) and not isinstance(p, bool)]
        if sizes and sizes[-1] < 0:
            raise self.scope.error("array size is negative", 0)
        return sizes[-1] if sizes else None

    def vla_star(self, *parts: object) -> int | None:
        return None

    def function_of(self, inner: Declarator, params: Params) -> Declarator:
        return Declarator(inner.name, inner.pos, (
            lambda t: self._function(t, params.params, params.variadic, True, inner.pos),)
            + inner.steps)

    def unprototyped_of(self, inner: Declarator) -> Declarator:
        # (C23: `()` is `(void)`, a prototype)
        prototyped = self.scope.target.c_standard.empty_parentheses_are_void
        return Declarator(inner.name, inner.pos, (
            lambda t: self._function(t, (), False, prototyped, inner.pos),) + inner.steps)

    def knr_of(self, inner: Declarator, names: list[Token]) -> Declarator:
        """A K&R identifier list: unprototyped here; a definition's declaration list gives
        the parameter types (see :func:`cfi_typeid.c.reader`)."""
        if not (self.scope.knr_definition and self.scope.target.c_standard.knr_definitions):
            # (C23 has no K&R definitions: clang-19 reads the names as unknown types)
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
        if not self.scope.target.half_args and _has_half(returns, params):
            raise self.scope.error(f"__fp16 cannot be a parameter or return type on "
                                   f"{self.scope.target.triple} (use __fp16 *)", max(pos, 0))
        return FunctionType(returns, params, variadic, prototyped)

    def abstract_function_of(self, *parts: object) -> Declarator:
        inner, params = parts if len(parts) == 2 else (Declarator(None, -1), parts[0])
        assert isinstance(inner, Declarator) and isinstance(params, Params)
        return self.function_of(inner, params)

    def abstract_unprototyped_of(self, *parts: object) -> Declarator:
        inner = parts[0] if parts else Declarator(None, -1)
        assert isinstance(inner, Declarator)
        return self.unprototyped_of(inner)

    def parameter_declaration(self, specs: Specifiers,
                              decl: Declarator | None = None) -> tuple[Type, bool]:
        self.only_on_functions(specs, None)
        if specs.is_typedef or any(w != "register" for w in specs.storage):
            raise self.scope.error("invalid storage class in a parameter declaration "
                                   "(only 'register' is allowed)", specs.pos)
        if specs.redeclared is not None:
            decl = Declarator(specs.redeclared, specs.redeclared_pos,
                               decl.steps if decl is not None else ())
        t = self.declared(specs, decl)
        named = decl is not None and decl.name is not None
        if unqualified(t) == VOID and (named or t != VOID):
            raise self.scope.error("a parameter may not have type 'void' (only an unnamed, "
                                   "unqualified 'void' alone means no parameters)",
                                   decl.pos if decl is not None and decl.pos >= 0 else specs.pos)
        return adjust_parameter(t), t == VOID

    def parameter_type_list(self, *items: object) -> Params:
        variadic = bool(items) and isinstance(items[-1], Token)
        params = [item for item in items if isinstance(item, tuple)]
        if variadic and not params and self.scope.target.c_standard.bare_ellipsis:
            return Params((), variadic)
        if variadic and not params:
            # (C23 allows it; clang-19's default, gnu17, refuses it, and so do we)
            dots = items[-1]
            raise self.scope.error("ISO C requires a named parameter before '...'",
                                   dots.start_pos if isinstance(dots, Token)
                                   and dots.start_pos is not None else 0)
        if len(params) == 1 and params[0][1] and not variadic:
            return Params((), variadic)  # (void)
        if any(map(_SECOND, params)):  # (map and itemgetter: no generator frames)
            raise self.scope.error("'void' must be the only parameter", 0)
        return Params(tuple(map(_FIRST, params)), variadic)

    def type_name(self, specs: Specifiers, decl: Declarator | None = None) -> Type:
        if specs.redeclared is not None:
            raise self.scope.error("two types in one type name", specs.redeclared_pos)
        return self.declared(specs, decl)

    # -- declarations --
_RESTRICT = frozenset({"restrict", "__restrict", "__restrict__"})


def _pointer_step(quals: frozenset[str]) -> Step:
    const = bool(quals & {"const", "__const", "__const__"})
    volatile = bool(quals & {"volatile", "__volatile", "__volatile__"})
    restrict = bool(quals & {"restrict", "__restrict", "__restrict__"})
    if "_Atomic" in quals:  # `* _Atomic const`: the qualifiers outside the atomic pointer
        return lambda t: qualify(Atomic(Pointer(t)), const=const, volatile=volatile,
                                 restrict=restrict)
    return lambda t: qualify(Pointer(t), const=const, volatile=volatile, restrict=restrict)
