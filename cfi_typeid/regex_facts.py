"""What a regular expression's own parse tells about its matches: the characters a match can
begin with, and whether it refers to groups by number.

The lexers (:mod:`cfi_typeid.parsing.lalr`) use both to match a token against only the
terminals that can begin with its first character: a terminal is left out only where it
cannot match, so any superset of a terminal's first characters is safe, and None (any
character) is the answer wherever the set is not small and certain.  The parse is ``re``'s
own (``re._parser``, CPython 3.11 and later); with other internals every answer is the
cautious one.  :class:`~cfi_typeid.regex_code.RegexCache` keeps the answers between runs.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

try:  # the Python half of re.compile (no stubs)
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - another Python
    _parser = None

#: A pattern's first characters (None: any) and whether it refers to groups by number.
Facts = tuple[frozenset[str] | None, bool]


def pattern_facts(pattern: str) -> Facts:
    """:func:`first_chars` and :func:`refers_to_groups` of ``pattern``, from one parse."""
    if _parser is None:
        return None, True
    try:
        parsed = _parser.parse(pattern, 0)
    except Exception:  # noqa: BLE001 - a bad pattern: re.compile says so where it is used
        return None, True
    return _first_of_parsed(parsed), _refers(list(parsed))


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` (compiled without flags) can begin with, or None
    when that is not known to be a small set: a pattern that may match the empty string, one
    with case-insensitive parts, character classes such as ``\\w`` (Unicode-wide), negated
    sets, ``.``, back references or conditionals.  A superset is always safe for what the
    lexers use it for (see :mod:`cfi_typeid.parsing.lalr`): a pattern is left out only where
    it cannot match."""
    if _parser is None:
        return None
    try:
        parsed = _parser.parse(pattern, 0)
    except Exception:  # noqa: BLE001 - a bad pattern: re.compile says so where it is used
        return None
    return _first_of_parsed(parsed)


def _first_of_parsed(parsed: Any) -> frozenset[str] | None:
    if parsed.state.flags & re.IGNORECASE:
        return None
    chars, nullable = _first_of(list(parsed))
    return None if chars is None or nullable else frozenset(chars)


def refers_to_groups(pattern: str) -> bool:
    """Whether ``pattern`` has a back reference or a conditional on a group (whose number
    changes when the pattern is one alternative among others), or cannot be read (True)."""
    if _parser is None:
        return True
    try:
        return _refers(list(_parser.parse(pattern, 0)))
    except Exception:  # noqa: BLE001 - unreadable: assume the worst
        return True


def _refers(items: list[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if str(op).startswith("GROUPREF"):
            return True
        nested = av if isinstance(av, (list, tuple)) else ()
        for part in nested:
            if isinstance(part, _parser.SubPattern) and _refers(list(part)):
                return True
            if isinstance(part, list) and any(isinstance(x, _parser.SubPattern) and
                                              _refers(list(x)) for x in part):
                return True
    return False


#: The widest character range spelled out as a set of first characters.
_RANGE_LIMIT = 256


def _first_of(items: list[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    """The first characters of a parsed sequence (None: any) and whether it can be empty."""
    chars: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            chars.add(chr(av))
            return chars, False
        if name == "IN":
            found = _first_of_set(av)
            if found is None:
                return None, False
            return chars | found, False
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # consumes nothing: the next item's characters come first
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, body = av
            inner, empty = _first_of(list(body))
            nullable = low == 0 or empty
        elif name == "BRANCH":
            inner, nullable = set(), False
            for branch in av[1]:
                found, empty = _first_of(list(branch))
                if found is None:
                    return None, False
                inner |= found
                nullable = nullable or empty
        elif name == "SUBPATTERN":
            _, add_flags, _, body = av
            if add_flags & re.IGNORECASE:
                return None, False
            inner, nullable = _first_of(list(body))
        elif name == "ATOMIC_GROUP":
            inner, nullable = _first_of(list(av))
        else:  # ANY, NOT_LITERAL, GROUPREF, GROUPREF_EXISTS, ...: not known
            return None, False
        if inner is None:
            return None, False
        chars |= inner
        if not nullable:
            return chars, False
    return chars, True


def _first_of_set(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The characters of a parsed ``[...]`` (None: a negated or category set, or wide)."""
    chars: set[str] = set()
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            chars.add(chr(av))
        elif name == "RANGE" and av[1] - av[0] < _RANGE_LIMIT:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:  # NEGATE, CATEGORY (\\d, \\w, \\s are Unicode-wide), a wide RANGE
            return None
    return chars


__all__ = ["Facts", "first_chars", "pattern_facts", "refers_to_groups"]
