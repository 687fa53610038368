"""Regular expressions compiled once, not at every start.

``re.compile`` parses a pattern and assembles its byte code in Python (``re._parser``,
``re._compiler``) before the C engine takes it: the package's ~80 module-level patterns and
the lexers' one pattern per parser state cost a one-off C run ~5 ms and a Rust run ~12 ms, most
of a run's own work.  :func:`cached_regex` keeps what the Python half produces (the arguments
of ``_sre.compile``: flags, code, groups) in one ``marshal`` file per cache name in the
temporary directory, next to the parser's tables, and builds the pattern object from it; the
object is the one ``re.compile`` makes, of the same type and behaviour, and the engine checks
the code it is given.

The pattern text and flags are the key, and the file is tied to the Python build's regular
expression engine (its version and ``_sre.MAGIC``).  Whatever goes wrong (another Python
whose internals differ, an unreadable file) falls back to ``re.compile``.  New entries are
written at exit, merged with what the file holds then.  ``CFI_TYPEID_PARSER_NO_CACHE=1``
turns the cache off, as it does the parser's.

The same parse of a pattern also tells what the lexers need to split themselves by a token's
first character (:func:`pattern_facts`: the characters a match can begin with, and whether it
refers to groups by number), kept in the cache beside the compiled forms.
"""

from __future__ import annotations

import atexit
import importlib
import os
import re
import sys
import zlib
from typing import Any

from .cache_files import cache_path, read_cached, write_cached

try:  # CPython's engine and the Python half of re.compile (3.11 and later; no stubs)
    _sre: Any = importlib.import_module("_sre")
    _compiler: Any = importlib.import_module("re._compiler")
    _parser: Any = importlib.import_module("re._parser")
    _ENGINE: str | None = f"{sys.version}{_sre.MAGIC}{_sre.CODESIZE}"
except (ImportError, AttributeError):  # pragma: no cover - another Python
    _ENGINE = None

#: What ``_sre.compile`` takes after the pattern: flags, code, groups, groupindex, indexgroup.
Arguments = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]

#: More entries than this in one file and no more are added (the package's patterns and its
#: grammars' lexers need a few hundred; this only bounds a file that something else grew).
_LIMIT = 4000


class RegexCache:
    """The compiled patterns kept under one name (read at the first pattern asked for)."""

    def __init__(self, name: str) -> None:
        key = zlib.crc32((_ENGINE or "").encode())
        self.path = cache_path(f"cfi_typeid-regexes-{name}-{key:08x}.code")
        # (pattern, flags) -> Arguments; (pattern, _FACTS) -> Facts (see facts)
        self.stored: dict[tuple[str, int], Any] | None = None
        self.new: dict[tuple[str, int], Any] = {}

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """``re.compile(pattern, flags)``, its Python half read from the cache when kept."""
        if _ENGINE is None or os.environ.get("CFI_TYPEID_PARSER_NO_CACHE") == "1":
            return re.compile(pattern, flags)
        flags = int(flags)
        stored = self.stored if self.stored is not None else self._load()
        arguments = stored.get((pattern, flags))
        if arguments is None:
            arguments = _arguments(pattern, flags)
            if arguments is None:
                return re.compile(pattern, flags)
            self._keep(stored, (pattern, flags), arguments)
        try:
            compiled: re.Pattern[str] = _sre.compile(pattern, *arguments)
        except Exception:  # noqa: BLE001 - a changed engine: do what re does
            return re.compile(pattern, flags)
        return compiled

    def facts(self, pattern: str) -> Facts:
        """:func:`first_chars` and :func:`refers_to_groups` of ``pattern``, kept across runs
        as its compiled form is (a regex parse each: a batch's lexers read ~60 terminals)."""
        if _ENGINE is None or os.environ.get("CFI_TYPEID_PARSER_NO_CACHE") == "1":
            return pattern_facts(pattern)
        stored = self.stored if self.stored is not None else self._load()
        found = stored.get((pattern, _FACTS))
        if isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], bool) \
                and (found[0] is None or isinstance(found[0], frozenset)):
            return found
        facts = pattern_facts(pattern)
        self._keep(stored, (pattern, _FACTS), facts)
        return facts

    def _keep(self, stored: dict[tuple[str, int], Any], key: tuple[str, int], value: Any
              ) -> None:
        """Keep a new entry, to be written at exit (or by :func:`save_new_patterns`)."""
        if len(stored) < _LIMIT:
            if not self.new:
                atexit.register(self.save)
                _UNSAVED.append(self)
            stored[key] = self.new[key] = value

    def _load(self) -> dict[tuple[str, int], Any]:
        found = read_cached(self.path)
        self.stored = found if isinstance(found, dict) else {}
        return self.stored

    def save(self) -> None:
        """Add the patterns compiled anew to the file (as it is now: another process may
        have added its own since it was read)."""
        if not self.new:
            return
        found = read_cached(self.path)
        merged = found if isinstance(found, dict) else {}
        for key, arguments in self.new.items():
            if len(merged) >= _LIMIT:
                break
            merged[key] = arguments
        write_cached(self.path, merged)
        self.new = {}


#: The caches holding patterns not yet written (each also has its ``atexit`` save).
_UNSAVED: list[RegexCache] = []


def save_new_patterns() -> None:
    """Write every cache's new patterns now: for a forked child, which leaves by
    ``os._exit`` and so never runs the ``atexit`` saves (the C side of ``check-bindings``
    compiled its ~65 state lexers anew in every run, ~50 ms of CPU).  Never raises."""
    while _UNSAVED:
        try:
            _UNSAVED.pop().save()
        except Exception:  # noqa: BLE001 - a cache not written is only a miss next time
            pass


def _arguments(pattern: str, flags: int) -> Arguments | None:
    """What ``re._compiler.compile`` hands ``_sre.compile`` for ``pattern`` (None when this
    Python's internals are not the ones expected)."""
    try:
        parsed = _parser.parse(pattern, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        return (flags | parsed.state.flags, [int(c) for c in code],  # (named ints: plain)
                parsed.state.groups - 1, groupindex, tuple(indexgroup))
    except Exception:  # noqa: BLE001 - a bad pattern or other internals: re.compile says
        return None


#: The package's own patterns (the modules' constants).
_MODULES = RegexCache("modules")


def cached_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)`` for one of the package's own patterns, compiled once
    across runs (see the module docstring); a pattern made from input belongs to ``re``."""
    return _MODULES.compile(pattern, flags)


#: A pattern's first characters (None: any) and whether it refers to groups by number.
Facts = tuple[frozenset[str] | None, bool]
#: The flags part of the key under which a cache keeps a pattern's facts (no real flags).
_FACTS = -1


def pattern_facts(pattern: str) -> Facts:
    """:func:`first_chars` and :func:`refers_to_groups` of ``pattern``, from one parse."""
    if _ENGINE is None:
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
    if _ENGINE is None:
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
    if _ENGINE is None:
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


__all__ = ["Facts", "RegexCache", "cached_regex", "first_chars", "pattern_facts",
           "refers_to_groups", "save_new_patterns"]
