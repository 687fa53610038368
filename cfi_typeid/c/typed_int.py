"""An integer constant that knows its C type: an ``int`` subclass, so kept out of the modules
that mypyc compiles (it refuses to compile a subclass of ``int``; :mod:`cfi_typeid.c.constants`,
which computes with these, is compiled in the compiled build).

Compiled code keeps a value whose static type is ``int`` as a machine integer, which drops
the subclass and with it the C type (``-1 < 0u`` would fold to 1): so every constant the
evaluator passes on is a :class:`Typed`, typed so, never a plain ``int``."""

from __future__ import annotations


class Typed(int):
    """An integer constant with its C type, ``bits`` wide and ``signed`` or not: what C's
    conversions and wrap-around need (``0u - 1`` is 4294967295, ``(char)300`` 44)."""

    bits: int
    signed: bool

    def __new__(cls, value: int, bits: int, signed: bool) -> Typed:
        self = super().__new__(cls, wrap(value, bits, signed))
        self.bits, self.signed = bits, signed
        return self


def of_value(value: int) -> Typed:
    """A plain int (an enumerator's value counted on from the one before) with the type of
    its value: int, else a 64-bit type; its value kept as it is."""
    self = int.__new__(Typed, value)
    if -(1 << 31) <= value < 1 << 31:
        self.bits, self.signed = 32, True
    elif -(1 << 63) <= value < 1 << 63:
        self.bits, self.signed = 64, True
    else:
        self.bits, self.signed = (128 if value >= 1 << 64 else 64), False
    return self


def wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if signed and value >> (bits - 1) else value
