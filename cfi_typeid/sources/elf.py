"""KCFI as the compilers leave it in ELF files: each function's tag, each indirect call's
expected hash, and the ``__kcfi_typeid_<name>`` symbols.

Read with pyelftools from relocatable objects, shared libraries, kernel modules and ``vmlinux``
alike: a symbol's value less its section's address is its offset in that section (addresses
are 0 in a relocatable object, so functions there are section-relative), and a tag the
assembler left to a relocation (the kernel's ``SYM_TYPED_FUNC_START`` writes
``movl $__kcfi_typeid_f, %eax``) is resolved through it.

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
from typing import BinaryIO, Iterator, Sequence

from ..errors import UsageError
from .elf_tables import (SHN_ABS, SHN_UNDEF, SHT_NOBITS, SHT_REL, SHT_RELA, STT_FUNC, ElfTables,
                         Symbol)

#: ``e_machine`` → our architecture name.
ARCHES = {"EM_X86_64": "x86_64", "EM_386": "i686", "EM_AARCH64": "aarch64",
          "EM_RISCV": "riscv", "EM_ARM": "arm"}
#: Bytes per prefix nop (x86 ``90``, AArch64 ``nop``, RISC-V ``c.nop``).
NOP_SIZE = {"x86_64": 1, "i686": 1, "aarch64": 4, "riscv": 2, "arm": 4}
_NOPS = {"x86_64": b"\x90", "i686": b"\x90", "aarch64": b"\x1f\x20\x03\xd5",
         "riscv": b"\x01\x00", "arm": b"\x00\xf0\x20\xe3"}
_ELF_TYPES = {"ET_REL": "relocatable", "ET_EXEC": "executable", "ET_DYN": "shared"}
_PREAMBLE = "__cfi_"
TYPEID_PREFIX = "__kcfi_typeid_"


@dataclass(frozen=True, slots=True)
class FunctionTag:
    """A function and the KCFI tag in front of it."""

    name: str
    address: int
    section: str
    #: The hash as the compiler wrote it (unsigned 32 bits); ``None`` when a relocation to a
    #: symbol defined elsewhere (``tag_symbol``) supplies it.
    tag: int | None
    #: Where the tag is, relative to the function: −4 − N × the nop size.
    offset: int
    #: N: the prefix nops of ``-fpatchable-function-entry=M,N`` between tag and function.
    prefix_nops: int
    #: x86 ``-Zsanitizer-kcfi-arity``: the register number of the preamble's ``movl``.
    arity: int | None = None
    tag_symbol: str = ""
    file: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name, "address": f"0x{self.address:x}", "section": self.section,
            "tag": None if self.tag is None else f"0x{self.tag:08x}", "offset": self.offset,
            "prefix_nops": self.prefix_nops, "arity": self.arity, "file": self.file}
        if self.tag_symbol:
            out["tag_symbol"] = self.tag_symbol
        return out


@dataclass(frozen=True, slots=True)
class CallSite:
    """An indirect call's KCFI check: the hash it expects and where it reads the tag."""

    function: str
    address: int
    section: str
    expected: int
    #: The displacement the check reads the tag at (−4 − N × the nop size).
    offset: int
    #: The N those call sites assume.
    prefix_nops: int
    file: str = ""

    def to_json(self) -> dict[str, object]:
        return {"function": self.function, "address": f"0x{self.address:x}",
                "section": self.section, "expected": f"0x{self.expected:08x}",
                "offset": self.offset, "prefix_nops": self.prefix_nops, "file": self.file}


@dataclass(frozen=True, slots=True)
class TypeidSymbol:
    """``__kcfi_typeid_<name>``: clang's hash of an address-taken external declaration."""

    name: str
    value: int
    file: str = ""

    @property
    def function(self) -> str:
        return self.name[len(TYPEID_PREFIX):]

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "value": f"0x{self.value:08x}", "file": self.file}


@dataclass(frozen=True, slots=True)
class ElfObject:
    """What one ELF file holds for KCFI."""

    file: str
    arch: str
    elf_type: str
    #: ``clang`` or ``rustc`` from ``.comment`` (``""`` when it names neither).
    compiler: str
    functions: tuple[FunctionTag, ...] = ()
    call_sites: tuple[CallSite, ...] = ()
    typeid_symbols: tuple[TypeidSymbol, ...] = ()
    #: Entries of ``.kcfi_traps`` (x86-64, RISC-V), ``None`` without that section.
    kcfi_traps: int | None = None
    #: Functions without a tag (not address-taken, or not built with KCFI).
    untagged: int = 0
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        prefixes = sorted({f.prefix_nops for f in self.functions if f.tag is not None})
        assumed = sorted({c.prefix_nops for c in self.call_sites})
        return {"file": self.file, "arch": self.arch, "type": self.elf_type,
                "compiler": self.compiler, "functions": len(self.functions),
                "untagged_functions": self.untagged, "call_sites": len(self.call_sites),
                "typeid_symbols": len(self.typeid_symbols), "kcfi_traps": self.kcfi_traps,
                "prefix_nops": prefixes, "call_site_prefix_nops": assumed,
                "notes": list(self.notes)}


# ---- reading -------------------------------------------------------------------------------

@dataclass(slots=True)
class _Symbol:
    name: str
    value: int
    size: int
    shndx: int


@dataclass(slots=True)
class _Section:
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


def read_elf_files(paths: Sequence[str]) -> tuple[ElfObject, ...]:
    """:func:`read_elf` of each path, in order; an ``ar`` archive (a static library, the
    kernel's ``built-in.a``, thin or not) gives one object per ELF member."""
    out: list[ElfObject] = []
    for p in paths:
        out += read_archive(p) if _is_archive(p) else [read_elf(p)]
    return tuple(out)


def read_elf(path: str) -> ElfObject:
    """The tags, call sites and typeid symbols of one ELF file.  Raises
    :class:`~cfi_typeid.errors.UsageError` naming the file when it is not ELF."""
    try:
        with open(path, "rb") as f:
            return _read_checked(f, path)
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror or e}") from None


def _read_checked(stream: BinaryIO, name: str) -> ElfObject:
    from elftools.common.exceptions import ELFError
    try:
        return _read(stream, name)
    except (ELFError, struct.error, ValueError) as e:
        raise UsageError(f"{name}: not a readable ELF file ({e})") from None


_AR_MAGIC, _THIN_MAGIC = b"!<arch>\n", b"!<thin>\n"


def _is_archive(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(8) in (_AR_MAGIC, _THIN_MAGIC)
    except OSError:
        return False


def read_archive(path: str) -> list[ElfObject]:
    """Each ELF member of an ``ar`` archive, named ``archive.a(member.o)``; a thin archive's
    members are read from the files it names, relative to the archive."""
    import io
    import os
    with open(path, "rb") as f:
        data = f.read()
    thin = data.startswith(_THIN_MAGIC)
    names = b""
    out: list[ElfObject] = []
    at = 8
    while at + 60 <= len(data):
        header = data[at:at + 60]
        raw_name = header[:16].rstrip()
        try:
            size = int(header[48:58])
        except ValueError:
            raise UsageError(f"{path}: a damaged archive member header at byte {at}") from None
        body_at = at + 60
        stored = 0 if thin and raw_name not in (b"/", b"//", b"/SYM64/") else size
        member = raw_name
        if raw_name == b"//":
            names = data[body_at:body_at + size]
        elif raw_name.startswith(b"/") and raw_name[1:].isdigit():
            start = int(raw_name[1:])
            member = names[start:names.index(b"\n", start)]
        if raw_name not in (b"/", b"//", b"/SYM64/"):
            label = member.rstrip(b"/").decode("utf-8", "replace")
            if thin:
                out.append(read_elf(os.path.join(os.path.dirname(path), label)))
            elif data[body_at:body_at + 4] == b"\x7fELF":
                out.append(_read_checked(io.BytesIO(data[body_at:body_at + size]),
                                         f"{path}({label})"))
        at = body_at + stored + (stored & 1)
    return out


def _read(stream: BinaryIO, path: str) -> ElfObject:
    from elftools.elf.elffile import ELFFile
    if stream.read(4) != b"\x7fELF":
        raise UsageError(f"{path}: not an ELF file (no \\x7fELF magic)")
    stream.seek(0)
    elf = ELFFile(stream)
    tables = ElfTables(elf, stream)
    machine, elf_type = elf["e_machine"], elf["e_type"]
    kind = _ELF_TYPES.get(elf_type, elf_type)
    arch = ARCHES.get(machine, "")
    symbols, typeids = _symbols(tables, path, machine == "EM_ARM")
    compiler = _compiler(tables)
    if not arch:
        return ElfObject(path, machine, kind, compiler, typeid_symbols=typeids, notes=(
            f"machine {machine}: tags and call sites are read only on x86-64, i686, AArch64, "
            "RISC-V and Arm",))
    sections = _code_sections(tables, symbols, elf_type == "ET_REL")
    functions, untagged = _function_tags(symbols, sections, arch, path)
    calls = tuple(_call_sites(sections, arch, path))
    notes: list[str] = []
    trap_count = _traps(tables, elf_type == "ET_REL")
    if arch == "x86_64" and trap_count is not None and trap_count != len(calls):
        notes.append(f".kcfi_traps lists {trap_count} checks, {len(calls)} call sites were "
                     "recognised (a check in code without a function symbol, or a layout "
                     "this reader does not know)")
    if not functions and not calls:
        notes.append("no KCFI tags or checks found: not built with -fsanitize=kcfi / "
                     "-Zsanitizer=kcfi, or stripped of symbols")
    return ElfObject(path, arch, kind, compiler, functions, calls, typeids, trap_count,
                     untagged, tuple(notes))


def _traps(tables: ElfTables, relocatable: bool) -> int | None:
    """Entries of ``.kcfi_traps`` (one such section per function section in rustc's
    objects): one relocation each in an object, 4 bytes each linked."""
    traps = {s.index: s for s in tables.sections if s.name == ".kcfi_traps"}
    if not traps:
        return None
    if not relocatable:
        return sum(t.size // 4 for t in traps.values())
    return sum(len(tables.relocations(s)) for s in tables.sections
               if s.type in (SHT_RELA, SHT_REL) and s.info in traps)


def _compiler(tables: ElfTables) -> str:
    comment = tables.by_name(".comment")
    text = tables.data(comment) if comment is not None else b""
    if b"rustc version" in text:
        return "rustc"
    return "clang" if b"clang version" in text else ""


def _symbols(tables: ElfTables, path: str, arm: bool
             ) -> tuple[list[_Symbol], tuple[TypeidSymbol, ...]]:
    """Function symbols, mapping symbols (as negative section indices) and the
    ``__kcfi_typeid_`` symbols."""
    funcs: list[_Symbol] = []
    marks: list[_Symbol] = []
    typeids: dict[str, TypeidSymbol] = {}
    for table in tables.symbol_tables():
        for sym in tables.symbols(table):
            name, shndx = sym.name, sym.shndx
            if name.startswith(TYPEID_PREFIX):
                if shndx != SHN_UNDEF:  # undefined: another unit defines it
                    typeids.setdefault(name, TypeidSymbol(name, sym.value & 0xFFFFFFFF, path))
            elif sym.kind == STT_FUNC and shndx > 0:
                funcs.append(_Symbol(name, sym.value & ~1 if arm else sym.value, sym.size,
                                     shndx))
            elif name[:2] in ("$d", "$x", "$a", "$t") and shndx > 0:
                marks.append(_Symbol(name, sym.value, 0, -shndx))
    return funcs + marks, tuple(typeids.values())


def _code_sections(tables: ElfTables, symbols: list[_Symbol],
                   relocatable: bool) -> dict[int, _Section]:
    """The sections functions live in, with their bytes, relocations and function ranges."""
    sections: dict[int, _Section] = {}
    for index in sorted({s.shndx for s in symbols if s.shndx > 0}):
        if index >= len(tables.sections) or tables.sections[index].type == SHT_NOBITS:
            continue
        header = tables.sections[index]
        sections[index] = _Section(header.name, tables.data(header), header.addr, {})
    for sym in symbols:
        if sym.shndx > 0 and sym.shndx in sections and not sym.name.startswith(_PREAMBLE):
            sec_ = sections[sym.shndx]
            start = sym.value - sec_.addr
            if sym.size:
                sec_.ranges.append((start, start + sym.size, sym.name))
        elif sym.shndx < 0 and -sym.shndx in sections:
            sec_ = sections[-sym.shndx]
            sec_.has_marks = True
            if sym.name.startswith("$d"):
                sec_.data_marks.add(sym.value - sec_.addr)
    for sec_ in sections.values():
        sec_.ranges.sort()
        sec_.starts = [r[0] for r in sec_.ranges]
    if relocatable:
        for rel in tables.sections:
            if rel.type in (SHT_RELA, SHT_REL) and rel.info in sections:
                target = sections[rel.info]
                target.symbols = tables.symbols(tables.sections[rel.link])
                target.relocs.update((o, (i, a)) for o, i, a in tables.relocations(rel))
    return sections


def _resolve(sec: _Section, at: int) -> tuple[str, int | None] | None:
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

def _function_tags(symbols: list[_Symbol], sections: dict[int, _Section], arch: str,
                   path: str) -> tuple[tuple[FunctionTag, ...], int]:
    preambles = {s.name[len(_PREAMBLE):]: s for s in symbols
                 if s.shndx > 0 and s.name.startswith(_PREAMBLE)}
    x86 = arch in ("x86_64", "i686")
    scan_x86 = x86 and not preambles  # a stripped file: find the movl from the code alone
    found: list[FunctionTag] = []
    seen: set[tuple[str, int, int]] = set()
    untagged = 0
    for sym in symbols:
        if sym.shndx <= 0 or sym.name.startswith(_PREAMBLE) or sym.shndx not in sections:
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


def _tag_value(sec: _Section, at: int) -> tuple[int | None, str]:
    reloc = _resolve(sec, at)
    if reloc is not None:
        return reloc[1], reloc[0]
    return int.from_bytes(sec.data[at:at + 4], "little"), ""


def _x86_tag(sec: _Section, fn: int, preamble_end: int | None,
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


def _word_tag(sec: _Section, fn: int, arch: str) -> tuple[int, None] | None:
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


def _call_sites(sections: dict[int, _Section], arch: str, path: str) -> Iterator[CallSite]:
    for sec in sections.values():
        if arch == "x86_64":
            yield from _x86_calls(sec, path)
        elif arch == "aarch64":
            yield from _a64_calls(sec, path)
        elif arch == "riscv":
            yield from _riscv_calls(sec, path)


def _site(sec: _Section, at: int, expected: int, offset: int, step: int,
          path: str) -> CallSite:
    return CallSite(sec.inside_function(at) or "", at + sec.addr, sec.name, expected, offset,
                    (-offset - 4) // step, path)


def _x86_calls(sec: _Section, path: str) -> Iterator[CallSite]:
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


def _a64_calls(sec: _Section, path: str) -> Iterator[CallSite]:
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


def _riscv_calls(sec: _Section, path: str) -> Iterator[CallSite]:
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
