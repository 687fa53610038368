"""KCFI type hashes: the 32-bit value in ``!kcfi_type`` and in the kernel's CFI reports.

LLVM's ``getKCFITypeID`` hashes the whole type id string, suffixes included: the low 32 bits of
xxHash64 (seed 0) by default, checked against clang-19 and rustc; or 32-bit FNV-1a
(``-fsanitize-kcfi-hash=FNV-1a``, newer LLVM than 19, taken from LLVM's ``Hash.cpp``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Mapping

from .errors import UsageError


def xxhash64_low32(typeid: str) -> int:
    """Low 32 bits of xxHash64 (seed 0) of ``typeid``: LLVM's default KCFI hash."""
    return _xxh64(typeid.encode()) & 0xFFFFFFFF


def _xxh64(data: bytes) -> int:
    """``xxhash.xxh64_intdigest``, imported on first use (a run that prints no KCFI hash does
    not pay for the import), then called directly."""
    global _xxh64
    import xxhash
    _xxh64 = xxhash.xxh64_intdigest
    return _xxh64(data)


def fnv1a32(typeid: str) -> int:
    """32-bit FNV-1a of ``typeid``: LLVM's ``-fsanitize-kcfi-hash=FNV-1a``."""
    h = 0x811C9DC5
    for byte in typeid.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


KCFI_HASHES: Mapping[str, Callable[[str], int]] = MappingProxyType({
    "xxhash64": xxhash64_low32,
    "fnv1a": fnv1a32,
})


def kcfi_hash(typeid: str, algorithm: str = "xxhash64") -> int:
    """The KCFI hash of a full type id string (``_ZTSFvlE``, ``_ZTSFvu3i64E.normalized``)."""
    try:
        hash_function = KCFI_HASHES[algorithm]
    except KeyError:
        raise UsageError(f"unknown KCFI hash {algorithm!r}; known: {', '.join(KCFI_HASHES)}"
                         ) from None
    try:
        return hash_function(typeid)
    except UnicodeEncodeError as e:  # a lone surrogate (a salt or cfi_encoding from bytes)
        raise UsageError(f"the type id is not UTF-8 text (lone surrogate "
                         f"U+{ord(typeid[e.start]):04X}), so it has no KCFI hash") from None


def as_signed32(value: int) -> int:
    """The hash as LLVM IR prints it (``!{i32 -1109213240}``)."""
    return value - (1 << 32) if value & 0x80000000 else value
