"""cfi_typeid: compute, explain and decode LLVM CFI / KCFI type identifiers exactly as clang and
rustc do.

>>> typeid("void f(long);")
'_ZTSFvlE'
>>> hex(kcfi("void f(long);"))
'0xbde2bfc8'

The names below are imported on first use (PEP 562), so that ``python -m cfi_typeid encode``
loads the encoder without the decoder, and the decoder without the parsers: start-up time is
most of a one-off run.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api import TypeIds, kcfi, parse_function, typeid, typeids, typeids_of
    from .itanium.decoded import DecodedTypeId, decode, decode_typeid
    from .errors import CfiTypeidError, DecodeError, ParseError, UsageError
    from .hashes import kcfi_hash
    from .crosscheck.files import check_bindings
    from .kcfi.lookup import kcfi_lookup
    from .targets import DEFAULT_TARGET, TARGETS
    from .sources.c_header import read_c_files, scan_c

#: Each public name and the module that defines it.
_HOMES = {
    **dict.fromkeys(("TypeIds", "kcfi", "parse_function", "typeid", "typeids", "typeids_of"),
                    "api"),
    **dict.fromkeys(("DecodedTypeId", "decode", "decode_typeid"), "itanium.decoded"),
    **dict.fromkeys(("CfiTypeidError", "DecodeError", "ParseError", "UsageError"), "errors"),
    "kcfi_hash": "hashes",
    "check_bindings": "crosscheck.files",
    **dict.fromkeys(("scan_rust", "read_rust_files"), "sources.rust_file"),
    "kcfi_lookup": "kcfi.lookup",
    **dict.fromkeys(("DEFAULT_TARGET", "TARGETS"), "targets"),
    **dict.fromkeys(("scan_c", "read_c_files"), "sources.c_header"),
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cfi_typeid' has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


class _Package(types.ModuleType):
    """The package, which keeps its public names when a subpackage of the same name is
    imported: ``cfi_typeid.kcfi`` is the hash function, though ``cfi_typeid/kcfi/`` (the KCFI
    look-up stage) exists and importing it would otherwise bind the name to the module."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _HOMES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
