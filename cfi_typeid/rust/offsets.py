"""Syntax moved in its text: the items of a file are parsed one at a time from a snippet, and
their offsets are moved back to the file's (a node's ``at`` and ``*_at`` fields)."""

from __future__ import annotations

import dataclasses
from typing import Any


def shifted(node: Any, by: int) -> Any:
    """``node`` (syntax from :mod:`cfi_typeid.rust.ast`) with every offset moved by ``by``.

    An offset is a field named ``at`` or ``*_at``; one that is 0 (no position) stays 0.  A
    node with nothing to move is returned as it is; tuples come back as new tuples."""
    if isinstance(node, tuple):
        return tuple([shifted(x, by) for x in node])
    plan = _shift_plan(type(node))
    if plan is None:
        return node
    values: list[Any] = []
    changed = False
    for name, is_offset in plan:
        value = getattr(node, name)
        if is_offset:
            if value:
                value += by
                changed = True
        elif isinstance(value, tuple) or _shift_plan(type(value)) is not None:
            new = shifted(value, by)
            if new is not value:
                value = new
                changed = True
        values.append(value)
    return type(node)(*values) if changed else node


#: Per class: its fields in order, each with whether it is an offset; None for a class that
#: is not a dataclass (nothing in it is moved).
_SHIFT_PLANS: dict[type, tuple[tuple[str, bool], ...] | None] = {}


def _shift_plan(cls: type) -> tuple[tuple[str, bool], ...] | None:
    try:
        return _SHIFT_PLANS[cls]
    except KeyError:
        pass
    plan: tuple[tuple[str, bool], ...] | None = None
    if dataclasses.is_dataclass(cls):
        plan = tuple((f.name, f.name == "at" or f.name.endswith("_at"))
                     for f in dataclasses.fields(cls))
        assert all(f.init and not f.kw_only for f in dataclasses.fields(cls)), cls
    _SHIFT_PLANS[cls] = plan
    return plan
