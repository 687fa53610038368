"""The files the package keeps between runs in the temporary directory: the grammars' LALR
tables, the generated parsers' code, the dataclasses' compiled methods.

Each is one ``marshal`` value, read in one go (``marshal.load`` on a file reads it object by
object, which costs a fresh process several milliseconds) and written atomically (to a
temporary name, then renamed: a concurrent reader sees the old file or the new one).  A file
that cannot be read is a miss, one that cannot be written is no error.  Nothing here imports
``tempfile``, whose import alone costs more than loading the tables.
"""

from __future__ import annotations

import marshal
import os
from typing import Any


def temp_dir() -> str:
    """The temporary directory, as ``tempfile.gettempdir`` would usually find it."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name):
            return os.environ[name]
    if os.name == "nt":
        import tempfile
        return tempfile.gettempdir()
    return "/tmp"


def cache_path(name: str) -> str:
    """The path of the cache file ``name`` in :func:`temp_dir`."""
    return os.path.join(temp_dir(), name)


def read_cached(path: str) -> Any:
    """The value stored at ``path``, or None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write_cached(path: str, value: Any) -> None:
    """Store ``value`` at ``path`` atomically; a failure to write is ignored."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            marshal.dump(value, f)
        os.replace(tmp, path)
    except (OSError, ValueError):
        try:
            os.remove(tmp)
        except OSError:
            pass
