"""C's integer conversions on the types of constants (:class:`cfi_typeid.c.typed_int.Typed`):
the integer promotions, the usual arithmetic conversions (C17 6.3.1.8) of widths and signs
and, by conversion rank, of kinds (``long`` with ``unsigned long long`` is ``unsigned long
long``, of one width and sign with ``unsigned long`` on LP64: what ``__typeof__`` names), and
the type clang gives an enum whose values do not fit ``int``."""

from __future__ import annotations

from .typed_int import Typed
from ..model import CInt
from ..targets import Target


def promoted(v: Typed) -> tuple[int, bool]:
    """C's integer promotions: what is narrower than int becomes int."""
    bits: int = v.bits
    return (32, True) if bits < 32 else (bits, v.signed)


def promoted_kind(v: Typed) -> CInt | None:
    """The kind the integer promotions give ``v`` (None: not known)."""
    bits: int = v.bits
    return CInt.INT if bits < 32 else v.kind


def common(a: Typed, b: Typed) -> tuple[int, bool]:
    """C's usual arithmetic conversions of two integer operands (C17 6.3.1.8)."""
    (abits, asigned), (bbits, bsigned) = promoted(a), promoted(b)
    if asigned == bsigned:
        return max(abits, bbits), asigned
    unsigned, signed = (abits, bbits) if not asigned else (bbits, abits)
    return (unsigned, False) if unsigned >= signed else (signed, True)


#: Integer conversion ranks (C17 6.3.1.1) of the kinds the usual conversions meet.
RANK = {CInt.INT: 1, CInt.UINT: 1, CInt.LONG: 2, CInt.ULONG: 2, CInt.LLONG: 3,
        CInt.ULLONG: 3, CInt.INT128: 4, CInt.UINT128: 4}
#: A signed kind's unsigned one (a literal ``1u``'s, ``1ul``'s...).
UNSIGNED = {CInt.INT: CInt.UINT, CInt.LONG: CInt.ULONG, CInt.LLONG: CInt.ULLONG,
            CInt.INT128: CInt.UINT128}


def common_kind(a: Typed, b: Typed, bits: int, signed: bool) -> CInt | None:
    """The type the usual arithmetic conversions give ``a`` and ``b`` (already known
    ``bits`` wide and ``signed`` or not, by :func:`common`): by rank, so ``long`` with
    ``unsigned long long`` is ``unsigned long long``, unknown when either type is."""
    x, y = promoted_kind(a), promoted_kind(b)
    if x is None or y is None:
        return None
    x_signed, y_signed = x in UNSIGNED, y in UNSIGNED  # (the signed kinds are its keys)
    if x_signed == y_signed:
        return x if RANK[x] >= RANK[y] else y
    signed_kind, unsigned_kind = (x, y) if x_signed else (y, x)
    if RANK[unsigned_kind] >= RANK[signed_kind]:
        return unsigned_kind
    # the signed type when it holds every value of the unsigned one (wider: common knows)
    return signed_kind if signed else UNSIGNED[signed_kind]


def enum_type(values: list[int], target: Target) -> tuple[int, bool, CInt]:
    """The type clang gives an enum (C, no fixed underlying type, not packed) whose
    enumerators have ``values``, one of them beyond ``int`` (SemaDecl's ActOnEnumBody): with
    a negative value the first of ``long``, ``long long`` that holds them, else the first of
    ``unsigned int``, ``unsigned long``, ``unsigned long long``."""
    positive = max([max(v.bit_length(), 1) for v in values if v >= 0], default=0)
    negative = max([(~v).bit_length() + 1 for v in values if v < 0], default=0)
    long_bits = target.long_bits
    if negative:
        if negative <= long_bits and positive < long_bits:
            return long_bits, True, CInt.LONG
        return target.int_bits(CInt.LLONG), True, CInt.LLONG
    if positive <= target.int_bits(CInt.UINT):
        return target.int_bits(CInt.UINT), False, CInt.UINT
    if positive <= long_bits:
        return long_bits, False, CInt.ULONG
    return target.int_bits(CInt.ULLONG), False, CInt.ULLONG
