"""KCFI as the compilers leave it in ELF files: each function's tag, each indirect call's
expected hash, and the ``__kcfi_typeid_<name>`` symbols.

Read with pyelftools from relocatable objects, shared libraries, kernel modules and ``vmlinux``
alike: a symbol's value less its section's address is its offset in that section (addresses
are 0 in a relocatable object, so functions there are section-relative), and a tag the
assembler left to a relocation (the kernel's ``SYM_TYPED_FUNC_START`` writes
``movl $__kcfi_typeid_f, %eax``) is resolved through it.

The records are in :mod:`cfi_typeid.sources.elf_records` (re-exported here), the tags and
checks found in the code in :mod:`cfi_typeid.sources.elf_code`; :mod:`.elf_tables` reads the
ELF tables themselves.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, Sequence

from ..errors import UsageError
from .elf_code import PREAMBLE, CodeSection, CodeSymbol, call_sites, function_tags
from .elf_records import NOP_SIZE, TYPEID_PREFIX, CallSite, ElfObject, FunctionTag, TypeidSymbol
from .elf_tables import SHN_UNDEF, SHT_NOBITS, SHT_REL, SHT_RELA, STT_FUNC, ElfTables

#: ``e_machine`` → our architecture name.
ARCHES = {"EM_X86_64": "x86_64", "EM_386": "i686", "EM_AARCH64": "aarch64",
          "EM_RISCV": "riscv", "EM_ARM": "arm"}
_ELF_TYPES = {"ET_REL": "relocatable", "ET_EXEC": "executable", "ET_DYN": "shared"}


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
    functions, untagged = function_tags(symbols, sections, arch, path)
    calls = tuple(call_sites(sections, arch, path))
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
             ) -> tuple[list[CodeSymbol], tuple[TypeidSymbol, ...]]:
    """Function symbols, mapping symbols (as negative section indices) and the
    ``__kcfi_typeid_`` symbols."""
    funcs: list[CodeSymbol] = []
    marks: list[CodeSymbol] = []
    typeids: dict[str, TypeidSymbol] = {}
    for table in tables.symbol_tables():
        for sym in tables.symbols(table):
            name, shndx = sym.name, sym.shndx
            if name.startswith(TYPEID_PREFIX):
                if shndx != SHN_UNDEF:  # undefined: another unit defines it
                    typeids.setdefault(name, TypeidSymbol(name, sym.value & 0xFFFFFFFF, path))
            elif sym.kind == STT_FUNC and shndx > 0:
                funcs.append(CodeSymbol(name, sym.value & ~1 if arm else sym.value, sym.size,
                                     shndx))
            elif name[:2] in ("$d", "$x", "$a", "$t") and shndx > 0:
                marks.append(CodeSymbol(name, sym.value, 0, -shndx))
    return funcs + marks, tuple(typeids.values())


def _code_sections(tables: ElfTables, symbols: list[CodeSymbol],
                   relocatable: bool) -> dict[int, CodeSection]:
    """The sections functions live in, with their bytes, relocations and function ranges."""
    sections: dict[int, CodeSection] = {}
    for index in sorted({s.shndx for s in symbols if s.shndx > 0}):
        if index >= len(tables.sections) or tables.sections[index].type == SHT_NOBITS:
            continue
        header = tables.sections[index]
        sections[index] = CodeSection(header.name, tables.data(header), header.addr, {})
    for sym in symbols:
        if sym.shndx > 0 and sym.shndx in sections and not sym.name.startswith(PREAMBLE):
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


__all__ = ["ARCHES", "NOP_SIZE", "TYPEID_PREFIX", "CallSite", "ElfObject", "FunctionTag",
           "TypeidSymbol", "read_archive", "read_elf", "read_elf_files"]
