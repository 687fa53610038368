"""Reading a whole C file (a preprocessed header) in one pass: every function type a CFI
check is made against, and a note for every declaration we could not read.

The unit of failure is the declaration, as in a compiler: one we cannot model is skipped with
its reason and the read goes on; a typedef it declared stays a type name (so what follows
still parses as C does), and whatever uses it is skipped saying so.  Function definitions are
read up to their body, which is skipped by brace matching and never parsed.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, NamedTuple

from .composite import composite
from .frontend import MAX_NESTING, _parse, _target_scope
from .scope import SKIPPED, Record, Scope, adjust_parameter
from .syntax import FileSpan, blank_noise, split_file
from ..errors import ParseError
from ..model import (
    CInt, CInteger, FunctionType, Pointer, Primitive, Scalar, Type, nesting, unqualified,
)
from ..targets import Target
from ..regex_code import cached_regex


class Skipped(NamedTuple):
    """A declaration not read: where (offset in the text), why, and its name if we know it."""

    offset: int
    message: str
    name: str = ""


class FileDeclarations(NamedTuple):
    records: list[Record]
    skipped: list[Skipped]


def read_c_declarations(text: str, target: Target, what: str = "input",
                        progress: Callable[[int], None] | None = None) -> FileDeclarations:
    """The function types ``text`` (preprocessed C) declares: functions once per name (the
    last declaration, merged with earlier ones as C composes them), function-pointer
    typedefs, members and variables, in the order of their last declarations.
    ``progress``, when given, is called now and then with how many characters are read."""
    base = _target_scope(target)
    scope = Scope(target, dict(base.typedefs), dict(base.constants), what=what,
                  objects=dict(base.objects))
    scope.records = []
    skipped = read_into(scope, text, progress)
    return FileDeclarations(_merge(scope.records), skipped)


def read_into(scope: Scope, text: str, progress: Callable[[int], None] | None = None,
              *, whole: bool = False) -> list[Skipped]:
    """Read every declaration of ``text`` into ``scope``, tolerantly: what cannot be read is
    returned as :class:`Skipped` (a typedef it declared stays a name whose use says why).
    A text that cannot be read at all (an unterminated comment or attribute) is one Skipped,
    or, with ``whole`` (a prelude, which is one input), the :class:`ParseError` itself."""
    refused: list[tuple[int, str]] = []
    found_labels: list[tuple[int, str]] = []
    found_overloads: list[tuple[int, str]] = []
    skipped: list[Skipped] = []
    try:
        blanked = blank_noise(text, scope.what, refused, found_labels, found_overloads)
    except ParseError as e:  # an unterminated comment or attribute: the rest is unreadable
        if whole:
            raise
        return [Skipped(e.offset, e.message)]
    work, spans = split_file(blanked)
    labels = deque(found_labels)
    overloads = deque(found_overloads)
    scope.text = work
    scope.source = text  # (the same offsets; what a struct's layout reads attributes from)
    refused.sort()
    # Parameter declarations parsed before are reused (see frontend._parse_target) while no
    # typedef name changes its type: a new typedef or enum constant changes no reused value,
    # since a reuse key keeps every word but a declarator's name, and that only when it is
    # no typedef name (so `int x` and, once x is a typedef, `int x` have two keys).  A
    # declaration with braces (a tag's definition) is read without reuse.
    parameters: dict[tuple[int, str], object] = {}
    names = scope.typedef_changes
    records = scope.records if scope.records is not None else []
    for count, span in enumerate(spans):
        if progress is not None and count % 256 == 0:
            progress(span.start)
        if _EMPTY.fullmatch(work, span.start, span.end):
            continue
        bad = _refused_in(refused, span)
        mark = len(records)
        try:
            if bad is not None:
                raise ParseError(bad[1], work, bad[0], what=scope.what)
            if span.kind == "knr":
                _read_knr(scope, work, span)
            else:
                braces = work.find("{", span.start, span.end) >= 0
                scope.overloading = bool(overloads) and _overloadable(overloads, span)
                try:
                    _parse(scope, work, span.start, span.end, "declaration",
                           None if braces else parameters)
                finally:
                    scope.overloading = False
            # each level of a type takes a character of its declaration or comes from a
            # typedef: a declaration short enough needs no walk
            if span.end - span.start + scope.typedef_depth >= MAX_NESTING:
                _check_depth(records, mark, work)
            if labels:
                _label(records, mark, labels, span, work)
            if overloads:
                _overloaded(records, mark, overloads, span, work)
        except (ParseError, RecursionError) as e:
            del records[mark:]
            message = e.message if isinstance(e, ParseError) else \
                f"declaration nested too deeply (more than {MAX_NESTING} levels)"
            first = span.start + len(work[span.start:span.end]) - len(
                work[span.start:span.end].lstrip())  # where the declaration's text begins
            offset = e.offset if isinstance(e, ParseError) and e.offset > first else first
            name = _skip(scope, work, span, message)
            skipped.append(Skipped(max(span.start, min(offset, span.end - 1)), message, name))
        if scope.typedef_changes != names:
            parameters.clear()
            names = scope.typedef_changes
    if progress is not None:
        progress(len(text))
    return skipped


_EMPTY = cached_regex(r"[\s;]*")


def _refused_in(refused: list[tuple[int, str]], span: FileSpan) -> tuple[int, str] | None:
    # (few: a binary search is not worth it)
    for offset, message in refused:
        if span.start <= offset < span.end:
            return offset, message
    return None


def _label(records: list[Record], mark: int, labels: deque[tuple[int, str]],
           span: FileSpan, work: str) -> None:
    """Give the functions just read their ``__asm__`` labels: the first label after each
    one's name and before the next one's, or the last one's ``;`` (labels come in order;
    used ones are dropped).  A definition's body became that ``;``: an ``asm("...")``
    statement in it is no label (the kernel's inline functions are full of them)."""
    while labels and labels[0][0] < span.start:
        labels.popleft()
    for k in range(mark, len(records)):
        record = records[k]
        if k + 1 < len(records):
            limit = records[k + 1].offset
        else:
            end = work.find(";", record.offset, span.end)
            limit = end if end >= 0 else span.end
        if record.kind == "function" and labels and record.offset < labels[0][0] < limit:
            records[k] = record._replace(symbol=labels.popleft()[1])


def _overloadable(overloads: deque[tuple[int, str]], span: FileSpan) -> bool:
    """Whether the declaration ``span`` has an ``overloadable`` attribute (``overloads``
    holds the attributes from this declaration's on, and maybe an earlier one's)."""
    for at, word in overloads:
        if at >= span.end:
            return False
        if at >= span.start and word == "overloadable":
            return True
    return False


def _overloaded(records: list[Record], mark: int, overloads: deque[tuple[int, str]],
                span: FileSpan, work: str) -> None:
    """Apply the ``overloadable`` and ``pass_object_size`` attributes of the declaration
    just read (before its ``;``, or the body that became it).  ``overloadable`` marks every
    function it declares (a specifier's attribute applies to each declarator);
    ``pass_object_size`` drops the function whose parameter has it: clang cannot take its
    address (fortify-string.h's ``strlen``, ``memcmp``...), so no indirect call is checked
    against it, and its symbol would spell the attribute."""
    while overloads and overloads[0][0] < span.start:
        overloads.popleft()
    if not overloads or mark == len(records):
        return
    end = work.find(";", records[-1].offset, span.end)
    end = end if end >= 0 else span.end
    dropped: set[int] = set()
    while overloads and overloads[0][0] < end:
        at, word = overloads.popleft()
        for k in range(mark, len(records)):
            if records[k].kind != "function":
                continue
            if word == "overloadable":
                records[k] = records[k]._replace(overloadable=True)
            elif records[k].offset < at and (k + 1 == len(records)
                                             or records[k + 1].offset > at):
                dropped.add(k)
    for k in sorted(dropped, reverse=True):
        del records[k]


def _check_depth(records: list[Record], mark: int, text: str) -> None:
    for record in records[mark:]:
        if nesting(record.type) > MAX_NESTING:
            raise ParseError(f"declaration nested too deeply (more than {MAX_NESTING} "
                             "levels)", text, record.offset)


#: A typedef's name in a declaration we could not read: the last name before the ";" (or
#: the one in ``(*name)``), good enough to say what depends on it.
_TYPEDEF_WORD = cached_regex(r"(?<![\w$])typedef(?![\w$])")
_POINTER_NAME = cached_regex(r"\(\s*\*+\s*([A-Za-z_$][\w$]*)\s*\)")
_LAST_NAME = cached_regex(r"([A-Za-z_$][\w$]*)[\s\[\]0-9]*;?\s*\Z")
_FUNCTION_NAME = cached_regex(r"([A-Za-z_$][\w$]*)\s*\(")
_MODE_WORDS = cached_regex(r"__cfi_mode_\w*")


def _skip(scope: Scope, text: str, span: FileSpan, message: str) -> str:
    """Note a declaration as skipped: a typedef's name stays a type name whose use says why.
    Returns its name, if we can tell."""
    body = text[span.start:span.end]
    if _TYPEDEF_WORD.search(body) is None:  # (a struct's members are not its name)
        m = _FUNCTION_NAME.search(_outside_braces(body))
        return m.group(1) if m is not None else ""
    body = _outside_braces(_MODE_WORDS.sub(" ", body))
    m = _POINTER_NAME.search(body) or _LAST_NAME.search(body)
    if m is None:
        return ""
    name = m.group(1)
    # (a name declared before is poisoned too: which of its declarations holds is unclear)
    if name in scope.typedefs:
        scope.typedef_changes += 1
    scope.typedefs[name] = SKIPPED
    # (a prelude's line is worth saying; a file's skipped declaration has a diagnostic)
    where = ""
    if scope.records is None:
        line = text.count("\n", 0, span.start) + 1 + _leading_newlines(text, span)
        where = f"{scope.what} line {line}: "
    scope.skipped[name] = where + message
    return name


def _outside_braces(body: str) -> str:
    """``body`` without what its braces hold: a struct's members are not the typedef's name
    (siginfo.h's ``typedef struct sigevent { ... void (*_function)(sigval_t); ... }
    sigevent_t;`` names ``sigevent_t``; poisoning ``_function`` broke compat.h's member of
    that name)."""
    if "{" not in body:
        return body
    kept, depth = [], 0
    for piece in _BRACES.split(body):
        if piece == "{":
            depth += 1
        elif piece == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(piece)
    return " ".join(kept)


_BRACES = cached_regex(r"([{}])")


def _leading_newlines(text: str, span: FileSpan) -> int:
    body = text[span.start:span.end]
    return body[:len(body) - len(body.lstrip())].count("\n")


_PROMOTED = {CInteger(k) for k in (CInt.CHAR, CInt.SCHAR, CInt.UCHAR, CInt.SHORT, CInt.USHORT)}


def _read_knr(scope: Scope, text: str, span: FileSpan) -> None:
    name, defined, offset = knr_function(scope, text, span)
    scope.objects[name] = defined
    if scope.records is not None:
        scope.records.append(Record("function", name, defined, offset))


def knr_function(scope: Scope, text: str, span: FileSpan) -> tuple[str, FunctionType, int]:
    """``int f(a, b) int a; long b; {...}``: its name, type and offset.  clang gives the
    definition the prototype of its parameters after the default argument promotions
    (``char`` and ``short`` are ``int``, ``float`` is ``double``); a parameter not declared
    is an error (no implicit int)."""
    scope.knr_definition = True
    try:
        result = _parse(scope, text, span.start, span.head, "target")
    finally:
        scope.knr_definition = False
    assert isinstance(result, tuple)
    fn, pos = result
    names = list(scope.knr_names)
    if not isinstance(fn, FunctionType) or not names:
        raise ParseError("not a K&R function definition", text, span.start)
    inner = Scope(scope.target, scope.typedefs, scope.constants, text=text, what=scope.what)
    for start, end in span.parameters:
        _parse(inner, text, start, end, "declaration")
    params: list[Type] = []
    for name in names:
        if name not in inner.objects:
            raise ParseError(f"parameter {name!r} was not declared, defaults to 'int'; C99 "
                             "and later do not support implicit int (as clang-19 says)",
                             text, span.start)
        t = adjust_parameter(inner.objects[name])
        if t in _PROMOTED or t == Primitive(Scalar.BOOL):
            t = CInteger(CInt.INT)
        elif t == Primitive(Scalar.FLOAT):
            t = Primitive(Scalar.DOUBLE)
        params.append(t)
    found = _FUNCTION_NAME.search(text, span.start, span.head)
    if found is None:
        raise ParseError("not a K&R function definition", text, span.start)
    return found.group(1), FunctionType(fn.returns, tuple(params), False, True), \
        span.start + max(pos, 0)


def _merge(records: list[Record]) -> list[Record]:
    """One record per (kind, name), at its last declaration (per overload of an
    ``overloadable`` function: its parameter types, as C++ tells overloads apart); a
    function's or a variable's
    type is C's composite of its declarations (``c/composite.py``): a prototype declared
    before stays when a later declaration has none (``int f(int); int f();`` is
    ``int (int)``), an array keeps its length, an enum and its integer make the integer."""
    found: dict[tuple[object, ...], Record] = {}
    for record in records:
        key: tuple[object, ...] = (record.kind, record.name)
        if record.overloadable:  # one record per overload: clang's own redeclaration rule
            fn = function_of(record)
            key += (tuple(map(unqualified, fn.params)), fn.variadic)
        old = found.pop(key, None)
        if old is not None and old.symbol and not record.symbol:
            record = record._replace(symbol=old.symbol)  # a label holds for the redeclaration
        if old is not None and record.kind in ("function", "variable"):
            record = record._replace(type=composite(old.type, record.type))
        found[key] = record
    return list(found.values())


def function_of(record: Record) -> FunctionType:
    """The function type a record's indirect calls are checked against."""
    t = unqualified(record.type)
    if isinstance(t, Pointer):
        t = unqualified(t.pointee)
    assert isinstance(t, FunctionType)
    return t
