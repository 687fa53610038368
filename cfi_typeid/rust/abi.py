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

#: Per architecture (the triple's first component): (accepted ABIs, those lowering to C).
_ARCH_ABIS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = MappingProxyType({
    "x86_64": (_EVERYWHERE | _VECTORCALL | _X86_64_ONLY, _C_EVERYWHERE),
    "i686": (_EVERYWHERE | _VECTORCALL | _X86_ONLY, _C_EVERYWHERE | {"efiapi"}),
    "aarch64": (_EVERYWHERE, _C_EVERYWHERE | {"efiapi"}),
    "armv7": (_EVERYWHERE | {"aapcs", "aapcs-unwind"}, _C_EVERYWHERE),
    "riscv64": (_EVERYWHERE | {"riscv-interrupt-m", "riscv-interrupt-s"},
                _C_EVERYWHERE | {"efiapi"}),
})

#: ABIs whose calling convention passes zero-sized arguments, which rustc then encodes, per
#: architecture: everywhere else a zero-sized parameter is ignored and left out of the id.
_KEEPS_ZERO_SIZED: Mapping[str, frozenset[str]] = MappingProxyType({
    "x86_64": frozenset({"win64", "win64-unwind", "vectorcall", "vectorcall-unwind"}),
})

#: ABIs whose function pointers spell repr(C) types by name (rustc's ``ExternAbi::C``).
FN_POINTER_C_ABIS = frozenset({"C", "C-unwind"})


def _arch(target: Target) -> str:
    return target.triple.split("-", 1)[0]


def check_abi(abi: str, target: Target, text: str, at: int, what: str = "input") -> None:
    """Raise the error rustc gives (E0703 / E0570) for an ABI string ``target`` rejects."""
    accepted, _ = _ARCH_ABIS[_arch(target)]
    if abi not in ALL_ABIS:
        raise ParseError(f'invalid ABI: found "{abi}"; rustc knows: {", ".join(ALL_ABIS)}',
                         text, at, what=what)
    if abi not in accepted:
        raise ParseError(f'"{abi}" is not a supported ABI for {target.triple}', text, at,
                         what=what)


def function_spells_repr_c_by_name(abi: str, target: Target) -> bool:
    """Whether a function's own signature with ``abi`` spells repr(C) types ``<len><name>``."""
    return abi in _ARCH_ABIS[_arch(target)][1]


def pointer_spells_repr_c_by_name(abi: str) -> bool:
    """Whether a fn-pointer type with ``abi`` spells repr(C) types ``<len><name>``."""
    return abi in FN_POINTER_C_ABIS


def skips_zero_sized_params(abi: str, target: Target) -> bool:
    """Whether a function's own zero-sized parameters are left out of its type id."""
    return abi not in _KEEPS_ZERO_SIZED.get(_arch(target), frozenset())
