"""Dataclasses whose generated methods are compiled once, not at every start.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and
the frozen ``__setattr__``/``__delattr__`` as source text and compiles it (``exec``) when the
class is made: for the 42 classes of :mod:`cfi_typeid.rust.ast` that was ~16 ms of every
Rust command's start, most of it the compiler.  Between :func:`compiled_once` and its
:meth:`~CompiledOnce.close`, the ``exec`` that :mod:`dataclasses` calls compiles each text
at most once per Python version: the code objects are kept (``marshal``) in a file in the
temporary directory, next to the parser's.  The text is the key, so the functions are the
ones ``exec`` would make of it (same code, same ``<string>`` file name, no ``__future__``
flag inherited), and a class that changes only misses the cache.

Nothing else changes: the decorator, the classes and their methods are the standard ones.
``CFI_TYPEID_PARSER_NO_CACHE=1`` turns the cache off, as it does the parser's.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import sys
import zlib
from typing import Any

from .cache_files import cache_path, read_cached, write_cached

#: The caches open now, innermost last (a module opening one may import another that does).
_OPEN: list[CompiledOnce] = []


class CompiledOnce:
    """The code of the dataclass methods made while it is open, read from and kept in one
    cache file (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.path = cache_path(f"cfi_typeid-dataclasses-{name}-{_KEY}.code")
        self.code: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.missed = False
        if os.environ.get("CFI_TYPEID_PARSER_NO_CACHE") != "1":
            self.code = _load(self.path)

    def compiled(self, source: str) -> Any:
        code = self.code.get(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.missed = True
        self.used[source] = code
        return code

    def close(self) -> None:
        """Stop caching; keep what was compiled (only what this run used) if any was new."""
        if self in _OPEN:
            _OPEN.remove(self)
        if not _OPEN and vars(dataclasses).get("exec") is _exec:
            delattr(dataclasses, "exec")
        if self.missed and os.environ.get("CFI_TYPEID_PARSER_NO_CACHE") != "1":
            write_cached(self.path, (_KEY, self.used))


def compiled_once(name: str) -> CompiledOnce:
    """Start caching the code of the dataclasses made from now on under ``name`` (one per
    module: ``rust-ast``); call :meth:`CompiledOnce.close` after the module's last class."""
    cache = CompiledOnce(name)
    _OPEN.append(cache)
    if callable(getattr(dataclasses, "_create_fn", None)) or hasattr(dataclasses, "_FuncBuilder"):
        setattr(dataclasses, "exec", _exec)  # found there before the builtin
    return cache


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    """``exec`` as :mod:`dataclasses` calls it, with the text compiled by the open cache."""
    if isinstance(source, str) and _OPEN:
        source = _OPEN[-1].compiled(source)
    builtins.exec(source, globals, locals)


def _load(path: str) -> dict[str, Any]:
    stored = read_cached(path)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == _KEY \
            and isinstance(stored[1], dict):
        return stored[1]
    return {}


#: The Python whose bytecode the cache holds.
_KEY = f"{zlib.crc32(f'{sys.version}{sys.implementation.cache_tag}'.encode()):08x}"

__all__ = ["CompiledOnce", "compiled_once"]
