"""Syntax moved in its text: the items of a file are parsed one at a time from a snippet, and
their offsets are moved back to the file's (a node's ``at`` and ``*_at`` fields)."""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, Callable

#: Values that hold no syntax: never looked into.
_LEAVES = frozenset({str, int, bool, float, type(None)})
_set = object.__setattr__  # (the nodes are frozen)


def shifted(node: Any, by: int) -> Any:
    """``node`` (syntax from :mod:`cfi_typeid.rust.ast`, just parsed: no one else holds it)
    with every offset moved by ``by``, in place: frozen nodes are only frozen to their
    users, and ``at`` takes no part in equality or hashing.  (Built anew, the nodes of a
    file cost 40% more to move.)  A node reached twice is moved once.

    An offset is a field named ``at`` or ``*_at``; one that is 0 (no position) stays 0, as
    do the shared nodes the rule methods make without a position."""
    _shift(node, by, set())
    return node


def _shift(node: Any, by: int, seen: set[int]) -> None:
    cls = node.__class__
    if cls is tuple:
        for x in node:
            if x.__class__ not in _LEAVES:
                _shift(x, by, seen)
        return
    plan = _SHIFT_PLANS[cls] if cls in _SHIFT_PLANS else _shift_plan(cls)
    if plan is None or id(node) in seen:
        return
    seen.add(id(node))
    values, names, offsets, inner = plan
    fields = values(node)
    for i in offsets:
        if fields[i]:
            _set(node, names[i], fields[i] + by)
    for i in inner:
        value = fields[i]
        if value.__class__ not in _LEAVES:
            _shift(value, by, seen)


#: Per class: a call giving its fields' values in order, their names, which of them are
#: offsets and which may hold syntax; None for a class that is not a dataclass (nothing in
#: it is moved).
_Plan = tuple[Callable[[Any], Any], tuple[str, ...], tuple[int, ...], tuple[int, ...]]
_SHIFT_PLANS: dict[type, _Plan | None] = {}


def _shift_plan(cls: type) -> _Plan | None:
    plan: _Plan | None = None
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))
        offsets = tuple(i for i, n in enumerate(names) if n == "at" or n.endswith("_at"))
        inner = tuple(i for i in range(len(names)) if i not in offsets)
        # (typed Any -> Any: typeshed has it return a tuple, which mypyc would check)
        get: Callable[[Any], Any] = operator.attrgetter(*names)
        values: Callable[[Any], Any] = get if len(names) > 1 else (lambda node: (get(node),))
        plan = (values, names, offsets, inner)
    _SHIFT_PLANS[cls] = plan
    return plan
