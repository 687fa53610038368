"""Rust ABI strings as data: which ones a target accepts, and which make rustc spell a
``#[repr(C)]`` type by its bare name (``2Pt``) rather than by its path.

Two rules, both read from rustc 1.95 (``tests/test_rust_abi.py`` compiles every string on every
target and checks this table):

* a function's own signature: rustc asks the *calling convention the ABI lowers to on the
  target* (``CanonAbi::C``): ``"C"``, ``"system"``, ``"cdecl"``, ``"unadjusted"`` and their
  ``-unwind`` forms everywhere; ``"efiapi"`` except on x86_64 and ARM, where it is Win64 / AAPCS;
* a function pointer inside a signature: rustc asks the ABI *as written*, and only ``"C"`` and
  ``"C-unwind"`` count (``extern "system" fn(Pt)`` spells ``Pt`` by its path).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from ..errors import ParseError
from ..targets import Target

#: Every ABI string rustc 1.95 knows, for the error message.
ALL_ABIS = (
    "Rust", "C", "C-unwind", "system", "system-unwind", "cdecl", "cdecl-unwind", "stdcall",
    "stdcall-unwind", "fastcall", "fastcall-unwind", "thiscall", "thiscall-unwind",
    "vectorcall", "vectorcall-unwind", "sysv64", "sysv64-unwind", "win64", "win64-unwind",
    "efiapi", "aapcs", "aapcs-unwind", "x86-interrupt", "riscv-interrupt-m",
    "riscv-interrupt-s", "cmse-nonsecure-call", "cmse-nonsecure-entry", "ptx-kernel",
    "gpu-kernel", "msp430-interrupt", "avr-interrupt", "avr-non-blocking-interrupt",
    "rust-call", "rust-cold", "rust-preserve-none", "unadjusted", "custom",
)

_EVERYWHERE = frozenset({
    "Rust", "C", "C-unwind", "system", "system-unwind", "cdecl", "cdecl-unwind", "efiapi",
    "rust-call", "rust-cold", "rust-preserve-none", "unadjusted", "custom",
})
_C_EVERYWHERE = frozenset({"C", "C-unwind", "system", "system-unwind", "cdecl", "cdecl-unwind",
                           "unadjusted"})
_X86_ONLY = frozenset({"stdcall", "stdcall-unwind", "fastcall", "fastcall-unwind", "thiscall",
                       "thiscall-unwind"})
_VECTORCALL = frozenset({"vectorcall", "vectorcall-unwind", "x86-interrupt"})
_X86_64_ONLY = frozenset({"sysv64", "sysv64-unwind", "win64", "win64-unwind"})

_AAPCS = frozenset({"aapcs", "aapcs-unwind"})
_CMSE = frozenset({"cmse-nonsecure-call", "cmse-nonsecure-entry"})
_WIN64_KEEPS = frozenset({"win64", "win64-unwind", "vectorcall", "vectorcall-unwind"})
_X86_ON_WIN64 = frozenset({"stdcall", "stdcall-unwind", "fastcall", "fastcall-unwind"})


@dataclass(frozen=True, slots=True)
class AbiRow:
    """One target's ABI facts: the ABI strings rustc accepts, those whose calling convention
    is C's (``CanonAbi::C``: ``repr(C)`` types spelled by name), and those that pass
    zero-sized arguments (which rustc then encodes; elsewhere they are left out)."""

    accepted: frozenset[str]
    lowers_to_c: frozenset[str]
    keeps_zero_sized: frozenset[str] = frozenset()


#: Per (architecture, is Windows): the rows, as rustc 1.95 has them (``tests/test_rust_abi.py``
#: compiles every string on a target of each row).  On Windows x86_64 ``"C"`` is the Win64
#: convention, which passes zero-sized arguments, and ``stdcall``/``fastcall`` are C; on
#: Windows i686 ``"system"`` is ``stdcall``.
_ROWS: Mapping[tuple[str, bool], AbiRow] = MappingProxyType({
    ("x86_64", False): AbiRow(_EVERYWHERE | _VECTORCALL | _X86_64_ONLY, _C_EVERYWHERE,
                              _WIN64_KEEPS),
    ("x86_64", True): AbiRow(
        _EVERYWHERE | _VECTORCALL | _X86_64_ONLY | _X86_ON_WIN64, _C_EVERYWHERE | _X86_ON_WIN64,
        (_C_EVERYWHERE - {"unadjusted"}) | _X86_ON_WIN64 | _WIN64_KEEPS | {"efiapi"}),
    ("x86", False): AbiRow(_EVERYWHERE | _VECTORCALL | _X86_ONLY, _C_EVERYWHERE | {"efiapi"}),
    ("x86", True): AbiRow(_EVERYWHERE | _VECTORCALL | _X86_ONLY,
                          _C_EVERYWHERE - {"system", "system-unwind"} | {"efiapi"}),
    ("aarch64", False): AbiRow(_EVERYWHERE, _C_EVERYWHERE | {"efiapi"}),
    ("arm", False): AbiRow(_EVERYWHERE | _AAPCS, _C_EVERYWHERE),
    ("riscv64", False): AbiRow(_EVERYWHERE | {"riscv-interrupt-m", "riscv-interrupt-s"},
                               _C_EVERYWHERE | {"efiapi"}),
    ("loongarch64", False): AbiRow(_EVERYWHERE, _C_EVERYWHERE | {"efiapi"}),
})


@lru_cache(maxsize=None)
def abi_row(target: Target) -> AbiRow:
    """The ABI facts of ``target`` (Armv8-M adds the CMSE ABIs to Arm's row)."""
    row = _ROWS[target.arch, target.os == "windows"]
    if target.armv8m:
        row = AbiRow(row.accepted | _CMSE, row.lowers_to_c, row.keeps_zero_sized)
    return row


#: ABIs whose function pointers spell repr(C) types by name (rustc's ``ExternAbi::C``).
FN_POINTER_C_ABIS = frozenset({"C", "C-unwind"})


def check_abi(abi: str, target: Target, text: str, at: int, what: str = "input") -> None:
    """Raise the error rustc gives (E0703 / E0570) for an ABI string ``target`` rejects."""
    accepted = abi_row(target).accepted
    if abi not in ALL_ABIS:
        raise ParseError(f'invalid ABI: found "{abi}"; rustc knows: {", ".join(ALL_ABIS)}',
                         text, at, what=what)
    if abi not in accepted:
        raise ParseError(f'"{abi}" is not a supported ABI for {target.triple}', text, at,
                         what=what)


def function_spells_repr_c_by_name(abi: str, target: Target) -> bool:
    """Whether a function's own signature with ``abi`` spells repr(C) types ``<len><name>``."""
    return abi in abi_row(target).lowers_to_c


def pointer_spells_repr_c_by_name(abi: str) -> bool:
    """Whether a fn-pointer type with ``abi`` spells repr(C) types ``<len><name>``."""
    return abi in FN_POINTER_C_ABIS


def skips_zero_sized_params(abi: str, target: Target) -> bool:
    """Whether a function's own zero-sized parameters are left out of its type id."""
    return abi not in abi_row(target).keeps_zero_sized


#: Targets without SSE2 (soft-float kernels), where rustc 1.95 refuses to define a function
#: with an ABI that needs it ("requires the `sse2` target feature").
_NO_SSE2 = frozenset({"x86_64-unknown-none"})
_NEEDS_SSE2 = frozenset({"vectorcall", "vectorcall-unwind"})


def check_item_abi(abi: str, target: Target, text: str, at: int, what: str = "input") -> None:
    """:func:`check_abi` for a function item (a definition), which some ABIs need more for."""
    check_abi(abi, target, text, at, what)
    if abi in _NEEDS_SSE2 and target.triple in _NO_SSE2:
        raise ParseError(f'a function definition with ABI "{abi}" requires the sse2 target '
                         f"feature, which {target.triple} does not enable", text, at, what=what)
