"""Targets as data: integer sizes, the signedness of ``char``, and the typedefs a user expects.

Every figure here was read from clang-19 itself (``clang-19 -target T -dM -E -x c /dev/null``:
``__SIZEOF_LONG__``, ``__CHAR_UNSIGNED__``, ``__SIZE_TYPE__`` ...) and from glibc's headers for
the typedefs clang does not predefine (``ssize_t``).  ``tests/test_targets.py`` checks the table
against clang's predefined macros, so a wrong row fails a test rather than an encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .errors import UsageError
from .model import CInt

_LP64_TYPEDEFS: Mapping[str, str] = {
    "size_t": "unsigned long",
    "ssize_t": "long",
    "ptrdiff_t": "long",
    "intptr_t": "long",
    "uintptr_t": "unsigned long",
    "intmax_t": "long",
    "uintmax_t": "unsigned long",
    "int8_t": "signed char",
    "int16_t": "short",
    "int32_t": "int",
    "int64_t": "long",
    "uint8_t": "unsigned char",
    "uint16_t": "unsigned short",
    "uint32_t": "unsigned int",
    "uint64_t": "unsigned long",
    "char16_t": "unsigned short",
    "char32_t": "unsigned int",
    "wint_t": "unsigned int",
    "wchar_t": "int",
    "off_t": "long",
    "pid_t": "int",
    "uid_t": "unsigned int",
    "gid_t": "unsigned int",
    "bool": "_Bool",
}

_ILP32_TYPEDEFS: Mapping[str, str] = {
    **_LP64_TYPEDEFS,
    "size_t": "unsigned int",
    "ssize_t": "int",
    "ptrdiff_t": "int",
    "intptr_t": "int",
    "uintptr_t": "unsigned int",
    "intmax_t": "long long",
    "uintmax_t": "unsigned long long",
    "int64_t": "long long",
    "uint64_t": "unsigned long long",
    "off_t": "long",
}


@dataclass(frozen=True, slots=True)
class Target:
    """What a target changes in a type id: sizes (for normalisation), char signedness,
    which types exist, and the predefined typedefs (each a C type name, parsed like a prelude).
    """

    triple: str
    pointer_bits: int
    long_bits: int
    char_signed: bool
    has_int128: bool
    has_float128: bool
    typedefs: Mapping[str, str] = field(compare=False)
    #: Optional types clang-19 accepts here: ``_Float16``, ``__bf16`` (i686 has neither), and
    #: ``__fp16`` as a parameter or return type rather than only behind a pointer (ARM only).
    has_float16: bool = True
    has_bf16: bool = True
    half_args: bool = False
    #: The widest ``_BitInt`` clang-19 accepts (x86 raises LLVM's 128 to 8388608).
    max_bitint: int = 128

    def int_bits(self, kind: CInt) -> int:
        """Size in bits of a C integer type on this target."""
        if kind in (CInt.LONG, CInt.ULONG):
            return self.long_bits
        return _FIXED_BITS[kind]

    def int_signed(self, kind: CInt) -> bool:
        """Signedness of a C integer type on this target (``char`` varies)."""
        if kind is CInt.CHAR:
            return self.char_signed
        return kind in _SIGNED


_FIXED_BITS: Mapping[CInt, int] = {
    CInt.CHAR: 8, CInt.SCHAR: 8, CInt.UCHAR: 8,
    CInt.SHORT: 16, CInt.USHORT: 16,
    CInt.INT: 32, CInt.UINT: 32,
    CInt.LLONG: 64, CInt.ULLONG: 64,
    CInt.INT128: 128, CInt.UINT128: 128,
}
_SIGNED = frozenset({CInt.SCHAR, CInt.SHORT, CInt.INT, CInt.LONG, CInt.LLONG, CInt.INT128})


def _target(triple: str, *, bits: int, char_signed: bool, float128: bool,
            wchar: str, float16: bool = True, arm: bool = False,
            max_bitint: int = 128) -> Target:
    base = _LP64_TYPEDEFS if bits == 64 else _ILP32_TYPEDEFS
    return Target(
        triple=triple,
        pointer_bits=bits,
        long_bits=bits,
        char_signed=char_signed,
        has_int128=bits == 64,
        has_float128=float128,
        typedefs=MappingProxyType({**base, "wchar_t": wchar}),
        has_float16=float16,
        has_bf16=float16,
        half_args=arm,
        max_bitint=max_bitint,
    )


TARGETS: Mapping[str, Target] = MappingProxyType({
    t.triple: t for t in (
        _target("x86_64-unknown-linux-gnu", bits=64, char_signed=True, float128=True,
                wchar="int", max_bitint=8388608),
        _target("aarch64-unknown-linux-gnu", bits=64, char_signed=False, float128=False,
                wchar="unsigned int", arm=True),
        _target("i686-unknown-linux-gnu", bits=32, char_signed=True, float128=True,
                wchar="int", float16=False, max_bitint=8388608),
        _target("armv7-unknown-linux-gnueabihf", bits=32, char_signed=False, float128=False,
                wchar="unsigned int", arm=True),
        _target("riscv64-unknown-linux-gnu", bits=64, char_signed=False, float128=False,
                wchar="int"),
    )
})

DEFAULT_TARGET = "x86_64-unknown-linux-gnu"


def get_target(triple: str) -> Target:
    """The target named ``triple`` (a few short aliases such as ``x86_64`` are accepted)."""
    found = TARGETS.get(triple) or next(
        (t for name, t in TARGETS.items() if name.split("-", 1)[0] == triple), None)
    if found is None:
        raise UsageError(f"unknown target {triple!r}; known targets: {', '.join(TARGETS)}")
    return found
