"""Integer constant expressions in C declarations (array sizes, enumerator values), evaluated
as clang folds them: in C's types (a literal's from its value and suffix, the usual
arithmetic conversions, wrap-around on overflow, shift counts folded as clang does), C's
truncating division, character constants with escapes and ``char``'s signedness, ``sizeof``
of the types whose size the target fixes.

An expression that is no integer constant but has a type clang's folder reads is an
:class:`Object` (a declared function or variable, a pointer, ``*p``, ``p->m``): what
``__typeof__(x)`` names and ``sizeof(x)`` measures, as the kernel's macros use them
(``ALIGN()``'s casts to ``(__typeof__(x))``, ``__is_constexpr()``'s ``sizeof`` of a ``?:`` of
pointers).  Layout attributes' arguments (``aligned(1 << 6)``) are folded here too (see
:func:`cfi_typeid.c.frontend.fold_attribute_argument`).
"""

from __future__ import annotations

import re
from typing import Callable

from .layout import Found, Layout, alignment_of, anonymous_at, layout_of
from .scope import CURRENT_SCOPE, Scope, c_qualify
from .conversions import UNSIGNED, common, common_kind, promoted, promoted_kind
from .typed_int import Typed as Typed, of_value, wrap as _wrap
from ..parsing.lalr import Token
from ..model import (
    VOID, Array, CInt, CInteger, Complex, FunctionType, Named, Pointer, Primitive, Qualified,
    Scalar, Type, unqualified,
)
from ..regex_code import cached_regex

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
#: ``sizeof(long double)`` on the targets where it was compared with clang-19 (vectors of it
#: need it: tests/test_c_vectors.py); elsewhere it is not known.
LONG_DOUBLE_BYTES = {"x86_64-unknown-linux-gnu": 16, "i686-unknown-linux-gnu": 12,
                     "aarch64-unknown-linux-gnu": 16}


class Variable:
    """The value of an expression naming a parameter declared before (``size_t n, char
    s[n]``): not a constant, so the array it sizes has variable length, which clang writes
    ``A_`` (and a parameter's own array decays to a pointer anyway)."""

    def __repr__(self) -> str:
        return "VARIABLE"


VARIABLE = Variable()
#: A constant expression's value.  (Never a plain ``int``: see :mod:`cfi_typeid.c.typed_int`.)
Value = Typed | Variable


class Unfolded(Variable):
    """The value of a call of a function clang does not fold (not one of
    :data:`_FOLDED_BUILTINS`): no constant, and no variable length either (an array of it is
    refused).  It may stand in a branch of ``?:`` not taken: the kernel's ``ilog2(n)`` is
    ``__builtin_constant_p(n) ? ... : __ilog2_u32(n)``."""

    def __repr__(self) -> str:
        return "UNFOLDED"


UNFOLDED = Unfolded()


class Object(Unfolded):
    """The value of an expression that is no integer constant but whose type is known: an
    object or function declared before (``__typeof__(x)``, ``sizeof(x)``), a pointer
    (``(void *)0``, ``*p``, ``&f``, ``p->m``).  ``value`` is the integer a pointer was cast
    from, where it was one: ``(void *)0`` is a null pointer constant, what the kernel's
    ``__is_constexpr(x)`` (``sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8))``) tests.
    Arithmetic on it is no constant, as a call's is (:class:`Unfolded`)."""

    type: Type
    value: Typed | None

    def __init__(self, type: Type, value: Typed | None = None) -> None:
        self.type, self.value = type, value

    def __repr__(self) -> str:
        return f"Object({self.type!r}, {self.value!r})"


def not_constant(a: Value, b: Value) -> Variable:
    """What an operation on a value that is not a constant gives: a call's stays one (and
    so does an object's, whose type the operation changes)."""
    return UNFOLDED if isinstance(a, Unfolded) or isinstance(b, Unfolded) else VARIABLE


class ConstantRules:
    """The grammar's constant-expression rule methods (see :class:`cfi_typeid.c.semantics.
    CTransformer`, which has them), reading the scope in :data:`CURRENT_SCOPE`."""

    @property
    def scope(self) -> Scope:
        return CURRENT_SCOPE.get()

    # -- constant expressions --
    def attribute_argument(self, value: Value) -> Value:
        return value

    def integer(self, tok: Token) -> Typed:
        # the suffix is matched, not stripped: `b`/`B` are hex digits too (`0x1b` is 27)
        if "'" in tok:
            tok = self._separated(tok)
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

    def _separated(self, tok: Token) -> Token:
        """A literal with C23's digit separators (``1'000``), without them: before C23,
        clang-19 reads the ``'`` as a character constant's start and refuses the line."""
        if not self.scope.target.c_standard.digit_separators:
            raise self.scope.error(f"digit separators ({tok!s}) are C23's: read the text as "
                                   "C23 (--std c23)", tok.start_pos or 0)
        return Token(tok.type, str(tok).replace("'", ""), tok.start_pos)

    def character(self, tok: Token) -> Typed:
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
            return Typed(v - 256 if v > 127 and self.scope.target.char_signed else v, 32, True,
                         CInt.INT)
        packed = 0
        for v in values:
            packed = ((packed << 8) | v) & 0xFFFFFFFF
        return Typed(packed, 32, True, CInt.INT)

    def constant(self, tok: Token) -> Value:
        """An enumerator's value; a parameter's (a variable length); else a function's or
        variable's declared before, no constant but of a type ``__typeof__`` and ``sizeof``
        read."""
        try:
            return self.scope.constants[str(tok)]
        except KeyError:
            if self._earlier_parameter(tok):
                return VARIABLE
            found = self.scope.objects.get(str(tok))
            if found is not None:
                return Object(found)
            raise self.scope.error(f"{tok!s} is not a constant known here (an enumerator, an "
                                   "integer literal, or a function or variable's type)",
                                   tok.start_pos or 0) from None

    def _earlier_parameter(self, tok: Token) -> bool:
        """Whether ``tok`` names a parameter declared before it in this declaration (a name
        after a type's word and stars, just before a ``,`` or ``)``: not a function's or
        variable's, as in ``__typeof__(h)`` or ``sizeof(*table)``)."""
        scope = self.scope
        before = scope.text[scope.base:scope.base + (tok.start_pos or 0)]
        return re.search(rf"[\w$][\s*]*(?<![\w$]){re.escape(str(tok))}\s*[,)]",
                         before) is not None

    def binary(self, first: Value, *rest: object) -> Value:
        """``a op b op c ...``, left to right (the grammar's lists of one precedence)."""
        value = first
        for i in range(0, len(rest), 2):
            op, b = rest[i], rest[i + 1]
            assert isinstance(op, Token) and isinstance(b, (Typed, Variable))
            self._no_increment(op)
            if isinstance(value, Variable) or isinstance(b, Variable):
                value = not_constant(value, b)
            else:
                value = self._binary(value, op, b)
        return value

    def _binary(self, a: Typed, op: Token, b: Typed) -> Typed:
        """``a op b`` in C's types, wrapping as clang's constant folder does (it accepts an
        overflow with a warning, and so folds ``(1 << 30) * 4`` to 0)."""
        if op in ("&&", "||"):
            return Typed(_BINARY[str(op)](a, b), 32, True, CInt.INT)
        if op in ("<<", ">>"):
            bits, signed = promoted(a)
            count = int(b)
            if count < 0:  # (clang folds a negative shift as one the other way)
                op, count = Token(op.type, ">>" if op == "<<" else "<<", op.start_pos), -count
            count = min(count, bits - 1)  # (and a count past the width as width - 1)
            x = _wrap(a, bits, signed)
            return Typed(x << count if op == "<<" else x >> count, bits, signed,
                         promoted_kind(a))
        bits, signed = common(a, b)
        kind = common_kind(a, b, bits, signed)
        x, y = _wrap(a, bits, signed), _wrap(b, bits, signed)
        if op in ("/", "%"):
            if y == 0:
                raise self.scope.error("division by zero in constant expression",
                                       op.start_pos or 0)
            q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
            return Typed(q if op == "/" else x - q * y, bits, signed, kind)
        value = _BINARY[str(op)](x, y)
        if op in ("==", "!=", "<", ">", "<=", ">="):
            return Typed(value, 32, True, CInt.INT)
        return Typed(value, bits, signed, kind)

    def _literal(self, value: int, tok: Token) -> Typed:
        # no C integer type is wider than 64 bits for a literal (clang-19 refuses the rest)
        if value >= 1 << 64:
            raise self.scope.error(_LITERAL_TOO_LARGE, tok.start_pos or 0)
        return self._literal_type(value, str(tok))

    def _literal_type(self, value: int, text: str) -> Typed:
        """The literal as the first type of its list that holds it (C17 6.4.4.1p5)."""
        suffix = text.lower().lstrip("0123456789abcdefx")
        if text[:2] in ("0x", "0X", "0b", "0B"):
            suffix = text[2:].lower().lstrip("0123456789abcdef")
        if "wb" in suffix:
            return of_value(value)  # (a _BitInt literal: the width its value needs)
        decimal = not (text.startswith("0") and len(text) > 1)
        long_bits = self.scope.target.int_bits(CInt.LONG)
        rank = 2 if "ll" in suffix else 1 if "l" in suffix else 0
        kinds = [(32, True, CInt.INT), (long_bits, True, CInt.LONG),
                 (64, True, CInt.LLONG)][rank:]
        if "u" in suffix:
            kinds = [(bits, False, UNSIGNED[kind]) for bits, _, kind in kinds]
        elif not decimal:
            kinds = [each for bits, _, kind in kinds
                     for each in ((bits, True, kind), (bits, False, UNSIGNED[kind]))]
        for bits, signed, kind in kinds:
            if value < 1 << (bits - signed):
                return Typed(value, bits, signed, kind)
        return Typed(value, 64, False)  # (clang: "interpreting as unsigned")

    def _no_increment(self, op: Token) -> None:
        # C lexes `--` and `++` as one token, never allowed in a constant expression
        at = self.scope.base + (op.start_pos or 0)
        if op in ("+", "-") and self.scope.text[at + 1:at + 2] == str(op):
            raise self.scope.error(f"'{op!s}{op!s}' is not allowed in a constant expression",
                                   op.start_pos or 0)

    def unary(self, op: Token, a: Value) -> Value:
        self._no_increment(op)
        if isinstance(a, Variable):
            return not_constant(a, a)
        if op == "!":
            return Typed(int(not a), 32, True, CInt.INT)
        bits, signed = promoted(a)
        return Typed({"-": -a, "+": a, "~": ~a}[str(op)], bits, signed, promoted_kind(a))

    def ternary(self, c: Value, a: Value, b: Value) -> Value:
        if isinstance(c, Variable):
            return not_constant(c, VARIABLE)
        if isinstance(a, Object) or isinstance(b, Object):
            return self._pointer_ternary(bool(c), a, b)
        if isinstance(a, Variable) or isinstance(b, Variable):
            return a if c else b
        bits, signed = common(a, b)
        return Typed(a if c else b, bits, signed, common_kind(a, b, bits, signed))

    def _pointer_ternary(self, c: bool, a: Value, b: Value) -> Value:
        """``c ? a : b`` of pointers (C17 6.5.15p6): a null pointer constant takes the
        other's type, a ``void *`` makes the result one (qualifiers joined), and two
        pointers to one type are that.  Of other objects the type is not known here."""
        taken = a if c else b
        value = taken.value if isinstance(taken, Object) else None
        x, y = _pointer_type(a), _pointer_type(b)
        if _null_pointer(a) and y is not None:
            return Object(y, value)
        if _null_pointer(b) and x is not None:
            return Object(x, value)
        if x is None or y is None:
            return UNFOLDED
        px, py = unqualified(x.pointee), unqualified(y.pointee)
        if px != py and VOID not in (px, py):
            return UNFOLDED
        quals = {q for p in (x.pointee, y.pointee) if isinstance(p, Qualified)
                 for q, on in (("const", p.const), ("volatile", p.volatile)) if on}
        return Object(Pointer(c_qualify(VOID if VOID in (px, py) else px, "const" in quals,
                                        "volatile" in quals)), value)

    def cast(self, t: Type, a: Value) -> Value:
        """``(T)a``: an integer type's width and signedness (``(char)300`` is 44); a pointer
        type makes an :class:`Object` (which remembers the integer it was cast from)."""
        target = unqualified(t)
        if isinstance(a, Object) and a.value is not None and not isinstance(target, Pointer):
            a = a.value  # ((long)(void *)5: clang folds it, a GNU extension)
        if isinstance(target, Pointer) and not isinstance(a, Variable) \
                or isinstance(a, Object):
            return Object(t, a if isinstance(a, Typed) else a.value
                          if isinstance(a, Object) else None)
        if isinstance(a, Variable):
            return a
        if isinstance(target, CInteger):
            kind = target.kind
            return Typed(a, self.scope.target.int_bits(kind), self.scope.target.int_signed(kind),
                         kind)
        if target == Primitive(Scalar.BOOL):
            return Typed(int(bool(a)), 8, False)
        return a

    def sizeof_type(self, kw: Token, t: Type) -> Typed:
        """``sizeof(T)``; of an unnamed struct defined there too, the kernel's
        ``BUILD_BUG_ON_ZERO(e)``, ``sizeof(struct { int:(-!!(e)); })``."""
        anonymous = anonymous_at(self.scope, kw.start_pos or 0)
        size = self._sizeof(t, anonymous)
        if size is None:
            raise self.scope.error(_refusal(t, self.scope, anonymous), kw.start_pos or 0)
        return self._size(size)

    def _size(self, size: int) -> Typed:
        """A ``size_t`` (its kind the target's typedef's)."""
        t = self.scope.typedefs.get("size_t")
        kind = t.kind if isinstance(t, CInteger) else None
        return Typed(size, self.scope.target.pointer_bits, False, kind)

    def sizeof_expression(self, kw: Token, a: Value) -> Typed:
        """``sizeof(expr)``: the size of the expression's type, which the evaluator carries
        (``sizeof(8192 < 32 ? 8192 : 32)`` is 4, ``sizeof((char)1)`` 1: no promotion;
        ``sizeof(*(1 ? (void *)0 : (int *)8))`` 4), as clang folds it.  Of anything else the
        type is not known here."""
        size = self._sizeof(a.type) if isinstance(a, Object) else None
        if isinstance(a, Typed):
            return self._size(a.bits // 8)
        if size is None:
            raise self.scope.error(f"{kw!s} of an expression that is not an integer constant "
                                   "is not supported", kw.start_pos or 0)
        return self._size(size)

    def call(self, name: Token, *args: Value) -> Value:
        """A call in a constant expression: a builtin clang folds, with the arguments it
        takes, else :data:`UNFOLDED`."""
        builtin = _FOLDED_BUILTINS.get(str(name))
        if builtin is None:
            return UNFOLDED
        arity, fold = builtin
        if len(args) != arity:
            raise self.scope.error(f"{name!s} takes {arity} argument{'s' * (arity > 1)}",
                                   name.start_pos or 0)
        if str(name) == "__builtin_constant_p":  # (of anything: 0 when it is no constant)
            return Typed(int(not isinstance(args[0], Variable)), 32, True, CInt.INT)
        if str(name) == "__builtin_choose_expr":  # (only the condition must be constant)
            if isinstance(args[0], Variable):
                raise self.scope.error("__builtin_choose_expr's condition is not a constant",
                                       name.start_pos or 0)
            return args[1] if args[0] else args[2]
        numbers = [a for a in args if not isinstance(a, Variable)]
        if len(numbers) < len(args):
            return next(a for a in args if isinstance(a, Variable))
        value = fold(self.scope.target.long_bits, *numbers)
        if value is None:
            raise self.scope.error(f"{name!s}({', '.join(map(str, args))}) is not a constant "
                                   "(clang does not fold it)", name.start_pos or 0)
        return value if isinstance(value, Typed) else Typed(value, 32, True, CInt.INT)

    def alignof_type(self, kw: Token, t: Type) -> Typed:
        """``_Alignof(T)`` / ``__alignof__(T)`` of a scalar (or an array of them) from its
        layout; ``__alignof__`` is the preferred alignment, which differs for an 8-byte
        scalar (i686: ``__alignof__(long long)`` and ``__alignof__(double)`` are 8,
        ``_Alignof`` 4); a struct's, union's or enum's from its layout."""
        element = unqualified(t)
        while isinstance(element, Array):
            element = unqualified(element.element)
        preferred = str(kw).startswith("__")
        if isinstance(element, Named):  # a struct's, union's or enum's, from its layout
            found = alignment_of(element, self.scope, preferred=preferred)
            if isinstance(found, str):
                raise self.scope.error(f"{kw!s} of {_named(element)} is not supported: {found}",
                                       kw.start_pos or 0)
            return self._size(found)
        layout = layout_of(element, self.scope) if isinstance(
            element, (CInteger, Pointer, Primitive)) and element != VOID else None
        if not isinstance(layout, Layout):
            raise self.scope.error(f"{kw!s} of this type is not supported", kw.start_pos or 0)
        if preferred and not isinstance(element, Pointer) and layout.size == 8:
            return self._size(8)
        return self._size(layout.align)

    def _sizeof(self, t: Type, anonymous: Found | None = None) -> int | None:
        """``t``'s size, ``anonymous`` the layout of the unnamed struct or union it names."""
        target = self.scope.target
        match unqualified(t):
            case CInteger(kind):
                return target.int_bits(kind) // 8
            case Pointer():
                return target.pointer_bits // 8
            case Primitive(Scalar.LONG_DOUBLE):
                return LONG_DOUBLE_BYTES.get(target.triple)
            case Primitive(kind):
                return _FLOAT_BYTES.get(kind)
            case Array(element, length):
                inner = self._sizeof(element, anonymous)
                return None if inner is None or length is None else inner * length
            case Complex(part):
                inner = self._sizeof(part)
                return None if inner is None else 2 * inner
            case FunctionType():
                return 1
            case Named():
                found = layout_of(t, self.scope, anonymous)
                return None if isinstance(found, str) else found.size
            case _:
                return None


def _pointer_type(v: Value) -> Pointer | None:
    """The pointer type an operand of ``?:`` has: an array or a function decays to one."""
    t = unqualified(v.type) if isinstance(v, Object) else None
    if isinstance(t, Array):
        return Pointer(t.element)
    if isinstance(t, FunctionType):
        return Pointer(t)
    return t if isinstance(t, Pointer) else None


def _null_pointer(v: Value) -> bool:
    """Whether ``v`` is a null pointer constant: an integer constant 0, or one cast to
    ``void *`` (C17 6.3.2.3p3)."""
    if isinstance(v, Object):
        return v.value == 0 and v.type == Pointer(VOID)
    return isinstance(v, Typed) and v == 0


def _refusal(t: Type, scope: Scope, anonymous: Found | None = None) -> str:
    """Why ``sizeof`` of ``t`` is refused: a struct's or union's reason names it."""
    inner = unqualified(t)
    while isinstance(inner, (Array, Complex)):
        inner = unqualified(inner.element)
    if isinstance(inner, Named):
        found = layout_of(t, scope, anonymous)
        if isinstance(found, str):
            return f"sizeof of {_named(inner)} is not supported: {found}"
    return "sizeof of this type is not supported"


def _named(t: Named) -> str:
    return f"{t.kind} {t.name}" if t.name else f"an unnamed {t.kind}"


_INTEGER_LITERAL = cached_regex(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)"
                              r"(?:[uU](?:ll|LL|[lL]|wb|WB)?|(?:ll|LL|[lL]|wb|WB)[uU]?)?")

def _leading_zeros(bits: int) -> Callable[..., int | None]:
    def fold(long_bits: int, x: int) -> int | None:
        width = bits or long_bits
        x = _wrap(x, width, False)
        return width - x.bit_length() if x else None  # (of 0: undefined, not folded)
    return fold


def _trailing_zeros(bits: int) -> Callable[..., int | None]:
    def fold(long_bits: int, x: int) -> int | None:
        x = _wrap(x, bits or long_bits, False)
        return (x & -x).bit_length() - 1 if x else None
    return fold


def _population(bits: int) -> Callable[..., int | None]:
    def fold(long_bits: int, x: int) -> int | None:
        return bin(_wrap(x, bits or long_bits, False)).count("1")
    return fold


def _first(long_bits: int, x: Typed, *rest: Typed) -> Typed:
    return x


#: The builtins clang folds in a constant expression that the kernel's headers use there
#: (``ilog2()``, ``GENMASK()``, ``likely()``): name -> (arity, fold of (long's bits, args)).
#: The bit counts' widths are their argument types' (0: ``long``'s); their value is an int.
_FOLDED_BUILTINS: dict[str, tuple[int, Callable[..., int | None]]] = {
    **{f"__builtin_clz{s}": (1, _leading_zeros(b)) for s, b in (("", 32), ("l", 0), ("ll", 64))},
    **{f"__builtin_ctz{s}": (1, _trailing_zeros(b)) for s, b in (("", 32), ("l", 0), ("ll", 64))},
    **{f"__builtin_popcount{s}": (1, _population(b))
       for s, b in (("", 32), ("l", 0), ("ll", 64))},
    "__builtin_constant_p": (1, _first),
    "__builtin_choose_expr": (3, _first),
    "__builtin_expect": (2, _first),
}

_CHAR_ESCAPE = cached_regex(r"\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)|.", re.S)
_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27}

_CONSTANT_BITS = 128
_LITERAL_TOO_LARGE = "integer literal is too large to be represented in any integer type"
