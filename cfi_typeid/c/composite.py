"""C's composite type of two compatible declarations of one name (C17 6.2.7p3), as clang's
``ASTContext::mergeTypes`` forms it: the type a redeclared function or variable has from then
on, and so the type its ids are taken from.

``int f(); int f(int);`` is ``int (int)`` whichever comes first; ``void g(int (*)[3]);
void g(int (*)[]);`` keeps the length; an enum and its integer type make the integer
(``enum X g(void); unsigned g(void);`` is ``unsigned (void)``, ``_ZTSFjvE``, in either
order).  Each rule is checked against clang-19 in ``tests/test_c_composite.py``.  Two types
that are not compatible have no composite: clang refuses the redeclaration
(``c/declarations.py`` judges the plain cases), and the later type is kept.
"""

from __future__ import annotations

import dataclasses

from ..model import Array, CInteger, FunctionType, Named, Pointer, Qualified, Type


def composite(before: Type, now: Type) -> Type:
    """The composite of ``before`` (the type so far) and ``now`` (a redeclaration's)."""
    if before == now:
        return before
    match before, now:
        case Qualified(a), Qualified(b) if _qualifiers(before) == _qualifiers(now):
            return dataclasses.replace(before, base=composite(a, b))
        case Pointer(a), Pointer(b):
            return Pointer(composite(a, b))
        case Array(a, n, 0), Array(b, m, 0) if n is None or m is None or n == m:
            return Array(composite(a, b), n if n is not None else m)
        case FunctionType(), FunctionType():
            return _function(before, now)
        case Named(kind="enum"), CInteger():
            return now
        case CInteger(), Named(kind="enum"):
            return before
        case _:
            return now


def _qualifiers(t: Qualified) -> tuple[bool, bool, bool]:
    return t.const, t.volatile, t.restrict


def _function(before: FunctionType, now: FunctionType) -> FunctionType:
    """A prototype wins over a declaration without one; of two prototypes, the parameters
    (and the return types) are merged one by one."""
    if (before.calling_convention, before.variadic) != (now.calling_convention, now.variadic) \
            and before.prototyped and now.prototyped:
        return now
    returns = composite(before.returns, now.returns)
    if not now.prototyped:
        return dataclasses.replace(before, returns=returns)
    if not before.prototyped or len(before.params) != len(now.params):
        return dataclasses.replace(now, returns=returns)
    params = tuple(composite(a, b) for a, b in zip(before.params, now.params))
    return dataclasses.replace(now, returns=returns, params=params)
