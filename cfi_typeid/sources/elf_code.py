"""KCFI in machine code: the tag in front of each function and the check before each indirect
call, found in the bytes of the sections functions live in (:mod:`cfi_typeid.sources.elf`
reads the file and hands them over).

Where the tag sits (verified with clang-19 and rustc 1.95, see ``FACTS.md``); N is the prefix
of ``-fpatchable-function-entry=M,N``, found here from the nops themselves:

- x86-64 / i686: a ``__cfi_<fn>`` preamble ends in ``movl $hash, %reg`` (``b8+r imm32``; the
  register is the argument count under ``-Zsanitizer-kcfi-arity``), then N one-byte nops:
  tag at fn − 4 − N.
- AArch64: ``.word hash`` then N ``nop`` words: fn − 4 − 4N.  RISC-V: N ``c.nop``: fn − 4 − 2N.
  Arm: fn − 4 (clang has no patchable entry there); Thumb symbols have bit 0 set.

Call sites: x86-64 ``movl $-hash, %r10d; addl -(4+N)(%reg), %r10d; je; ud2``; AArch64
``ldur wA, [xT, #-(4+4N)]; movk wB, #lo; movk wB, #hi, lsl #16; cmp wA, wB``; RISC-V
``lw t1, -(4+2N)(aT); lui t2, hi; addiw t2, t2, lo``.
"""

from __future__ import annotations

import re
import struct
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterator

from .elf_records import NOP_SIZE, CallSite, FunctionTag
from .elf_tables import SHN_ABS, Symbol

_NOPS = {"x86_64": b"\x90", "i686": b"\x90", "aarch64": b"\x1f\x20\x03\xd5",
         "riscv": b"\x01\x00", "arm": b"\x00\xf0\x20\xe3"}
#: The name prefix of x86's KCFI preamble symbols (``__cfi_<fn>``).
PREAMBLE = "__cfi_"


@dataclass(slots=True)
class CodeSymbol:
    name: str
    value: int
    size: int
    shndx: int


@dataclass(slots=True)
class CodeSection:
    name: str
    data: bytes
    addr: int
    #: Offset in section → (symbol index, addend; None for REL, whose addend is in place).
    relocs: dict[int, tuple[int, int | None]]
    #: Sorted [start, end) of the function symbols in it, for "is this inside a function".
    starts: list[int] = field(default_factory=list)
    ranges: list[tuple[int, int, str]] = field(default_factory=list)
    data_marks: set[int] = field(default_factory=set)
    has_marks: bool = False
    #: The symbol table the relocations index (relocatable objects).
    symbols: list[Symbol] = field(default_factory=list)

    def inside_function(self, offset: int) -> str | None:
        i = bisect_right(self.starts, offset) - 1
        if i >= 0 and self.ranges[i][0] <= offset < self.ranges[i][1]:
            return self.ranges[i][2]
        return None


def resolve_relocation(sec: CodeSection, at: int) -> tuple[str, int | None] | None:
    """The symbol name and, when it is absolute (``__kcfi_typeid_f``), the value a relocation
    at ``at`` puts there."""
    reloc = sec.relocs.get(at)
    if reloc is None or reloc[0] >= len(sec.symbols):
        return None
    index, addend = reloc
    sym = sec.symbols[index]
    if addend is None:  # REL: the addend is in place
        addend = int.from_bytes(sec.data[at:at + 4], "little")
    if sym.shndx != SHN_ABS:
        return sym.name, None
    return sym.name, (sym.value + addend) & 0xFFFFFFFF


# ---- tags ----------------------------------------------------------------------------------

def function_tags(symbols: list[CodeSymbol], sections: dict[int, CodeSection], arch: str,
                   path: str) -> tuple[tuple[FunctionTag, ...], int]:
    preambles = {s.name[len(PREAMBLE):]: s for s in symbols
                 if s.shndx > 0 and s.name.startswith(PREAMBLE)}
    x86 = arch in ("x86_64", "i686")
    scan_x86 = x86 and not preambles  # a stripped file: find the movl from the code alone
    found: list[FunctionTag] = []
    seen: set[tuple[str, int, int]] = set()
    untagged = 0
    for sym in symbols:
        if sym.shndx <= 0 or sym.name.startswith(PREAMBLE) or sym.shndx not in sections:
            continue
        if (sym.name, sym.shndx, sym.value) in seen:
            continue
        seen.add((sym.name, sym.shndx, sym.value))
        sec = sections[sym.shndx]
        fn = sym.value - sec.addr
        hit: tuple[int, int | None] | None
        if x86:
            pre = preambles.get(sym.name)
            hit = _x86_tag(sec, fn, pre.value - sec.addr + pre.size if pre else None, scan_x86)
        else:
            hit = _word_tag(sec, fn, arch)
        if hit is None:
            untagged += 1
            continue
        tag_at, opcode = hit
        tag, tag_symbol = _tag_value(sec, tag_at)
        found.append(FunctionTag(sym.name, sym.value, sec.name, tag, tag_at - fn,
                                 (fn - tag_at - 4) // NOP_SIZE[arch], opcode, tag_symbol, path))
    if x86 and any(f.arity not in (None, 0) for f in found):
        return tuple(found), untagged  # built with arity: every register number is one
    return tuple(_without_arity(f) for f in found), untagged


def _without_arity(f: FunctionTag) -> FunctionTag:
    return f if f.arity is None else FunctionTag(f.name, f.address, f.section, f.tag, f.offset,
                                                 f.prefix_nops, None, f.tag_symbol, f.file)


def _tag_value(sec: CodeSection, at: int) -> tuple[int | None, str]:
    reloc = resolve_relocation(sec, at)
    if reloc is not None:
        return reloc[1], reloc[0]
    return int.from_bytes(sec.data[at:at + 4], "little"), ""


def _x86_tag(sec: CodeSection, fn: int, preamble_end: int | None,
             scan: bool) -> tuple[int, int] | None:
    """(offset of the imm32, register number) of fn's ``movl $hash, %reg``, or None."""
    data = sec.data
    if preamble_end is not None:
        ends = [preamble_end]
    elif scan:
        run = 0
        while fn - run - 1 >= 0 and data[fn - run - 1] == 0x90 and run < 64:
            run += 1
        ends = [fn - k for k in range(run, max(-1, run - 5), -1)]
    else:
        return None
    for end in ends:
        op = end - 5
        if op < 0 or not 0xB8 <= data[op] <= 0xBF or data[end:fn] != b"\x90" * (fn - end):
            continue
        if scan and (sec.inside_function(op) is not None or end > fn):
            continue
        return op + 1, data[op] - 0xB8
    return None


def _word_tag(sec: CodeSection, fn: int, arch: str) -> tuple[int, None] | None:
    """The offset of ``.word hash`` before fn (AArch64, RISC-V, Arm), or None."""
    nop, step = _NOPS[arch], NOP_SIZE[arch]
    at = fn
    if arch != "arm":
        while at - step >= 0 and sec.data[at - step:at] == nop and fn - at < 64 * step:
            at -= step
    at -= 4
    if at < 0 or sec.inside_function(at) is not None:
        return None
    if arch == "aarch64" and sec.has_marks:  # Arm's tags often sit under an $a symbol
        if at not in sec.data_marks:
            return None
    elif at not in sec.relocs and sec.data[at:at + 4] == b"\0\0\0\0":
        return None
    return at, None


# ---- call sites ----------------------------------------------------------------------------

_X86_CHECK = re.compile(rb"\x41\xba(?s:....)[\x44\x45]\x03")
_A64_CHECK = re.compile(rb"(?s)(?=(.{3}[\xb8].{3}\x72.{3}\x72))")
#: ``lw t1, off(aT)`` then ``lui t2, hi``: byte 0 of each fixes opcode and the low bit of rd.
_RISCV_CHECK = re.compile(rb"(?s)(?=(\x03[\x23\xa3]..\xb7))")


def call_sites(sections: dict[int, CodeSection], arch: str, path: str) -> Iterator[CallSite]:
    for sec in sections.values():
        if arch == "x86_64":
            yield from _x86_calls(sec, path)
        elif arch == "aarch64":
            yield from _a64_calls(sec, path)
        elif arch == "riscv":
            yield from _riscv_calls(sec, path)


def _site(sec: CodeSection, at: int, expected: int, offset: int, step: int,
          path: str) -> CallSite:
    return CallSite(sec.inside_function(at) or "", at + sec.addr, sec.name, expected, offset,
                    (-offset - 4) // step, path)


def _x86_calls(sec: CodeSection, path: str) -> Iterator[CallSite]:
    """``41 ba imm32`` (movl $-hash, %r10d), ``44/45 03 modrm [sib] disp`` (addl), ``74 02``
    (je), ``0f 0b`` (ud2): the sequence LLVM's X86 KCFI_CHECK lowering emits."""
    data = sec.data
    for m in _X86_CHECK.finditer(data):
        at = m.start()
        modrm = data[at + 8] if at + 8 < len(data) else 0
        mod, reg, rm = modrm >> 6, (modrm >> 3) & 7, modrm & 7
        if reg != 2 or mod not in (1, 2):
            continue
        disp_at = at + 9 + (rm == 4)
        size = 1 if mod == 1 else 4
        disp = int.from_bytes(data[disp_at:disp_at + size], "little", signed=True)
        tail = disp_at + size
        if data[tail:tail + 4] != b"\x74\x02\x0f\x0b":
            continue
        imm = int.from_bytes(data[at + 2:at + 6], "little")
        yield _site(sec, at, (-imm) & 0xFFFFFFFF, disp, 1, path)


def _a64_calls(sec: CodeSection, path: str) -> Iterator[CallSite]:
    """``ldur wA, [xT, #-off]; movk wB, #lo; movk wB, #hi, lsl #16; cmp wA, wB``."""
    data = sec.data
    for m in _A64_CHECK.finditer(data):
        at = m.start()
        if at % 4:
            continue
        ldur, lo, hi = struct.unpack_from("<3I", data, at)
        if (ldur & 0xFFE00C00) != 0xB8400000:
            continue
        if (lo & 0xFFE00000) != 0x72800000 or (hi & 0xFFE00000) != 0x72A00000:
            continue
        if lo & 31 != hi & 31 or (ldur & 31) == (lo & 31):
            continue
        imm9 = (ldur >> 12) & 0x1FF
        offset = imm9 - 0x200 if imm9 & 0x100 else imm9
        expected = ((lo >> 5) & 0xFFFF) | (((hi >> 5) & 0xFFFF) << 16)
        yield _site(sec, at, expected, offset, 4, path)


def _riscv_calls(sec: CodeSection, path: str) -> Iterator[CallSite]:
    """``lw t1, -(4+2N)(aT); lui t2, hi; addiw t2, t2, lo`` (or ``c.addiw``): the check
    LLVM's RISC-V KCFI_CHECK lowering emits, then ``beq t1, t2`` and ``ebreak``."""
    data = sec.data
    for m in _RISCV_CHECK.finditer(data):
        at = m.start()
        if at % 2 or at + 12 > len(data):
            continue
        lw, lui = struct.unpack_from("<2I", data, at)
        if lw & 0x707F != 0x2003 or (lw >> 7) & 31 != 6 or lui & 0xFFF != 0x3B7:
            continue
        offset = (lw >> 20) - (1 << 12) if lw >> 31 else lw >> 20
        addiw = struct.unpack_from("<I", data, at + 8)[0]
        if addiw & 0xFFFFF == 0x3839B:  # addiw t2, t2, imm12
            lo = (addiw >> 20) - (1 << 12) if addiw >> 31 else addiw >> 20
        elif addiw & 0xEF83 == 0x2381:  # c.addiw t2, imm6
            lo = ((addiw >> 7) & 0x20) | ((addiw >> 2) & 0x1F)
            lo = lo - 64 if lo & 0x20 else lo
        else:
            continue
        expected = ((lui & 0xFFFFF000) + lo) & 0xFFFFFFFF
        yield _site(sec, at, expected, offset, 2, path)
