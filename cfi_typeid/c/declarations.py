"""The C transformer's rules for what declarations declare: typedefs (and their
redefinitions), objects (functions and variables, which ``__typeof__`` reads), struct members,
``mode`` attributes, and, on a whole-file read, the records of every function type a CFI
check is made against (see :class:`cfi_typeid.c.scope.Record`).  A base of
:class:`cfi_typeid.c.semantics.CTransformer`.
"""

from __future__ import annotations

from dataclasses import replace

from .constants import ConstantRules
from .modes import ModeError, apply_mode
from .parts import Base, Declarator, Fields, Mode, Specifiers, flatten
from .scope import SKIPPED, Record, has_anonymous, name_anonymous
from ..parsing.lalr import Token
from ..model import (
    VOID, Array, CInt, CInteger, FunctionType, Pointer, Qualified, Type, nesting, qualify,
    unqualified,
)
from ..targets import Target

#: The keyword prefix blank_noise writes for a calling-convention attribute
#: (``__attribute__((ms_abi))`` → ``__cfi_cc_ms_abi``).
CC_PREFIX = "__cfi_cc_"


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
            t = decl.apply(t)
        return self.with_convention(t, specs.convention)

    def typeof_type(self, kw: Token, t: Type) -> Base:
        return Base(_typeof(kw, t), kw.start_pos or 0)

    def typeof_object(self, kw: Token, t: Type) -> Base:
        return Base(_typeof(kw, t), kw.start_pos or 0)

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

    def mode_attribute(self, tok: Token) -> Mode:
        return Mode(str(tok)[len("__cfi_mode_"):], tok.start_pos or 0)

    def moded_declarator(self, decl: Declarator, *modes: Token) -> Declarator:
        words = [self.mode_attribute(m) for m in modes]

        def moded(t: Type) -> Type:
            for mode in words:
                t = self._mode(t, mode)
            return t
        return Declarator(decl.name, decl.pos, (moded,) + decl.steps)

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
        nested = list(specs.members)
        named = [d.name for d in declarators if d.name]
        if nested and len(named) == 1:
            nested = [m._replace(name=f"{named[0]}.{m.name}") for m in nested]
        elif nested and named:
            nested = []  # several members of one unnamed type: a name each, not modelled
        return Fields([(d.name, self.declared(specs, d), d.pos) for d in declarators if d.name],
                       nested)

    def empty_declaration(self) -> Fields:
        return Fields([], [])

    def struct_declarator_list(self, *items: Declarator) -> list[Declarator]:
        return list(items)

    def struct_declarator(self, decl: Declarator, *modes: Token) -> Declarator:
        return self.moded_declarator(decl, *modes) if modes else decl

    def bit_field(self, *parts: object) -> Declarator:
        decl = parts[0] if isinstance(parts[0], Declarator) else Declarator(None, -1)
        return decl

    def init_declarator_list(self, *items: object) -> list[Declarator]:
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
            t = self.declared(specs, d, base)
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
        last = declarators[-1] if declarators else decl if isinstance(decl, Declarator) \
            else None
        t = self.declared(specs, last)
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
