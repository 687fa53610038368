"""``__attribute__((mode(M)))``: the type a machine mode selects, as clang-19 picks it.

clang encodes nothing of the attribute itself: ``typedef int register_t
__attribute__((__mode__(__word__)))`` is just ``long`` on x86_64 (``l``), ``unsigned
__attribute__((mode(QI)))`` is ``unsigned char`` (``h``).  The rules are clang's
(``Sema::handleModeAttr``, ``parseModeAttrArg``, ``ASTContext::getIntTypeForBitwidth`` and
``getRealTypeForBitwidth``): a mode gives a width in bits; an integer mode picks the first of
``char``, ``short``, ``int``, ``long``, ``long long`` of that width on the target (``__int128``
for 128), keeping the old type's signedness; a float mode picks ``__fp16``, ``float``,
``double``, ``long double`` or ``__float128`` by width and the target's ``long double``; a
complex mode (``SC``, ``DC``, ...) the ``_Complex`` of that.  ``tests/test_c_modes.py`` checks
every mode on every target against clang-19.
"""

from __future__ import annotations

from typing import NamedTuple

from ..model import CInt, CInteger, Complex, Primitive, Scalar, Type
from ..targets import Target


class ModeError(ValueError):
    """The mode does not apply to this type on this target (clang refuses it too)."""


class _Mode(NamedTuple):
    bits: int | None  # None: the target's register (word) or pointer width, see _width
    kind: str  # "int", "float" or "complex"
    explicit: str = ""  # "float128" for KF/KC, "ibm128" for IF/IC


def _parse_mode(word: str) -> _Mode | None:
    """parseModeAttrArg: ``__QI__`` and ``QI`` alike."""
    name = word.strip("_") if word.startswith("__") and word.endswith("__") else word
    if name in ("word", "pointer", "byte", "unwind_word"):
        return _Mode(None, name)
    if len(name) != 2 or name[1] not in "IFC":
        return None
    kind = {"I": "int", "F": "float", "C": "complex"}[name[1]]
    explicit = ""
    bits: int | None
    if name[0] in "QHSDXT":
        bits = {"Q": 8, "H": 16, "S": 32, "D": 64, "X": 96, "T": 128}[name[0]]
    elif name[0] == "K":
        bits, explicit = (None if name[1] == "I" else 128), "float128"
    elif name[0] == "I":
        bits, explicit = (None if name[1] == "I" else 128), "ibm128"
    else:
        return None
    if bits is None:
        return None
    return _Mode(bits, kind, explicit)


#: The ``long double`` format per architecture: x87 extended (80 bits in 96 or 128),
#: IEEE quad, or plain double.
_LONG_DOUBLE = {"x86_64": "x87", "i686": "x87", "aarch64": "quad", "riscv64": "quad",
                "armv7": "double"}

_BY_WIDTH = (CInt.SCHAR, CInt.SHORT, CInt.INT, CInt.LONG, CInt.LLONG)
_UNSIGNED = {CInt.SCHAR: CInt.UCHAR, CInt.SHORT: CInt.USHORT, CInt.INT: CInt.UINT,
             CInt.LONG: CInt.ULONG, CInt.LLONG: CInt.ULLONG, CInt.INT128: CInt.UINT128}
_FLOATS = frozenset({Scalar.FLOAT, Scalar.DOUBLE, Scalar.LONG_DOUBLE, Scalar.FLOAT128,
                     Scalar.FLOAT16, Scalar.HALF, Scalar.BFLOAT16, Scalar.BFLOAT16_ARM})


def apply_mode(t: Type, word: str, target: Target) -> Type:
    """The type ``t __attribute__((mode(word)))`` is on ``target``; :class:`ModeError` when
    clang refuses it (a vector mode, a mode that does not match the type, a width the target
    has no type for)."""
    mode = _parse_mode(word)
    if mode is None:
        raise ModeError(f"unknown or unsupported machine mode {word!r} (vector modes make "
                        "vector types, which are not supported)")
    bits = mode.bits if mode.bits is not None else _width(mode.kind, target)
    if mode.kind in ("word", "pointer", "byte", "unwind_word"):
        mode = _Mode(bits, "int")
    if mode.kind == "int":
        if not isinstance(t, CInteger):
            raise ModeError("type of machine mode does not match type of base type")
        return _integer(bits, target.int_signed(t.kind), target)
    if mode.kind == "complex":
        if not isinstance(t, Complex):
            raise ModeError("type of machine mode does not match type of base type")
        return Complex(_real(bits, mode.explicit, target))
    # (a complex float is a floating type too, and a float mode makes it real: clang's
    # isFloatingType)
    real = t.element if isinstance(t, Complex) else t
    if not (isinstance(real, Primitive) and real.kind in _FLOATS):
        raise ModeError("type of machine mode does not match type of base type")
    return _real(bits, mode.explicit, target)


def _width(kind: str, target: Target) -> int:
    # register, pointer and unwind-word widths are the pointer's on every target we know
    return 8 if kind == "byte" else target.pointer_bits


def _integer(bits: int, signed: bool, target: Target) -> Type:
    for kind in _BY_WIDTH:
        if target.int_bits(kind) == bits:
            return CInteger(kind if signed else _UNSIGNED[kind])
    if bits == 128:  # even where the __int128 keyword is not (i686, armv7): clang-19 does
        return CInteger(CInt.INT128 if signed else CInt.UINT128)
    raise ModeError(f"no integer type is {bits} bits wide on {target.triple}")


def _real(bits: int, explicit: str, target: Target) -> Type:
    arch = target.triple.split("-", 1)[0]
    long_double = _LONG_DOUBLE.get(arch, "double")
    found: Scalar | None = None
    if bits == 16:
        found = Scalar.HALF
    elif bits == 32:
        found = Scalar.FLOAT
    elif bits == 64:
        found = Scalar.DOUBLE
    elif bits == 96 and long_double == "x87":
        found = Scalar.LONG_DOUBLE
    elif bits == 128:
        if explicit == "float128":
            found = Scalar.FLOAT128 if target.has_float128 else None
        elif explicit == "ibm128":
            found = None
        elif long_double == "quad":
            found = Scalar.LONG_DOUBLE
        elif target.has_float128:
            found = Scalar.FLOAT128
    if found is None:
        raise ModeError(f"no floating type is {bits} bits wide on {target.triple}")
    return Primitive(found)
