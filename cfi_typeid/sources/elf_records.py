"""What KCFI leaves in an ELF file, as :func:`cfi_typeid.sources.elf.read_elf` reports it: a
function's tag, an indirect call's check, a ``__kcfi_typeid_`` symbol, and the file's summary
(records of their own so that the KCFI questions over them, :mod:`cfi_typeid.kcfi`, need not
import the reader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

#: Bytes per prefix nop (x86 ``90``, AArch64 ``nop``, RISC-V ``c.nop``).
NOP_SIZE = {"x86_64": 1, "i686": 1, "aarch64": 4, "riscv": 2, "arm": 4}
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


_METHODS.close()
