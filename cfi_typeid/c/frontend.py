"""The C front end: text in, :class:`FunctionType` out.

``parse_c_function(decl, prelude, target)`` reads the prelude's declarations, then the
declaration (or bare type name) whose type id is wanted.  The scope a prelude leaves is cached
per (prelude, target), so a batch whose lines share one prelude parses it once; each
declaration then works in a copy of that scope (a dict copy: lookups, which the lexer makes for
every identifier, stay in C), so nothing leaks back.
"""

from __future__ import annotations

from collections import ChainMap
from functools import lru_cache
from typing import Any, Iterable, Mapping

from .constants import Typed
from .scope import CURRENT_SCOPE, Scope, has_anonymous
from .semantics import CTransformer
from .syntax import (
    FileSpan, blank_noise, check_c_syntax, parse_c, parse_c_fast, parses_c, split_declarations,
    split_file,
)
from ..errors import ParseError, PositionedError
from ..parsing.lalr import walk_lark_tree
from ..model import FunctionType, Pointer, Primitive, Qualified, Scalar, Type, nesting
from ..targets import Target
from ..regex_code import cached_regex

#: Typedefs every target has besides its table of integer typedefs.
_BUILTIN_TYPEDEFS = {"va_list": "__builtin_va_list", "__gnuc_va_list": "__builtin_va_list"}

#: GCC's _FloatN types, which ``gcc -E`` output of glibc's headers uses as keywords: as glibc
#: defines them for clang (bits/floatn.h, floatn-common.h), which has no such keywords.
_FLOATN_TYPEDEFS = {
    "x86_64": {"_Float128": "__float128"}, "i686": {"_Float128": "__float128"},
    "aarch64": {"_Float128": "long double"}, "riscv64": {"_Float128": "long double"},
}
_FLOATN_COMMON = {"_Float32": "float", "_Float64": "double", "_Float32x": "double",
                  "_Float64x": "long double"}


#: Deepest type we accept (clang's default -fbracket-depth is 256): deeper input is refused
#: with a ParseError rather than overflowing Python's stack in the recursive passes.
MAX_NESTING = 256


def _transform(tree: Any, scope: Scope) -> object:
    """Run the rule methods over a Lark tree (the slow path)."""
    try:
        return walk_lark_tree(tree, _TRANSFORMER)
    except RecursionError:
        raise _too_deep(scope) from None


def _too_deep(scope: Scope) -> ParseError:
    return scope.error(f"declaration nested too deeply (more than {MAX_NESTING} levels)", 0)


#: Stateless: it reads its scope from CURRENT_SCOPE.
_TRANSFORMER = CTransformer()


#: Brackets, whose nesting is what can run deep in a declaration (lists are flat: a 10,000
#: item enum or parameter list is no deeper than one item).
_BRACKETS = cached_regex(r"[()\[\]{}]")
_SHALLOW = 100
#: Longer than this, a declaration whose rule methods refused it is not parsed again into a
#: tree when it has no syntax error (see _parse).
_LONG = 4096
#: Whether the fast way is tried first (tests turn it off to hold it to the tree way).
FAST_PATH = True


def fold_attribute_argument(scope: Scope, argument: str) -> int | None:
    """An attribute's argument (``aligned((1 << (6)))``'s ``(1 << (6))``), which blank_noise
    blanked from the declaration, folded by the grammar's constant folder as an array length
    is, in ``scope``; None when it is no integer constant (or no valid expression).  Called
    while a declaration is parsed (by :mod:`cfi_typeid.c.layout`): the scope's text and
    offset are the argument's meanwhile, and what it defined is undone if it fails."""
    saved = scope.text, scope.base, scope.next_enum_value
    mark = len(scope.undo)
    context = CURRENT_SCOPE.set(scope)
    scope.text, scope.base = argument, 0
    try:
        value = parse_c_fast(argument, 0, len(argument), "attribute_argument",
                             scope.typedefs.keys(), _TRANSFORMER)
    except Exception:  # noqa: BLE001 - a syntax or meaning error: not a constant here
        scope.rollback(mark)
        value = None
    finally:
        scope.text, scope.base, scope.next_enum_value = saved
        CURRENT_SCOPE.reset(context)
    return value if isinstance(value, Typed) else None


def _bracket_depth(text: str, start: int, end: int) -> int:
    depth = deepest = 0
    for m in _BRACKETS.finditer(text, start, end):
        if m.group() in "([{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _parse(scope: Scope, text: str, start: int, end: int, rule: str,
           parameters: dict[tuple[int, str], Any] | None = None) -> object:
    """Parse and transform one declaration in ``scope``.

    The fast way (:mod:`cfi_typeid.parsing.lalr`) transforms during the parse.  If it fails for any
    reason, the text is parsed again the slow way, with Lark (a tree, then the rule methods):
    that way reports a syntax error anywhere in the declaration before any meaning error, with
    Lark's expected-token sets, so errors stay exactly those of a tree parse.  Brackets nested
    deeper than clang's limit are refused before either.
    """
    scope.base = start
    if end - start > _SHALLOW and _bracket_depth(text, start, end) > MAX_NESTING:
        raise _too_deep(scope)
    context = CURRENT_SCOPE.set(scope)
    try:
        mark = len(scope.undo)
        records = len(scope.records) if scope.records is not None else 0
        try:
            if FAST_PATH:
                return parse_c_fast(text, start, end, rule, scope.typedefs.keys(),
                                    _TRANSFORMER, parameters)
        except ParseError:
            # a meaning error (the rule methods'): the tree parse would find the same one,
            # unless a syntax error follows it; a long text is checked for one without a tree
            if end - start > _LONG and parses_c(text, start, end, rule, scope.typedefs.keys()):
                raise
            scope.rollback(mark)
            if scope.records is not None:
                del scope.records[records:]
        except Exception:  # noqa: BLE001 - the slow path below says what is wrong
            scope.rollback(mark)
            if scope.records is not None:
                del scope.records[records:]
        if end - start > _LONG:  # a syntax error is found without a tree
            check_c_syntax(text, start, end, rule, scope.typedefs.keys(), scope.what)
        tree = parse_c(text, start, end, rule, scope.typedefs.keys(), scope.what)
        return _transform(tree, scope)
    finally:
        CURRENT_SCOPE.reset(context)


def _run_declarations(scope: Scope, text: str, spans: list[tuple[int, int]]) -> None:
    scope.text = text
    for start, end in spans:
        _parse(scope, text, start, end, "declaration")


def _nonblank_spans(text: str) -> list[tuple[int, int]]:
    """The declarations, leaving out empty ones (``;``, or what ``_Static_assert(...);`` and
    a top-level ``__asm__(...);`` leave when blanked)."""
    if "'" in text or "{" in text:
        spans: Iterable[tuple[int, int]] = split_declarations(text)
    else:  # (no character constant or braces: every ";" ends one, found without a regex)
        spans = []
        start = 0
        end = text.find(";") + 1
        while end:
            spans.append((start, end))
            start, end = end, text.find(";", end) + 1
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip(" \t\n\r\f\v;")]


def predefined_typedefs(target: Target) -> dict[str, str]:
    """Every typedef ``target`` predefines: name -> its type keywords."""
    floatn = _FLOATN_TYPEDEFS.get(target.c_arch, {})
    if not target.has_float128:  # (glibc's headers give no _Float128 where there is none)
        floatn = {k: v for k, v in floatn.items() if v != "__float128"}
    return {**target.typedefs, **_BUILTIN_TYPEDEFS, **_FLOATN_COMMON, **floatn}


@lru_cache(maxsize=64)
def _target_scope(target: Target) -> Scope:
    """The target's predefined typedefs.  Each names a list of type keywords, so the specifier
    rules give its type directly, without a parse per typedef (a one-off run's first
    milliseconds; ``tests/test_targets.py`` checks that a parse gives the same)."""
    scope = Scope(target, what="target typedefs")
    context = CURRENT_SCOPE.set(scope)
    try:
        for name, spelling in predefined_typedefs(target).items():
            scope.typedefs[name] = _TRANSFORMER.keyword_type(spelling)
    finally:
        CURRENT_SCOPE.reset(context)
    if target.c_standard.bool_and_nullptr_keywords:
        _c23_keywords(scope)
    return scope


def _c23_keywords(scope: Scope) -> None:
    """C23's ``true`` and ``false`` (constants 1 and 0 of type ``bool``: ``sizeof(true)`` is 1,
    ``true + true`` an int 2, as clang-19 folds them), ``nullptr`` (an object of type ``nullptr_t``, which is all that
    ``typeof(nullptr)`` asks), and ``<stddef.h>``'s ``typedef typeof(nullptr) nullptr_t``,
    predefined as ``size_t`` is."""
    scope.constants.update(true=Typed(1, 8, False), false=Typed(0, 8, False))
    scope.objects = {**scope.objects, "nullptr": Primitive(Scalar.NULLPTR)}
    scope.typedefs["nullptr_t"] = Primitive(Scalar.NULLPTR)


@lru_cache(maxsize=256)
def prelude_scope(prelude: str, target: Target) -> Scope:
    """The scope after reading ``prelude`` on ``target`` (cached: treat it as read-only)."""
    from .reader import read_into  # (the reader builds on this module)
    base = _target_scope(target)
    scope = Scope(target, dict(base.typedefs), dict(base.constants), what="prelude",
                  objects=dict(base.objects))
    # As tolerant as a whole file: a declaration that cannot be read is skipped, and a use
    # of a typedef it declared says why (its reasons stay in scope.skipped)
    scope.prelude_skipped = read_into(scope, prelude, whole=True)
    scope.typedef_depth = max(map(nesting, scope.typedefs.values()), default=0)
    scope.anonymous_typedefs = any(map(has_anonymous, scope.typedefs.values()))
    return scope


def parse_c_type(decl: str, prelude: str, target: Target) -> tuple[Type, int]:
    """The type that ``decl`` declares or names (after any declarations before it)."""
    t, pos, _ = _parse_target(decl, prelude, target)
    return t, pos


def _parse_target(decl: str, prelude: str, target: Target) -> tuple[Type, int, bool]:
    """:func:`parse_c_type`, and whether the type may mention an unnamed tag.

    An error about the declaration shows the line as it was written: what the parser read is
    ``decl`` with its noise blanked and some attributes rewritten in place (``mode(QI)`` as
    ``__cfi_mode_QI``), at the same offsets, which the user never wrote."""
    read: list[str] = []
    try:
        return _parse_blanked(decl, prelude, target, read)
    except PositionedError as e:
        if any(e.text is t for t in read) and len(e.text) == len(decl):
            e.text = decl
        raise


def _parse_blanked(decl: str, prelude: str, target: Target, read: list[str]
                   ) -> tuple[Type, int, bool]:
    parent = prelude_scope(prelude, target)
    overloads: list[tuple[int, str]] = []
    text = blank_noise(decl, overloads=overloads)
    read.append(text)
    last: FileSpan | None = None  # (a K&R definition's, when there is one)
    if "{" in text or "=" in text:  # definitions' bodies and initializers blanked
        text, file_spans = split_file(text)
        read.append(text)
        file_spans = [span for span in file_spans
                      if text[span.start:span.end].strip(" \t\n\r\f\v;")]
        spans = [(span.start, span.end) for span in file_spans]
        last = file_spans[-1] if file_spans else None
    else:
        spans = _nonblank_spans(text)
    if not spans:
        raise ParseError("empty declaration: expected a C prototype or type name", decl, 0)
    # (a line alone only reads the prelude's objects and defined names: no copies)
    alone = len(spans) == 1
    scope = Scope(target, dict(parent.typedefs), dict(parent.constants),
                  objects=parent.objects if alone else dict(parent.objects),
                  defined=parent.defined if alone else set(parent.defined),
                  skipped=parent.skipped,
                  tags=ChainMap({}, parent.tags) if parent.tags else {},
                  source=decl, layouts=ChainMap({}, parent.layouts) if parent.layouts else {},
                  overloading=bool(overloads) and any(
                      word == "overloadable" for _, word in overloads))
    _run_declarations(scope, text, spans[:-1])
    start, end = spans[-1]
    scope.text = text
    if last is not None and last.kind == "knr":
        from .reader import knr_function
        _, fn, at = knr_function(scope, text, last)
        return fn, at, True
    braces = "{" in text[start:end]  # alone: no declarations before
    # Parameter declarations parsed in the prelude's scope are reused by lines that leave
    # that scope as it is up to their parameters: no declarations of their own before (the
    # same typedef names) and no braces (no enum constants defined on the way).
    parameters = parent.parameters if alone and not braces else None
    result = _parse(scope, text, start, end, "target", parameters)
    assert isinstance(result, tuple)
    t, pos = result
    # Each level of a type takes at least one character of the declaration, or comes from a
    # typedef: a short line of the prelude's typedefs needs no walk to know it is not deep.
    if (not alone or end - start + parent.typedef_depth >= MAX_NESTING) \
            and nesting(t) > MAX_NESTING:
        raise ParseError(f"declaration nested too deeply (more than {MAX_NESTING} levels)",
                         decl, start + max(pos, 0))
    # an unnamed tag comes from a definition, in braces, or from a typedef of one
    anonymous = not alone or braces or parent.anonymous_typedefs
    return t, start + max(pos, 0), anonymous


def parse_c_function(decl: str, prelude: str, target: Target) -> FunctionType:
    """The function type whose CFI id ``decl`` asks for.

    A prototype or a function type name gives that function type; a pointer to a function
    (``int (*)(char)``, or a variable of that type) gives the function it points to, since that
    is the type an indirect call through it is checked against.
    """
    t, pos, anonymous = _parse_target(decl, prelude, target)
    fn = t.base if isinstance(t, Qualified) else t
    if isinstance(fn, Pointer):
        fn = fn.pointee
    if not isinstance(fn, FunctionType):
        raise ParseError("not a function type: expected a prototype, a function type or a "
                         "pointer to a function", decl, pos)
    if anonymous and has_anonymous(fn):
        raise ParseError("an unnamed struct, union or enum has no stable type id (clang "
                         "gives it a module-local one); give it a tag or a typedef name",
                         decl, pos)
    return fn


def typedef_names(scope: Scope) -> Mapping[str, Type]:
    """The typedefs visible in ``scope``."""
    return scope.typedefs
