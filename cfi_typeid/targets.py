"""Targets as data: integer sizes, the signedness of ``char``, and the typedefs a user expects.

Every figure here was read from clang-19 itself (``clang-19 -target T -dM -E -x c /dev/null``:
``__SIZEOF_LONG__``, ``__CHAR_UNSIGNED__``, ``__SIZE_TYPE__`` ...) and from glibc's headers for
the typedefs clang does not predefine (``ssize_t``).  ``tests/test_targets.py`` checks the table
against clang's predefined macros, so a wrong row fails a test rather than an encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from .errors import UsageError
from .model import CInt

class CStandard:
    """What a C language standard (clang's ``-std=``) changes in what a declaration means.

    Each flag is a rule clang-19 applies under ``-std=c23`` and not under its default,
    ``gnu17`` (``tests/test_c23.py`` checks each against clang-19).  Everything else is the
    same in both: clang accepts ``[[attributes]]``, ``typeof``, ``_BitInt(N)``, ``alignof``
    and binary literals in gnu17 too, and so do we.  A plain class with slots, not a frozen
    dataclass: creating that class costs every run ~8 M instructions (2% of a one-off
    ``encode``); the instances are the table's, compared by identity.
    """

    __slots__ = ("name", "empty_parentheses_are_void", "bare_ellipsis",
                 "bool_and_nullptr_keywords", "digit_separators", "constexpr",
                 "knr_definitions")

    def __init__(self, name: str, *, c23: bool) -> None:
        self.name = name
        #: C23 6.7.6.3: ``void f()`` is a prototype without parameters (``_ZTSFvvE``), not
        #: an unprototyped declaration (``_ZTSFvE``)
        self.empty_parentheses_are_void = c23
        #: ``void f(...)``, a variadic function without a named parameter
        self.bare_ellipsis = c23
        #: the keywords ``true``, ``false`` (``bool`` constants 1 and 0) and ``nullptr``
        self.bool_and_nullptr_keywords = c23
        #: digit separators in integer literals (``1'000``)
        self.digit_separators = c23
        #: the keyword ``constexpr`` (its objects are refused, saying so: not modelled)
        self.constexpr = c23
        #: K&R definitions (``int f(a) int a; {...}``), which C23 removed
        self.knr_definitions = not c23

    def __repr__(self) -> str:
        return f"CStandard({self.name!r})"

    @property
    def clang_flag(self) -> str:
        """The flag that asks clang for this standard."""
        return f"-std={self.name}"


#: The standards ``--std`` takes: clang-19's default and C23 (``gnu23``: the same rules).
C_STANDARDS: Mapping[str, CStandard] = MappingProxyType({
    "gnu17": CStandard("gnu17", c23=False),
    "c23": CStandard("c23", c23=True),
    "gnu23": CStandard("gnu23", c23=True),
})
DEFAULT_C_STANDARD = "gnu17"


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
    #: rustc's ``target_arch``, ``target_os`` and ``target_env`` (``--print target-spec-json``):
    #: what the Rust ABI table (:mod:`cfi_typeid.rust.abi`) depends on.
    arch: str = "x86_64"
    os: str = "linux"
    env: str = "gnu"
    #: The triple clang-19 is given for this target (rustc's ``llvm-target``).
    clang_triple: str = ""
    #: The key of the C front end's per-architecture tables (``__builtin_va_list``, ``__bf16``).
    c_arch: str = "x86_64"
    #: The CFI sanitizers rustc 1.95's built-in spec of this target supports (others need a
    #: custom target spec that adds them; the type ids do not change).
    rustc_sanitizers: frozenset[str] = frozenset()
    #: The C standard declarations are read in (see :func:`with_c_standard`): part of the
    #: target's value so that every cache keyed by the target keeps the two apart.
    c_standard: CStandard = C_STANDARDS[DEFAULT_C_STANDARD]

    def __hash__(self) -> int:
        # The front ends' caches key on the target several times a line, and a dataclass
        # hash would hash all its fields each time; equal targets have equal triples.
        return hash(self.triple)

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

    @property
    def microsoft_mangling(self) -> bool:
        """Whether clang mangles C type ids the Microsoft way here (``?6AHHJ@Z``): ``*-msvc``.
        rustc's ids stay Itanium on every target."""
        return self.os == "windows" and self.env == "msvc"

    @property
    def armv8m(self) -> bool:
        """Armv8-M (``thumbv8m.*``): the targets of the CMSE ABIs."""
        return self.triple.startswith("thumbv8m")


_FIXED_BITS: Mapping[CInt, int] = {
    CInt.CHAR: 8, CInt.SCHAR: 8, CInt.UCHAR: 8,
    CInt.SHORT: 16, CInt.USHORT: 16,
    CInt.INT: 32, CInt.UINT: 32,
    CInt.LLONG: 64, CInt.ULLONG: 64,
    CInt.INT128: 128, CInt.UINT128: 128,
}
_SIGNED = frozenset({CInt.SCHAR, CInt.SHORT, CInt.INT, CInt.LONG, CInt.LLONG, CInt.INT128})

#: The typedefs that differ between C libraries and ABIs, beyond LP64 / ILP32.
_LLP64_TYPEDEFS: Mapping[str, str] = {  # 64-bit Windows: long is 32 bits
    "size_t": "unsigned long long", "ssize_t": "long long", "ptrdiff_t": "long long",
    "intptr_t": "long long", "uintptr_t": "unsigned long long", "intmax_t": "long long",
    "uintmax_t": "unsigned long long", "int64_t": "long long", "uint64_t": "unsigned long long",
}
_INT64_LLONG: Mapping[str, str] = {"int64_t": "long long", "uint64_t": "unsigned long long"}


def _target(triple: str, *, bits: int, char_signed: bool, float128: bool,
            wchar: str, float16: bool = True, arm: bool = False,
            max_bitint: int = 128, arch: str = "x86_64", os: str = "linux", env: str = "gnu",
            clang: str = "", c_arch: str = "", wint: str = "unsigned int", llp64: bool = False,
            int64_llong: bool = False, bf16: bool | None = None,
            sanitizers: tuple[str, ...] = ()) -> Target:
    base = {**(_LP64_TYPEDEFS if bits == 64 else _ILP32_TYPEDEFS),
            **(_LLP64_TYPEDEFS if llp64 else {}), **(_INT64_LLONG if int64_llong else {}),
            "wchar_t": wchar, "wint_t": wint}
    return Target(
        triple=triple,
        pointer_bits=bits,
        long_bits=32 if llp64 else bits,
        char_signed=char_signed,
        has_int128=bits == 64,
        has_float128=float128,
        typedefs=MappingProxyType(base),
        has_float16=float16,
        has_bf16=float16 if bf16 is None else bf16,
        half_args=arm,
        max_bitint=max_bitint,
        arch=arch,
        os=os,
        env=env,
        clang_triple=clang or triple,
        c_arch=c_arch or triple.split("-", 1)[0],
        rustc_sanitizers=frozenset(sanitizers),
    )


_X86_64: dict[str, Any] = dict(bits=64, char_signed=True, wchar="int", max_bitint=8388608)
_AARCH64: dict[str, Any] = dict(bits=64, char_signed=False, float128=False, wchar="unsigned int", arm=True,
                arch="aarch64", c_arch="aarch64")
_DARWIN: dict[str, Any] = dict(os="macos", env="", wint="int", int64_llong=True)
_BARE: dict[str, Any] = dict(os="none", env="", wint="int")
_LOONGARCH: dict[str, Any] = dict(bits=64, char_signed=True, float128=False, wchar="int", float16=False,
                  arch="loongarch64", c_arch="loongarch64", sanitizers=("cfi",))
_THUMB: dict[str, Any] = dict(bits=32, char_signed=False, float128=False, wchar="unsigned int", arm=True,
              arch="arm", c_arch="armv7", os="none", wint="int")
_CFI = ("cfi",)
_BOTH = ("cfi", "kcfi")
_KCFI = ("kcfi",)

TARGETS: Mapping[str, Target] = MappingProxyType({
    t.triple: t for t in (
        _target("x86_64-unknown-linux-gnu", float128=True, sanitizers=_BOTH, **_X86_64),
        _target("aarch64-unknown-linux-gnu", sanitizers=_BOTH, **_AARCH64),
        _target("i686-unknown-linux-gnu", bits=32, char_signed=True, float128=True,
                wchar="int", float16=False, max_bitint=8388608, arch="x86"),
        _target("armv7-unknown-linux-gnueabihf", bits=32, char_signed=False, float128=False,
                wchar="unsigned int", arm=True, arch="arm"),
        _target("riscv64-unknown-linux-gnu", bits=64, char_signed=False, float128=False,
                wchar="int", arch="riscv64"),
        # the other targets rustc 1.95 builds -Zsanitizer=cfi or kcfi for
        _target("x86_64-unknown-linux-musl", float128=True, env="musl", sanitizers=_CFI,
                **_X86_64),
        _target("x86_64-unknown-linux-ohos", float128=True, env="ohos", sanitizers=_CFI,
                clang="x86_64-unknown-linux-ohos", **_X86_64),
        _target("x86_64-unknown-freebsd", float128=True, os="freebsd", env="", wint="int",
                sanitizers=_CFI, **_X86_64),
        _target("x86_64-unknown-netbsd", float128=True, os="netbsd", env="", wint="int",
                sanitizers=_CFI, **_X86_64),
        _target("x86_64-unknown-illumos", float128=True, os="illumos", env="", wint="int",
                clang="x86_64-pc-solaris", sanitizers=_CFI, **_X86_64),
        _target("x86_64-pc-solaris", float128=True, os="solaris", env="", wint="int",
                sanitizers=_CFI, **_X86_64),
        _target("x86_64-unknown-fuchsia", float128=False, os="fuchsia", env="",
                sanitizers=_CFI, **_X86_64),
        _target("x86_64-lynx-lynxos178", float128=False, os="lynxos178", env="", wint="int",
                clang="x86_64-unknown-unknown-gnu", sanitizers=_BOTH, **_X86_64),
        _target("x86_64-unknown-none", float128=False, clang="x86_64-unknown-none-elf",
                sanitizers=_KCFI, **_BARE, **_X86_64),
        _target("x86_64-apple-darwin", float128=False, clang="x86_64-apple-macosx",
                sanitizers=_CFI, **_DARWIN, **_X86_64),
        _target("x86_64h-apple-darwin", float128=False, clang="x86_64h-apple-macosx",
                c_arch="x86_64", sanitizers=_CFI, **_DARWIN, **_X86_64),
        _target("aarch64-unknown-linux-musl", env="musl", sanitizers=_CFI, **_AARCH64),
        _target("aarch64-unknown-linux-ohos", env="ohos", sanitizers=_CFI, **_AARCH64),
        _target("aarch64-linux-android", os="android", env="", sanitizers=_CFI, **_AARCH64),
        _target("aarch64-unknown-freebsd", os="freebsd", env="", wint="int", sanitizers=_CFI,
                **_AARCH64),
        _target("aarch64-unknown-fuchsia", os="fuchsia", env="", sanitizers=_CFI,
                **_AARCH64),
        _target("aarch64-unknown-illumos", os="illumos", env="", wint="int",
                clang="aarch64-unknown-solaris2.11", sanitizers=_CFI, **_AARCH64),
        _target("aarch64-unknown-none", sanitizers=_KCFI, **_BARE, **_AARCH64),
        _target("aarch64-unknown-none-softfloat", clang="aarch64-unknown-none",
                sanitizers=_KCFI, **_BARE, **_AARCH64),
        _target("aarch64-unknown-nuttx", clang="aarch64-unknown-none", os="nuttx", env="",
                wint="int", sanitizers=_KCFI, **_AARCH64),
        _target("aarch64_be-unknown-linux-musl", env="musl", sanitizers=_CFI, **_AARCH64),
        _target("aarch64_be-unknown-none-softfloat", clang="aarch64_be-unknown-none",
                sanitizers=_KCFI, **_BARE, **_AARCH64),
        _target("aarch64v8r-unknown-none", clang="aarch64-unknown-none", sanitizers=_KCFI,
                **_BARE, **_AARCH64),
        _target("aarch64v8r-unknown-none-softfloat", clang="aarch64-unknown-none",
                sanitizers=_KCFI, **_BARE, **_AARCH64),
        _target("aarch64-apple-darwin", clang="arm64-apple-macosx", sanitizers=_CFI,
                **{**_AARCH64, **_DARWIN, "char_signed": True, "wchar": "int",
                   "c_arch": "aarch64-darwin"}),
        _target("arm64e-apple-darwin", clang="arm64e-apple-macosx", sanitizers=_CFI,
                **{**_AARCH64, **_DARWIN, "char_signed": True, "wchar": "int",
                   "c_arch": "aarch64-darwin"}),
        _target("loongarch64-unknown-linux-gnu", **_LOONGARCH),
        _target("loongarch64-unknown-linux-musl", env="musl", **_LOONGARCH),
        _target("loongarch64-unknown-linux-ohos", env="ohos", **_LOONGARCH),
        # Windows: rustc's ids stay Itanium; clang's are Microsoft-mangled on *-msvc
        _target("x86_64-pc-windows-msvc", float128=False, os="windows", env="msvc",
                wint="unsigned short", llp64=True,
                c_arch="x86_64-windows", **{**_X86_64, "wchar": "unsigned short"}),
        _target("x86_64-pc-windows-gnu", float128=True, os="windows", env="gnu",
                wint="unsigned short", llp64=True, c_arch="x86_64-windows",
                **{**_X86_64, "wchar": "unsigned short"}),
        _target("i686-pc-windows-msvc", bits=32, char_signed=True, float128=False,
                wchar="unsigned short", wint="unsigned short", float16=False,
                max_bitint=8388608, arch="x86", os="windows", env="msvc", c_arch="i686"),
        # embedded
        _target("thumbv8m.main-none-eabi", env="", bf16=False, **_THUMB),
        _target("thumbv8m.main-none-eabihf", env="", **_THUMB),
        _target("thumbv7em-none-eabihf", env="", **_THUMB),
        _target("riscv64gc-unknown-none-elf", bits=64, char_signed=False, float128=False,
                wchar="int", arch="riscv64", clang="riscv64", c_arch="riscv64",
                **{**_BARE, "wint": "unsigned int"}),
    )
})

#: rustc's names for targets the table knows by clang's.
ALIASES: Mapping[str, str] = MappingProxyType({
    "riscv64gc-unknown-linux-gnu": "riscv64-unknown-linux-gnu",
})

DEFAULT_TARGET = "x86_64-unknown-linux-gnu"


def get_target(triple: str) -> Target:
    """The target named ``triple`` (rustc's name or clang's; a few short aliases such as
    ``x86_64`` are accepted)."""
    found = TARGETS.get(ALIASES.get(triple, triple)) or next(
        (t for name, t in TARGETS.items() if name.split("-", 1)[0] == triple), None)
    if found is None:
        raise UsageError(f"unknown target {triple!r}; known targets: {', '.join(TARGETS)}")
    return found


def c_standard(name: str) -> CStandard:
    """The C standard ``name`` (``gnu17``, ``c23``, ``gnu23``), or a usage error."""
    standard = C_STANDARDS.get(name)
    if standard is None:
        raise UsageError(f"unknown C standard {name!r}; known: {', '.join(C_STANDARDS)}")
    return standard


def with_c_standard(target: Target, name: str) -> Target:
    """``target`` reading C as the standard ``name`` (``gnu17``, ``c23``, ``gnu23``)."""
    standard = c_standard(name)
    if standard is target.c_standard:
        return target
    return replace(target, c_standard=standard)
