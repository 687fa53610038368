"""An integer constant that knows its C type: an ``int`` subclass, so kept out of the modules
that mypyc compiles (it refuses to compile a subclass of ``int``; :mod:`cfi_typeid.c.constants`,
which computes with these, is compiled in the compiled build)."""

from __future__ import annotations


class Typed(int):
    """An integer constant with its C type, ``bits`` wide and ``signed`` or not: what C's
    conversions and wrap-around need (``0u - 1`` is 4294967295, ``(char)300`` 44).  A plain
    int (an enumerator) has the type of its value: int, else a 64-bit type."""

    bits: int
    signed: bool

    def __new__(cls, value: int, bits: int, signed: bool) -> Typed:
        self = super().__new__(cls, wrap(value, bits, signed))
        self.bits, self.signed = bits, signed
        return self


def wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if signed and value >> (bits - 1) else value
