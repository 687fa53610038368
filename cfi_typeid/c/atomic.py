"""C11 ``_Atomic``: the qualifier (``_Atomic int``) and the specifier (``_Atomic(int)``).

What clang-19 accepts and refuses, each checked by ``tests/test_c_atomic.py``:

* the qualifier form goes on the unqualified type, its cv-qualifiers staying outside
  (``typedef const int CI; _Atomic CI *`` is ``PKU7_Atomici``), and is idempotent
  (``_Atomic AI`` of an atomic ``AI``);
* the specifier form refuses a qualified or atomic type (``_Atomic(const int)``);
* both refuse arrays (``__builtin_va_list`` on x86-64 too), functions, incomplete types
  (``void``, a declared but undefined struct) and every ``_BitInt``.
"""

from __future__ import annotations

from .scope import Scope
from ..model import VOID, Array, Atomic, BitInt, FunctionType, Named, Qualified, Type, qualify


def atomic_of(t: Type, scope: Scope, pos: int, *, specifier: bool) -> Type:
    """``_Atomic`` applied to ``t`` (``_Atomic(t)`` when ``specifier``), or clang's error."""
    base, quals = (t.base, t) if isinstance(t, Qualified) else (t, None)
    if specifier and isinstance(t, (Qualified, Atomic)):
        raise scope.error(f"_Atomic cannot be applied to "
                          f"{'an atomic' if isinstance(t, Atomic) else 'a qualified'} type", pos)
    if isinstance(base, Atomic):
        return t
    reason = _refused(base, scope)
    if reason:
        raise scope.error(f"_Atomic cannot be applied to {reason}", pos)
    if quals is None:
        return Atomic(base)
    return qualify(Atomic(base), const=quals.const, volatile=quals.volatile,
                   restrict=quals.restrict)


def _refused(t: Type, scope: Scope) -> str:
    """Why clang refuses ``_Atomic`` of the unqualified ``t`` ("" when it accepts it)."""
    if isinstance(t, Array):
        return "an array type"
    if isinstance(t, FunctionType):
        return "a function type"
    if isinstance(t, BitInt):
        return "a _BitInt type (clang-19 refuses every width)"
    if t == VOID:
        return "the incomplete type void"
    if isinstance(t, Named) and t.kind in ("struct", "union") and t.name \
            and not _complete(t, scope):
        return f"the incomplete type '{t.kind} {t.name}'"
    return ""


def _complete(t: Named, scope: Scope) -> bool:
    """Whether the struct or union ``t`` is defined: as a tag, or as the tagless one a typedef
    of that name made (``typedef struct {...} Anon;``)."""
    tag = scope.tags.get(t.name)
    if tag is not None:
        return tag[1]
    return scope.typedefs.get(t.name) == t
