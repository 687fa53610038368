"""An integer constant that knows its C type: an ``int`` subclass, so kept out of the modules
that mypyc compiles (it refuses to compile a subclass of ``int``; :mod:`cfi_typeid.c.constants`,
which computes with these, is compiled in the compiled build).

Compiled code keeps a value whose static type is ``int`` as a machine integer, which drops
the subclass and with it the C type (``-1 < 0u`` would fold to 1): so every constant the
evaluator passes on is a :class:`Typed`, typed so, never a plain ``int``."""

from __future__ import annotations

from ..model import CInt


class Typed(int):
    """An integer constant with its C type, ``bits`` wide and ``signed`` or not: what C's
    conversions and wrap-around need (``0u - 1`` is 4294967295, ``(char)300`` 44); and the
    type's ``kind`` where it is known (``1UL`` is an ``unsigned long``, ``1ULL`` an ``unsigned
    long long``, of one width and sign on LP64): what ``__typeof__`` of the expression names."""

    bits: int
    signed: bool
    kind: CInt | None

    def __new__(cls, value: int, bits: int, signed: bool, kind: CInt | None = None) -> Typed:
        self = super().__new__(cls, wrap(value, bits, signed))
        self.bits, self.signed, self.kind = bits, signed, kind
        return self


def of_value(value: int) -> Typed:
    """A plain int (an enumerator's value counted on from the one before) with the type of
    its value: int, else a 64-bit type; its value kept as it is."""
    self = int.__new__(Typed, value)
    self.kind = None
    if -(1 << 31) <= value < 1 << 31:
        self.bits, self.signed, self.kind = 32, True, CInt.INT
    elif -(1 << 63) <= value < 1 << 63:
        self.bits, self.signed = 64, True
    else:
        self.bits, self.signed = (128 if value >= 1 << 64 else 64), False
    return self


def wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if signed and value >> (bits - 1) else value
