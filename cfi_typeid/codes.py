"""The one table of leaf-type codes shared by the encoder and the decoder.

``tests/test_codes.py`` checks that the table is a bijection, so decoding what we encode can
never be ambiguous.  Itanium ``<builtin-type>`` codes are not substitution candidates; vendor
types (``u<len><name>``) are.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from .model import CInt, FixedInt, Scalar

C_INT_CODES: Mapping[CInt, str] = MappingProxyType({
    CInt.CHAR: "c", CInt.SCHAR: "a", CInt.UCHAR: "h",
    CInt.SHORT: "s", CInt.USHORT: "t",
    CInt.INT: "i", CInt.UINT: "j",
    CInt.LONG: "l", CInt.ULONG: "m",
    CInt.LLONG: "x", CInt.ULLONG: "y",
    CInt.INT128: "n", CInt.UINT128: "o",
})

SCALAR_CODES: Mapping[Scalar, str] = MappingProxyType({
    Scalar.VOID: "v", Scalar.BOOL: "b",
    Scalar.FLOAT: "f", Scalar.DOUBLE: "d", Scalar.LONG_DOUBLE: "e", Scalar.FLOAT128: "g",
    Scalar.FLOAT16: "DF16_", Scalar.HALF: "Dh", Scalar.BFLOAT16: "DF16b",
    # clang's ARM targets spell __bf16 as a vendor name, but it stays a builtin: no candidate.
    Scalar.BFLOAT16_ARM: "u6__bf16",
    Scalar.CHAR8: "Du", Scalar.CHAR16: "Ds", Scalar.CHAR32: "Di", Scalar.WCHAR: "w",
    Scalar.NULLPTR: "Dn",
    # rustc's vendor types: substitution candidates, unlike the Itanium builtins above.
    Scalar.RUST_CHAR: "u4char", Scalar.STR: "u3str", Scalar.NEVER: "u5never",
})

FIXED_INT_CODES: Mapping[FixedInt, str] = MappingProxyType({
    kind: f"u{len(kind.value)}{kind.value}" for kind in FixedInt
})

VENDOR_SCALARS = frozenset({Scalar.RUST_CHAR, Scalar.STR, Scalar.NEVER})

#: Codes rustc does not enter in its substitution dictionary when a ``cfi_encoding`` gives them
#: (the Itanium builtin types, as listed in rustc's ``encode_ty``).
BUILTIN_CODES = frozenset({
    "v", "w", "b", "c", "a", "h", "s", "t", "i", "j", "l", "m", "x", "y", "n", "o", "f", "d",
    "e", "g", "z", "Dh",
})

SIZED_INTS: Mapping[tuple[int, bool], FixedInt] = MappingProxyType({
    (8, True): FixedInt.I8, (16, True): FixedInt.I16, (32, True): FixedInt.I32,
    (64, True): FixedInt.I64, (128, True): FixedInt.I128,
    (8, False): FixedInt.U8, (16, False): FixedInt.U16, (32, False): FixedInt.U32,
    (64, False): FixedInt.U64, (128, False): FixedInt.U128,
})
"""The fixed-width integer a normalised integer of (bits, signed) becomes."""


def seq_id(index: int) -> str:
    """Itanium ``<seq-id>`` of the ``index``-th substitution: ``S_``, ``S0_``, ..., ``SZ_``,
    ``S10_`` (base 36, upper case)."""
    if index == 0:
        return "S_"
    n, digits = index - 1, ""
    while True:
        n, r = divmod(n, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r] + digits
        if n == 0:
            return f"S{digits}_"
