"""The C transformer's rules for what declarations declare: typedefs (and their
redefinitions), objects (functions and variables, which ``__typeof__`` reads), struct members,
``mode`` attributes, and, on a whole-file read, the records of every function type a CFI
check is made against (see :class:`cfi_typeid.c.scope.Record`).  A base of
:class:`cfi_typeid.c.semantics.CTransformer`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Container

from .constants import ConstantRules, Object, Value, not_constant
from .typed_int import Typed
from .layout import Member, anonymous_at, name_anonymous_layout, note_typedef
from .modes import ModeError, apply_mode
from .parts import Base, Declarator, Fields, Mode, Specifiers, flatten
from .scope import SKIPPED, Record, c_qualify, has_anonymous, name_anonymous
from .vectors import VectorAttribute, check_ext_vector, vector_attribute, vector_step
from ..parsing.lalr import Token
from ..model import (
    VOID, Array, CInteger, FunctionType, Named, Pointer, Primitive, Qualified, Type,
    nesting, qualify, unqualified,
)
from ..targets import Target
from ..regex_code import cached_regex

#: The keyword prefix blank_noise writes for a calling-convention attribute
#: (``__attribute__((ms_abi))`` → ``__cfi_cc_ms_abi``).
CC_PREFIX = "__cfi_cc_"
#: Function specifiers, which only a function's declaration may have (kept among a
#: declaration's storage words).
FUNCTION_SPECIFIERS = frozenset({"inline", "__inline", "__inline__", "_Noreturn", "noreturn"})


class DeclarationRules(ConstantRules):
    """Rule methods for declarations, members, ``__typeof__`` and modes."""

    def with_convention(self, t: Type, convention: str) -> Type:
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
                return Pointer(self.with_convention(pointee, convention))
            case Qualified():
                return qualify(self.with_convention(t.base, convention), const=t.const,
                               volatile=t.volatile, restrict=t.restrict)
            case _:
                return t

    def declared(self, specs: Specifiers, decl: Declarator | None, base: Type | None = None
                 ) -> Type:
        """The type ``decl`` declares with ``specs`` (on ``base``, the specifiers' type by
        default), the specifiers' calling convention put on its function type."""
        t = specs.type if base is None else base
        if decl is not None:
            if decl.steps and not specs.is_typedef:
                check_ext_vector(decl.steps, specs.is_typedef)
            t = decl.apply(t)
        return self.with_convention(t, specs.convention)

    def typeof_type(self, kw: Token, t: Type) -> Base:
        return Base(_typeof(kw, t), kw.start_pos or 0)

    def typeof_object(self, kw: Token, value: object) -> Base:
        """``__typeof__(expression)``: the type the expression's value carries (an
        integer constant's kind, an object's type: see :class:`cfi_typeid.c.constants.
        Object`)."""
        pos = kw.start_pos or 0
        if isinstance(value, Object):
            return Base(_typeof(kw, value.type), pos)
        if isinstance(value, Typed) and value.kind is not None:
            return Base(_typeof(kw, CInteger(value.kind)), pos)
        raise self.scope.error(f"{kw!s} of this expression is not supported (its type is not "
                               "known here)", pos)

    def deref(self, a: Value) -> Value:
        """``*x``: what ``x`` points to (an array's element; a function stays one)."""
        t = unqualified(a.type) if isinstance(a, Object) else None
        if isinstance(t, Pointer):
            return Object(t.pointee)
        if isinstance(t, Array):
            return Object(t.element)
        if isinstance(t, FunctionType):
            return Object(t)
        if isinstance(a, Object):
            raise self.scope.error("*x: x is not a pointer", 0)
        return not_constant(a, a)

    def element(self, a: Value, index: object) -> Value:
        """``x[i]``: what ``*x`` is."""
        return self.deref(a)

    def address(self, op: Token, a: Value) -> Value:
        """``&x``: a pointer to ``x``'s type."""
        if isinstance(a, Object):
            return Object(Pointer(a.type))
        raise self.scope.error("&x: x is not a function or variable", op.start_pos or 0)

    def member(self, a: Value, op: Token, name: Token) -> Value:
        """``x->m`` (``x`` a pointer) or ``x.m``: the member's type, qualified as the struct
        or union is, when it has a tag and was defined before."""
        if not isinstance(a, Object):
            raise self.scope.error(f"x{op!s}{name!s}: x is not a struct or union",
                                   op.start_pos or 0)
        t = a.type
        whole = unqualified(t)
        if str(op) == "->":
            if not isinstance(whole, (Pointer, Array)):
                raise self.scope.error(f"x->{name!s}: x is not a pointer", op.start_pos or 0)
            t = whole.pointee if isinstance(whole, Pointer) else whole.element
            whole = unqualified(t)
        member = self.scope.members.get(f"{whole.name}.{name!s}") \
            if isinstance(whole, Named) and whole.kind != "enum" else None
        if member is None:
            raise self.scope.error(f"x{op!s}{name!s}: x is not a struct or union with a tag, "
                                   f"defined before, that has a member '{name!s}'",
                                   name.start_pos or 0)
        if isinstance(t, Qualified):
            return Object(c_qualify(member, t.const, t.volatile))
        return Object(member)

    def mode_attribute(self, tok: Token) -> Mode:
        return Mode(str(tok)[len("__cfi_mode_"):], tok.start_pos or 0)

    def moded_declarator(self, decl: Declarator, *modes: Token) -> Declarator:
        words = [self.mode_attribute(m) for m in modes]

        def moded(t: Type) -> Type:
            for mode in words:
                t = self._mode(t, mode)
            return t
        return Declarator(decl.name, decl.pos, (moded,) + decl.steps)

    def vector_attribute(self, tok: Token, size: object) -> VectorAttribute:
        """``__attribute__((vector_size(N)))`` / ``((ext_vector_type(N)))``, rewritten."""
        return vector_attribute(tok, size)  # type: ignore[arg-type]

    def vector_declarator(self, decl: Declarator, *attributes: VectorAttribute) -> Declarator:
        """A declarator and the vector attributes after it: vectors of the declared type."""
        steps = tuple(vector_step(a, self.scope) for a in attributes)
        return Declarator(decl.name, decl.pos, decl.steps + steps)

    def _mode(self, t: Type, mode: Mode) -> Type:
        quals = t if isinstance(t, Qualified) else None
        try:
            moded = apply_mode(unqualified(t), mode.word, self.scope.target)
        except ModeError as e:
            raise self.scope.error(f"__attribute__((mode({mode.word}))): {e}", mode.pos) from None
        if quals is not None:
            return qualify(moded, const=quals.const, volatile=quals.volatile,
                           restrict=quals.restrict)
        return moded

    def struct_declaration(self, specs: Specifiers,
                           declarators: list[Declarator] | None = None) -> Fields:
        """The members a struct declaration declares.  An unnamed struct or union's members
        are reached through this member's name (or directly, for an unnamed member)."""
        declarators = self._declarators(specs, declarators)
        for d in declarators:  # a function pointer's parameters, each named once
            if d.name is not None and d.pos >= 0 and d.steps:
                self._check_parameter_names(d.pos)
        nested = list(specs.members)
        named = [d.name for d in declarators if d.name]
        if nested and len(named) == 1:
            nested = [m._replace(name=f"{named[0]}.{m.name}") for m in nested]
        elif nested and named:
            nested = []  # several members of one unnamed type: a name each, not modelled
        types = [self.declared(specs, d) for d in declarators]
        return Fields([(d.name, t, d.pos) for d, t in zip(declarators, types) if d.name],
                      nested, self._layout_members(specs, declarators, types))

    def _layout_members(self, specs: Specifiers, declarators: list[Declarator],
                        types: list[Type]) -> tuple[Member, ...]:
        """What the struct's layout needs of this declaration (see :mod:`.layout`): each
        member's type, the unnamed struct or union it is of, if it is, its bit-field width
        and where its name is."""
        anonymous = anonymous_at(self.scope, specs.pos) if has_anonymous(specs.type) else None
        if not types:  # an unnamed struct or union member, else no member at all
            bare = unqualified(specs.type)
            return (Member(specs.type, anonymous),) if isinstance(bare, Named) \
                and not bare.name and bare.kind != "enum" else ()
        base = self.scope.base
        if len(types) == 1:  # (the most common)
            d = declarators[0]
            return (Member(types[0], anonymous, d.bits, True, base + d.pos) if d.name
                    else Member(types[0], anonymous, d.bits, False),)
        return tuple(Member(t, anonymous, d.bits, True, base + d.pos) if d.name
                     else Member(t, anonymous, d.bits, False)
                     for d, t in zip(declarators, types))

    def empty_declaration(self) -> Fields:
        return Fields([], [])

    def struct_declarator_list(self, *items: Declarator) -> list[Declarator]:
        return list(items)

    def struct_declarator(self, decl: Declarator, *modes: Token) -> Declarator:
        return self.moded_declarator(decl, *modes) if modes else decl

    def bit_field(self, *parts: object) -> Declarator:
        decl = parts[0] if isinstance(parts[0], Declarator) else Declarator(None, -1)
        width = parts[-1]
        return decl._replace(bits=width if isinstance(width, int) and width >= 0 else -1)

    def init_declarator_list(self, *items: object) -> list[Declarator]:
        if len(items) == 1 and type(items[0]) is Declarator:
            return [items[0]]  # (one declarator, the most common)
        return [d for d in flatten(items) if isinstance(d, Declarator)]

    def _declarators(self, specs: Specifiers, declarators: list[Declarator] | None
                     ) -> list[Declarator]:
        declarators = list(declarators or [])
        if specs.redeclared is not None:
            if declarators:
                raise self.scope.error(f"{specs.redeclared!r} names a type here; a "
                                       "declarator cannot follow it", specs.redeclared_pos)
            declarators = [Declarator(specs.redeclared, specs.redeclared_pos)]
        return declarators

    def declaration(self, specs: Specifiers, declarators: list[Declarator] | None = None
                    ) -> None:
        """Enter what a declaration declares: typedefs (and tags) into the scope, functions
        and variables as objects (``__typeof__`` reads them), and, when the scope keeps
        records (a whole file read), every function type a CFI check is made against."""
        declarators = self._declarators(specs, declarators)
        scope = self.scope
        self._check_parameter_names()
        base = specs.type
        tagged = unqualified(base)
        if isinstance(tagged, Named) and tagged.name and tagged.name not in scope.tags \
                and tagged.name not in scope.typedefs:  # (a typedef's may be unnamed's)
            scope.set_tag(tagged.name, tagged.kind, False)  # declared at file scope
        if specs.is_typedef and has_anonymous(base):
            first = next((d for d in declarators if not d.steps and d.name), None)
            if first is not None and first.name is not None:
                base = name_anonymous(base, first.name)
                name_anonymous_layout(scope, specs.pos, base)
                if scope.records is not None:
                    scope.records.extend(m._replace(name=f"{first.name}.{m.name}")
                                         for m in specs.members)
        if specs.is_typedef:
            note_typedef(scope, specs.pos, [d.name for d in declarators if d.name])
        for d in declarators:
            if d.name is None:
                continue
            t = self.declared(specs, d, base)
            self.only_on_functions(specs, t)
            self._one_kind_of_symbol(d.name, t, specs.is_typedef, d.pos)
            if specs.is_typedef:
                self._define_typedef(d.name, t, d.pos)
                kind = "typedef"
            else:
                if "extern" not in specs.storage and unqualified(t) == VOID:
                    raise scope.error("variable has incomplete type 'void'", max(d.pos, 0))
                scope.objects[d.name] = t
                kind = "function" if isinstance(t, FunctionType) else "variable"
            if scope.records is not None and (kind == "function" or is_function(t)):
                scope.records.append(Record(kind, d.name, t, scope.base + max(d.pos, 0)))

    def check_tag(self, name: str, kind: str, kw_pos: int, pos: int, defining: bool) -> None:
        """Refuse a tag used with another kind than it was declared with (``union S`` after
        ``struct S``), or defined twice, as clang does; enter a definition."""
        scope = self.scope
        before = scope.tags.get(name)
        if before is not None and before[0] != kind:
            raise scope.error(f"use of '{name}' with tag type that does not match previous "
                              f"declaration ({before[0]} {name})", kw_pos)
        if defining:
            if before is not None and before[1]:
                raise scope.error(f"redefinition of '{name}' ({kind} {name} is defined "
                                  "before)", pos)
            scope.set_tag(name, kind, True)

    def _one_kind_of_symbol(self, name: str, t: Type, is_typedef: bool, pos: int) -> None:
        """Refuse a name declared as two kinds of ordinary identifier (an enumerator, a
        typedef this text defined, a variable, a function), as clang does."""
        scope = self.scope
        before = scope.objects.get(name)
        if name in scope.constants or (is_typedef and before is not None) or (
                not is_typedef and name in scope.defined) or (
                before is not None and isinstance(before, FunctionType)
                != isinstance(t, FunctionType)):
            raise scope.error(f"redefinition of '{name}' as different kind of symbol",
                              max(pos, 0))
        if isinstance(before, FunctionType) and isinstance(t, FunctionType) \
                and before.prototyped and t.prototyped and not scope.overloading \
                and ((len(before.params), before.variadic) != (len(t.params), t.variadic)
                     or any(map(_incompatible, (before.returns, *before.params),
                                (t.returns, *t.params)))
                     or isinstance(unqualified(t.returns), (CInteger, Primitive))
                     and not isinstance(unqualified(before.returns), Named)  # (an enum's int)
                     and before.returns != t.returns):  # (a return type's qualifiers count)
            raise scope.error(f"conflicting types for '{name}'", max(pos, 0))

    def only_on_functions(self, specs: Specifiers, t: Type | None) -> None:
        """Refuse ``inline`` or ``_Noreturn`` on what is not a function's declaration
        (``t``; None: a parameter), as clang does."""
        if not FUNCTION_SPECIFIERS.intersection(specs.storage):
            return
        if t is None or specs.is_typedef or not isinstance(t, FunctionType):
            scope = self.scope
            word = next(w for w in specs.storage if w in FUNCTION_SPECIFIERS)
            at = scope.text.find(word, scope.base + specs.pos)  # (its own position is not kept)
            raise scope.error(f"'{word}' can only appear on functions",
                              at - scope.base if at >= 0 else specs.pos)

    def _check_parameter_names(self, at: int = 0) -> None:
        """Refuse a parameter list that names a parameter twice, as clang does (in the
        declaration, or from ``at`` in it to the end of its member there)."""
        scope = self.scope
        text, start = scope.text, scope.base + at
        end = text.find(";", start)
        end = len(text) if end < 0 else end
        if text.find(",", start, end) < 0 and text.find("{", start, end) < 0:
            return  # (one parameter a list, or none: nothing can repeat)
        found = repeated_parameter(text, start, scope.typedefs)
        if found is not None:
            raise scope.error(f"redefinition of parameter '{found[0]}'", found[1] - scope.base)

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

    def target(self, specs: Specifiers, decl: Declarator | list[Declarator] | None = None
               ) -> tuple[Type, int]:
        """The type of the declaration or type name whose id is asked for, and its offset:
        with several declarators (``int a(int), b(long);``), the last one's."""
        declarators = self._declarators(specs, decl if isinstance(decl, list) else None)
        self._check_parameter_names()
        last = declarators[-1] if declarators else decl if isinstance(decl, Declarator) \
            else None
        t = self.declared(specs, last)
        if last is not None:
            self.only_on_functions(specs, t)
            if last.name is not None:
                self._one_kind_of_symbol(last.name, t, specs.is_typedef, last.pos)
        if specs.is_typedef:
            for d in declarators:
                if d.name is not None:  # (nothing follows: the names need no recording)
                    self._define_typedef(d.name, self.declared(specs, d), d.pos, last=True)
        elif last is not None and last.name is not None:
            # C's composite type, as the whole-file reader has it: a prototype declared
            # before stays when this declaration has none (`int f(int); int f();`)
            before = self.scope.objects.get(last.name)
            if isinstance(before, FunctionType) and isinstance(t, FunctionType) \
                    and before.prototyped and not t.prototyped:
                t = before
        return t, (last.pos if last is not None and last.pos >= 0 else specs.pos)



def _incompatible(a: Type, b: Type) -> bool:
    """Whether two types are plainly not compatible (C17 6.2.7), as clang judges them:
    arithmetic types of other kinds, a pointer and an arithmetic type, two different tags (a
    typedef-named tagless type and the tag of its name are two), pointers to such (qualifiers
    included), arrays of such or of two lengths, prototypes of other arities or of such
    parameters.  An enum and an integer type are compatible, but not once qualified (clang's
    ``mergeTypes`` refuses ``const enum X *`` against ``const unsigned *``).  Anything else (a
    tag and an arithmetic type, a prototype and none) is not judged here."""
    plain = (CInteger, Primitive)
    if isinstance(a, Qualified) and isinstance(b, Qualified) \
            and (a.const or a.volatile) and (b.const or b.volatile):
        ua, ub = a.base, b.base
        if isinstance(ua, Named) and ua.kind == "enum" and isinstance(ub, CInteger) \
                or isinstance(ub, Named) and ub.kind == "enum" and isinstance(ua, CInteger):
            return True
    a, b = unqualified(a), unqualified(b)
    if isinstance(a, plain) and isinstance(b, plain) or isinstance(a, Named) \
            and isinstance(b, Named):
        return a != b
    if isinstance(a, Pointer) and isinstance(b, Pointer):
        pa, pb = a.pointee, b.pointee
        qa, qb = _qualifiers(pa), _qualifiers(pb)
        return (qa != qb and isinstance(unqualified(pa), plain + (Pointer, Named))
                and isinstance(unqualified(pb), plain + (Pointer, Named))) \
            or _incompatible(pa, pb)
    if isinstance(a, Array) and isinstance(b, Array):
        return (a.length is not None and b.length is not None and a.length != b.length
                and not (a.variable or b.variable)) \
            or _qualifiers(a.element) != _qualifiers(b.element) \
            or _incompatible(a.element, b.element)
    if isinstance(a, FunctionType) and isinstance(b, FunctionType):
        return a.prototyped and b.prototyped and (
            (len(a.params), a.variadic) != (len(b.params), b.variadic)
            or any(map(_incompatible, (a.returns, *a.params), (b.returns, *b.params))))
    return isinstance(a, Pointer) and isinstance(b, plain) or isinstance(b, Pointer) \
        and isinstance(a, plain)


def _qualifiers(t: Type) -> tuple[bool, bool, bool]:
    """The qualifiers of ``t``, which compatible types have alike."""
    return (t.const, t.volatile, t.restrict) if isinstance(t, Qualified) else (False,) * 3


def mangles_convention(convention: str, target: Target) -> bool:
    """Whether clang-19 mangles calling convention ``convention`` into the type on ``target``
    (``U6ms_abi``): only where it is not the default; on 32-bit x86, Arm and RISC-V it is
    ignored (checked per target in tests/test_c_calling_conventions.py)."""
    windows = target.os == "windows"
    if convention == "ms_abi":
        return target.arch in ("x86_64", "aarch64") and not windows
    return convention == "sysv_abi" and target.arch == "x86_64" and windows


def _typeof(kw: Token, t: Type) -> Type:
    return unqualified(t) if "unqual" in kw else t


def is_function(t: Type) -> bool:
    """Whether ``t`` is a function or a pointer to one (what a typedef, a member or a
    variable must be to be checked at an indirect call)."""
    t = unqualified(t)
    return isinstance(t, FunctionType) or is_function_pointer(t)


def is_function_pointer(t: Type) -> bool:
    t = unqualified(t)
    return isinstance(t, Pointer) and isinstance(unqualified(t.pointee), FunctionType)


# ---- parameter names: each once per list (clang: "redefinition of parameter") ------------
#
# The parser reuses a parameter declaration's value for the same text with another name
# (``size_t len`` and ``size_t n``), so the rule methods never see every name: the names are
# read from the declaration's text instead, which blank_noise has cleared of comments,
# attributes and strings.

_PARAMETER_TOKENS = cached_regex(r"([A-Za-z_$][\w$]*)|([(),;{}*])|\[[^\[\]{};]*\]")
#: Words that are never a parameter's name: type keywords, qualifiers, storage classes.
_NOT_NAMES = frozenset(
    "void char short int long signed unsigned float double _Bool _Complex __complex__ "
    "__int128 __int128_t __uint128_t _Float16 __fp16 __bf16 __float128 __signed __signed__ "
    "__builtin_va_list _BitInt struct union enum const __const __const__ volatile __volatile "
    "__volatile__ restrict __restrict __restrict__ register static extern auto typedef inline "
    "__inline __inline__ _Noreturn noreturn __extension__ _Thread_local __thread sizeof "
    "__typeof__ __typeof typeof typeof_unqual __typeof_unqual__ _Alignof __alignof__ "
    "_Alignas _Atomic".split())
_QUALIFIERS = frozenset("const __const __const__ volatile __volatile __volatile__ restrict "
                        "__restrict __restrict__ _Atomic".split())
#: Words whose parentheses hold an expression or a type, never a declarator or parameters.
_OPAQUE = frozenset("sizeof __typeof__ __typeof typeof typeof_unqual __typeof_unqual__ "
                    "_Alignof __alignof__ _Alignas _BitInt _Atomic".split())


class _Group:
    """One pair of parentheses being read: the names of its parameters so far, and the
    parameter being read (its candidate name, and whether it could still be a declarator
    in parentheses, ``(*name)``, whose name belongs to the list around it)."""

    __slots__ = ("names", "last", "inner", "declarator", "commas", "opaque")

    def __init__(self, opaque: bool) -> None:
        self.names: dict[str, int] = {}
        self.last: tuple[str, int] | None = None
        self.inner: tuple[str, int] | None = None
        self.declarator = True
        self.commas = 0
        self.opaque = opaque

    def name(self) -> tuple[str, int] | None:
        return self.inner or self.last


def repeated_parameter(text: str, start: int, typedefs: Container[str]
                       ) -> tuple[str, int] | None:
    """The first parameter name declared twice in one parameter list of the declaration at
    ``text[start:]`` (it ends at a ``;`` outside brackets), and the offset of its second
    declaration; None when every list names each parameter once."""
    if not _may_repeat(text, start, typedefs):
        return None
    groups: list[_Group] = []
    previous = ""
    pos = start
    while True:
        m = _PARAMETER_TOKENS.search(text, pos)
        if m is None:
            return None
        pos = m.end()
        word, mark = m.group(1), m.group(2)
        if word is not None:
            if word.startswith("__cfi_"):
                continue  # a calling convention or mode attribute (see blank_noise)
            if groups:
                group = groups[-1]
                candidate = word not in _NOT_NAMES and word not in typedefs \
                    and previous not in ("struct", "union", "enum")
                group.last = (word, m.start()) if candidate else None
                if not candidate and word not in _QUALIFIERS:
                    group.declarator = False
            previous = word
            continue
        opener, previous = previous, mark or ""
        if mark is None:
            continue  # an array's brackets
        if mark == "(":  # (after `sizeof`, `__typeof__`...: an expression's, or a type's)
            groups.append(_Group(opener in _OPAQUE))
        elif mark in ",)" and groups:
            group = groups[-1]
            found = _add_parameter(group)
            if found is not None:
                return found
            if mark == ",":
                group.commas += 1
                group.last = group.inner = None
                continue
            groups.pop()
            if groups and not group.opaque and group.declarator and not group.commas \
                    and group.names:
                (name, at), = group.names.items()  # `(*name)`: the name is the list's
                groups[-1].inner, groups[-1].last = (name, at), None
        elif mark == "*" and groups:
            groups[-1].last = None
        elif mark == "{":
            pos = _after_braces(text, pos)  # (a body's members are checked on their own)
        elif mark == ";":
            return None


#: A word the parameter list could name twice: a whole word (not after a word character)
#: before a ",", ")" or "(" (after brackets).  Matched in the declaration cut out of the
#: text, so that its first word counts as whole.  (The look-behind, tried at every position,
#: costs less than the matches inside words that a pattern without it tries and fails:
#: ~22% less time on the benchmark's lines; a superset would do as well, as more candidates
#: only send more declarations to the closer look.)
_CANDIDATE = cached_regex(r"(?<![\w$])[A-Za-z_$][\w$]*+(?=\s*[,)(\[])")
_BRACES = cached_regex(r"[{}]")


def _may_repeat(text: str, start: int, typedefs: Container[str]) -> bool:
    """Whether a parameter name could be repeated in the declaration at ``start``: some word
    that could name one occurs twice (most declarations have none, and need no closer look)."""
    end = text.find(";", start)
    end = len(text) if end < 0 else end
    if text.find("{", start, end) >= 0:
        return True
    names = [w for w in _CANDIDATE.findall(text[start:end])
             if w not in _NOT_NAMES and w not in typedefs]
    return len(names) != len(set(names))


def _after_braces(text: str, pos: int) -> int:
    """Where the braces opened just before ``pos`` close (the end of text if they do not)."""
    depth = 1
    for m in _BRACES.finditer(text, pos):
        depth += 1 if m.group() == "{" else -1
        if not depth:
            return m.end()
    return len(text)


def _add_parameter(group: _Group) -> tuple[str, int] | None:
    found = group.name()
    if group.opaque or found is None:
        return None
    name, at = found
    if name in group.names:
        return name, at
    group.names[name] = at
    return None
