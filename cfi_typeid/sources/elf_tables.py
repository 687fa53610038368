"""The bulk tables of an ELF file (section headers, symbols, relocations), read with ``struct``
where pyelftools has located them.

pyelftools opens and validates the file and gives the header (class, byte order, machine,
section count and string table index, extended numbering included); its per-entry parsing,
though, costs seconds per ten thousand entries, and a kernel-sized object has hundreds of
thousands (clang's ``-fpatchable-function-entry`` alone adds two sections per function).  So
the tables are unpacked here in one ``struct.iter_unpack`` each.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

SHT_SYMTAB, SHT_RELA, SHT_NOBITS, SHT_REL, SHT_DYNSYM, SHT_SYMTAB_SHNDX = 2, 4, 8, 9, 11, 18
SHN_XINDEX = 0xFFFF
#: ``Symbol.shndx`` for an undefined symbol, an absolute one, and the other reserved indices
#: (``SHN_COMMON`` ...): real section indices are positive, extended numbering resolved.
SHN_UNDEF, SHN_ABS, SHN_OTHER = 0, -1, -2
STT_FUNC = 2


@dataclass(frozen=True, slots=True)
class SectionHeader:
    index: int
    name: str
    type: int
    addr: int
    offset: int
    size: int
    link: int
    info: int


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    value: int
    size: int
    #: ``st_info & 0xf``: 2 is ``STT_FUNC``.
    kind: int
    #: The section index (extended numbering resolved), or ``SHN_UNDEF`` / ``SHN_ABS`` /
    #: ``SHN_OTHER``.
    shndx: int


class ElfTables:
    """Section headers, their bytes, symbol tables and relocations of one open ELF file."""

    def __init__(self, elf: Any, stream: BinaryIO) -> None:
        self.stream = stream
        self.wide = elf.elfclass == 64
        self.order = "<" if elf.little_endian else ">"
        header = elf.header
        count = elf.num_sections()
        fmt = self.order + ("IIQQQQIIQQ" if self.wide else "IIIIIIIIII")
        stream.seek(header["e_shoff"])
        raw = stream.read(count * header["e_shentsize"])
        rows = [struct.unpack_from(fmt, raw, i * header["e_shentsize"]) for i in range(count)]
        strtab_index = elf.get_shstrndx()
        names = self._read(rows[strtab_index][4], rows[strtab_index][5]) if rows else b""
        self.sections = [SectionHeader(i, _cstr(names, r[0]), r[1], r[3], r[4], r[5], r[6], r[7])
                         for i, r in enumerate(rows)]
        self._symbols: dict[int, list[Symbol]] = {}

    def _read(self, offset: int, size: int) -> bytes:
        self.stream.seek(offset)
        return self.stream.read(size)

    def data(self, section: SectionHeader) -> bytes:
        return b"" if section.type == SHT_NOBITS else self._read(section.offset, section.size)

    def by_name(self, name: str) -> SectionHeader | None:
        return next((s for s in self.sections if s.name == name), None)

    def symbol_tables(self) -> list[SectionHeader]:
        """``.symtab`` (else ``.dynsym``, all a stripped file has)."""
        tables = [s for s in self.sections if s.type in (SHT_SYMTAB, SHT_DYNSYM)]
        return [s for s in tables if s.type == SHT_SYMTAB] or tables

    def symbols(self, table: SectionHeader) -> list[Symbol]:
        cached = self._symbols.get(table.index)
        if cached is not None:
            return cached
        fmt = self.order + ("IBBHQQ" if self.wide else "IIIBBH")
        size = struct.calcsize(fmt)
        data = self.data(table)
        names = self.data(self.sections[table.link])
        extended = next((self.data(s) for s in self.sections
                         if s.type == SHT_SYMTAB_SHNDX and s.link == table.index), b"")
        out = []
        for i, entry in enumerate(struct.iter_unpack(fmt, data[: len(data) - len(data) % size])):
            if self.wide:
                name, info, _, shndx, value, sym_size = entry
            else:
                name, value, sym_size, info, _, shndx = entry
            if shndx == SHN_XINDEX and extended:
                shndx = struct.unpack_from(self.order + "I", extended, 4 * i)[0]
            elif shndx == 0xFFF1:
                shndx = SHN_ABS
            elif shndx >= 0xFF00:
                shndx = SHN_OTHER
            out.append(Symbol(_cstr(names, name), value, sym_size, info & 0xF, shndx))
        self._symbols[table.index] = out
        return out

    def relocations(self, section: SectionHeader) -> list[tuple[int, int, int | None]]:
        """(offset, symbol index, addend — ``None`` for REL, whose addend is in place) of a
        ``SHT_RELA`` / ``SHT_REL`` section."""
        rela = section.type == SHT_RELA
        fmt = self.order + {(True, True): "QQq", (True, False): "QQ", (False, True): "IIi",
                            (False, False): "II"}[(self.wide, rela)]
        size = struct.calcsize(fmt)
        data = self.data(section)
        shift = 32 if self.wide else 8
        return [(e[0], e[1] >> shift, e[2] if rela else None)
                for e in struct.iter_unpack(fmt, data[: len(data) - len(data) % size])]


def _cstr(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset:end if end >= 0 else len(table)].decode("utf-8", "replace")
