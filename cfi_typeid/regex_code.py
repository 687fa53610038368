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

A cache also keeps what :mod:`cfi_typeid.regex_facts` finds in a pattern (the facts the
lexers split themselves by), beside the compiled forms.
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
from .regex_facts import Facts, pattern_facts

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
        stored = self._entries()
        if stored is None:
            return re.compile(pattern, flags)
        flags = int(flags)
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
        """:func:`~cfi_typeid.regex_facts.pattern_facts` of ``pattern``, kept across runs as
        its compiled form is (a regex parse each: a batch's lexers read ~60 terminals)."""
        stored = self._entries()
        if stored is None:
            return pattern_facts(pattern)
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

    def _entries(self) -> dict[tuple[str, int], Any] | None:
        """What the file holds, read at the first call (None: the cache is off)."""
        if _ENGINE is None or os.environ.get("CFI_TYPEID_PARSER_NO_CACHE") == "1":
            return None
        if self.stored is None:
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
        for key, value in self.new.items():
            if len(merged) >= _LIMIT:
                break
            merged[key] = value
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


#: The flags part of the key under which a cache keeps a pattern's facts (no real flags).
_FACTS = -1


__all__ = ["RegexCache", "cached_regex", "save_new_patterns"]
