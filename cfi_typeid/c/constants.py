"""Integer constant expressions in C declarations (array sizes, enumerator values), evaluated
as clang does: 128-bit bounded, C's truncating division, character constants with escapes and
``char``'s signedness, ``sizeof`` of the types whose size the target fixes.
"""

from __future__ import annotations

import re
from typing import Callable

from .scope import CURRENT_SCOPE, Scope
from ..parsing.lalr import Token
from ..model import (
    Array, CInteger, Complex, FunctionType, Pointer, Primitive, Scalar, Type, unqualified,
)

_BINARY: dict[str, Callable[[int, int], int]] = {
    "||": lambda a, b: int(bool(a) or bool(b)), "&&": lambda a, b: int(bool(a) and bool(b)),
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "&": lambda a, b: a & b,
    "==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b), ">": lambda a, b: int(a > b),
    "<=": lambda a, b: int(a <= b), ">=": lambda a, b: int(a >= b),
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
}

_FLOAT_BYTES = {Scalar.FLOAT: 4, Scalar.DOUBLE: 8, Scalar.FLOAT16: 2, Scalar.HALF: 2,
                Scalar.BFLOAT16: 2, Scalar.BFLOAT16_ARM: 2, Scalar.FLOAT128: 16,
                Scalar.BOOL: 1,
                Scalar.VOID: 1}  # (GNU C: sizeof(void) is 1, and so is a function's)


class Variable:
    """The value of an expression naming a parameter declared before (``size_t n, char
    s[n]``): not a constant, so the array it sizes has variable length, which clang writes
    ``A_`` (and a parameter's own array decays to a pointer anyway)."""

    def __repr__(self) -> str:
        return "VARIABLE"


VARIABLE = Variable()
Value = int | Variable


class ConstantRules:
    """The grammar's constant-expression rule methods (see :class:`cfi_typeid.c.semantics.
    CTransformer`, which has them), reading the scope in :data:`CURRENT_SCOPE`."""

    @property
    def scope(self) -> Scope:
        return CURRENT_SCOPE.get()

    # -- constant expressions --
    def integer(self, tok: Token) -> int:
        # the suffix is matched, not stripped: `b`/`B` are hex digits too (`0x1b` is 27)
        m = _INTEGER_LITERAL.fullmatch(str(tok))
        if m is None:
            raise self.scope.error(f"invalid integer literal {tok!s}", tok.start_pos or 0)
        digits = m.group(1)
        if len(digits) > 2 * _CONSTANT_BITS:
            raise self.scope.error(_LITERAL_TOO_LARGE, tok.start_pos or 0)
        if digits[:2] in ("0x", "0X"):
            return self._literal(int(digits, 16), tok)
        if digits[:2] in ("0b", "0B"):
            return self._literal(int(digits[2:], 2), tok)
        if len(digits) > 1 and digits.startswith("0"):
            if "8" in digits or "9" in digits:
                raise self.scope.error(f"invalid octal literal {digits}", tok.start_pos or 0)
            return self._literal(int(digits, 8), tok)
        return self._literal(int(digits), tok)

    def character(self, tok: Token) -> int:
        """A character constant's int value as clang computes it: escapes (``\\x41``,
        ``\\101``), ``char``'s signedness for one byte, big-endian packing for several."""
        values: list[int] = []
        for m in _CHAR_ESCAPE.finditer(str(tok)[1:-1]):
            esc = m.group(1)
            if esc is None:
                values.extend(m.group().encode())
            elif esc == "x":
                raise self.scope.error("\\x used with no following hex digits",
                                       tok.start_pos or 0)
            elif esc[0] == "x":
                values.append(int(esc[1:], 16) & 0xFF)
            elif esc[0] in "01234567":
                values.append(int(esc, 8) & 0xFF)
            else:
                values.append(_SIMPLE_ESCAPES.get(esc, ord(esc)) & 0xFF)
        if len(values) == 1:
            v = values[0]
            return v - 256 if v > 127 and self.scope.target.char_signed else v
        packed = 0
        for v in values:
            packed = ((packed << 8) | v) & 0xFFFFFFFF
        return packed - (1 << 32) if packed & 0x80000000 else packed

    def constant(self, tok: Token) -> Value:
        try:
            return self.scope.constants[str(tok)]
        except KeyError:
            if self._earlier_parameter(tok):
                return VARIABLE
            raise self.scope.error(f"{tok!s} is not a constant known here (enumerators and "
                                   "integer literals only)", tok.start_pos or 0) from None

    def _earlier_parameter(self, tok: Token) -> bool:
        """Whether ``tok`` names a parameter declared before it in this declaration (a name
        just before a ``,`` or ``)``)."""
        scope = self.scope
        before = scope.text[scope.base:scope.base + (tok.start_pos or 0)]
        return re.search(rf"(?<![\w$]){re.escape(str(tok))}\s*[,)]", before) is not None

    def binary(self, first: Value, *rest: object) -> Value:
        """``a op b op c ...``, left to right (the grammar's lists of one precedence)."""
        value = first
        for i in range(0, len(rest), 2):
            op, b = rest[i], rest[i + 1]
            assert isinstance(op, Token) and isinstance(b, (int, Variable))
            self._no_increment(op)
            if isinstance(value, Variable) or isinstance(b, Variable):
                value = VARIABLE
            else:
                value = self._binary(value, op, b)
        return value

    def _binary(self, a: int, op: Token, b: int) -> int:
        if op in ("/", "%"):
            if b == 0:
                raise self.scope.error("division by zero in constant expression",
                                       op.start_pos or 0)
            q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
            return q if op == "/" else a - q * b
        if op in ("<<", ">>") and not 0 <= b < _CONSTANT_BITS:
            raise self.scope.error(f"shift count {b} out of range", op.start_pos or 0)
        return self._bounded(_BINARY[str(op)](a, b), op)

    def _literal(self, value: int, tok: Token) -> int:
        # no C integer type is wider than 64 bits for a literal (clang-19 refuses the rest)
        if value >= 1 << 64:
            raise self.scope.error(_LITERAL_TOO_LARGE, tok.start_pos or 0)
        return value

    def _bounded(self, value: int, tok: Token) -> int:
        # C constants fit in 128 bits; a bound also keeps `1 << 1 << ...` from eating memory
        if abs(value) >= 1 << _CONSTANT_BITS:
            raise self.scope.error("constant expression overflows 128 bits",
                                   tok.start_pos or 0)
        return value

    def _no_increment(self, op: Token) -> None:
        # C lexes `--` and `++` as one token, never allowed in a constant expression
        at = self.scope.base + (op.start_pos or 0)
        if op in ("+", "-") and self.scope.text[at + 1:at + 2] == str(op):
            raise self.scope.error(f"'{op!s}{op!s}' is not allowed in a constant expression",
                                   op.start_pos or 0)

    def unary(self, op: Token, a: Value) -> Value:
        self._no_increment(op)
        if isinstance(a, Variable):
            return a
        return {"-": -a, "+": a, "~": ~a, "!": int(not a)}[str(op)]

    def ternary(self, c: Value, a: Value, b: Value) -> Value:
        if isinstance(c, Variable):
            return VARIABLE
        return a if c else b

    def cast(self, t: Type, a: Value) -> Value:
        return a

    def sizeof_type(self, kw: Token, t: Type) -> int:
        size = self._sizeof(t)
        if size is None:
            raise self.scope.error("sizeof of this type is not supported", kw.start_pos or 0)
        return size

    def _sizeof(self, t: Type) -> int | None:
        target = self.scope.target
        match unqualified(t):
            case CInteger(kind):
                return target.int_bits(kind) // 8
            case Pointer():
                return target.pointer_bits // 8
            case Primitive(kind):
                return _FLOAT_BYTES.get(kind)
            case Array(element, length):
                inner = self._sizeof(element)
                return None if inner is None or length is None else inner * length
            case Complex(part):
                inner = self._sizeof(part)
                return None if inner is None else 2 * inner
            case FunctionType():
                return 1
            case _:
                return None


_INTEGER_LITERAL = re.compile(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)"
                              r"(?:[uU](?:ll|LL|[lL]|wb|WB)?|(?:ll|LL|[lL]|wb|WB)[uU]?)?")

_CHAR_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)|.", re.S)
_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27}

_CONSTANT_BITS = 128
_LITERAL_TOO_LARGE = "integer literal is too large to be represented in any integer type"
