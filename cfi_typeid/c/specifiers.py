"""C's type specifiers as data: which keyword combinations name which model type.

Specifiers in any order mean the same type (``long unsigned int`` is ``unsigned long``), so the
table is keyed by the sorted keywords; a few GNU spellings are aliases of standard keywords; and
two builtins depend on the target (``__builtin_va_list``, ``__bf16``).  Every entry is checked
against clang-19 by the golden and differential tests.
"""

from __future__ import annotations

from ..model import VOID, Array, CInt, CInteger, Encoded, Named, Pointer, Primitive, Scalar, Type


def _spellings(t: Type, *phrases: str) -> dict[tuple[str, ...], Type]:
    return {tuple(sorted(p.split())): t for p in phrases}


def _int_spellings(kind: CInt, base: str, signed_default: bool = True) -> dict[tuple[str, ...], Type]:
    t = CInteger(kind)
    phrases = [base, f"{base} int"]
    if signed_default:
        phrases += [f"signed {base}", f"signed {base} int"]
    return _spellings(t, *phrases)


SPECIFIERS: dict[tuple[str, ...], Type] = {
    **_spellings(VOID, "void"),
    **_spellings(CInteger(CInt.CHAR), "char"),
    **_spellings(CInteger(CInt.SCHAR), "signed char"),
    **_spellings(CInteger(CInt.UCHAR), "unsigned char"),
    **_int_spellings(CInt.SHORT, "short"),
    **_spellings(CInteger(CInt.USHORT), "unsigned short", "unsigned short int"),
    **_spellings(CInteger(CInt.INT), "int", "signed", "signed int"),
    **_spellings(CInteger(CInt.UINT), "unsigned", "unsigned int"),
    **_int_spellings(CInt.LONG, "long"),
    **_spellings(CInteger(CInt.ULONG), "unsigned long", "unsigned long int"),
    **_int_spellings(CInt.LLONG, "long long"),
    **_spellings(CInteger(CInt.ULLONG), "unsigned long long", "unsigned long long int"),
    **_spellings(CInteger(CInt.INT128), "__int128", "signed __int128"),
    **_spellings(CInteger(CInt.UINT128), "unsigned __int128"),
    **_spellings(Primitive(Scalar.BOOL), "_Bool"),
    **_spellings(Primitive(Scalar.FLOAT), "float"),
    **_spellings(Primitive(Scalar.DOUBLE), "double"),
    **_spellings(Primitive(Scalar.LONG_DOUBLE), "long double"),
    **_spellings(Primitive(Scalar.FLOAT16), "_Float16"),
    **_spellings(Primitive(Scalar.HALF), "__fp16"),
    **_spellings(Primitive(Scalar.BFLOAT16), "__bf16"),
    **_spellings(Primitive(Scalar.FLOAT128), "__float128"),
}

KEYWORD_ALIASES = {
    "__signed": ("signed",), "__signed__": ("signed",), "__complex__": ("_Complex",),
    "__int128_t": ("__int128",), "__uint128_t": ("unsigned", "__int128"),
}

#: ``__builtin_va_list`` per target, as clang-19 mangles it (checked in tests/test_golden_c.py).
VA_LIST: dict[str, Type] = {
    "x86_64": Array(Named("__va_list_tag"), 1),
    "i686": Pointer(CInteger(CInt.CHAR)),
    "aarch64": Encoded("St9__va_list", "__builtin_va_list"),
    "armv7": Encoded("St9__va_list", "__builtin_va_list"),
    "riscv64": Pointer(VOID),
    "loongarch64": Pointer(VOID),
    "x86_64-windows": Pointer(CInteger(CInt.CHAR)),
    "aarch64-darwin": Pointer(CInteger(CInt.CHAR)),
}

#: Builtin types whose mangling clang-19 changes per target (``TargetInfo::getBFloat16Mangling``).
TARGET_BUILTINS: dict[str, dict[Type, Type]] = {
    "aarch64": {Primitive(Scalar.BFLOAT16): Primitive(Scalar.BFLOAT16_ARM)},
    "armv7": {Primitive(Scalar.BFLOAT16): Primitive(Scalar.BFLOAT16_ARM)},
    "aarch64-darwin": {Primitive(Scalar.BFLOAT16): Primitive(Scalar.BFLOAT16_ARM)},
}
