"""Constant evaluation where a type needs a value (array lengths), with rustc's rules.

Every value has an integer type, found as rustc finds it: a suffix (``3usize``), a constant's
declared type, a cast (``0 as c_int``), ``size_of`` (``usize``), or the context (the length of
an array is a ``usize``; an unsuffixed literal with nothing to go by is an ``i32``).  Arithmetic
that leaves its type is an error naming the constant, as rustc's "attempt to compute ..., which
would overflow" is; casts wrap.  Work is bounded: a constant is evaluated once (``N2 = N1 * N1``
22 deep is 22 evaluations, not 2**22), literals wider than 128 bits are refused by the lexer,
and constants may refer to each other at most :data:`MAX_CONST_DEPTH` deep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable
from weakref import WeakKeyDictionary

from ..errors import ParseError
from .ast import (
    BinaryExpr, CallExpr, CastExpr, Expr, IntLit, NegExpr, NotExpr, OtherLit, PathExpr,
)
from .items import ConstDef, ItemError
from .env import Env
from .layout import LayoutError, Layouts
from .types import RInt, RScalar
from ..model import Scalar

if TYPE_CHECKING:
    from .resolve import Resolver

#: How deeply constants may refer to constants.
MAX_CONST_DEPTH = 256

#: An integer type: (bits, signed, name); ``usize`` and ``u64`` are two types.
IntTy = tuple[int, bool, str]
BOOL: IntTy = (1, False, "bool")
I32: IntTy = (32, True, "i32")

_SIGNED = {"i": True, "u": False}
_COMPARE = {"==": int.__eq__, "!=": int.__ne__, "<": int.__lt__, ">": int.__gt__,
            "<=": int.__le__, ">=": int.__ge__}


def _fits(value: int, ty: IntTy) -> bool:
    bits, signed, _ = ty
    if signed:
        return -(1 << (bits - 1)) <= value < 1 << (bits - 1)
    return 0 <= value < 1 << bits


def _wrap(value: int, ty: IntTy) -> int:
    bits, signed, _ = ty
    value &= (1 << bits) - 1
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _truncating_div(a: int, b: int) -> tuple[int, int]:
    q = abs(a) // abs(b)
    q = q if (a >= 0) == (b >= 0) else -q
    return q, a - q * b


class ConstValueError(ItemError):
    """rustc refuses the constant itself (see :meth:`ConstEval.check`)."""


class _UnknownLength(Exception):
    """A const parameter with no value given (a generic item not instantiated)."""


class ConstEval:
    """Evaluates constant expressions for one :class:`~cfi_typeid.rust.resolve.Resolver`."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.pointer_bits = resolver.target.pointer_bits
        self.usize: IntTy = (self.pointer_bits, False, "usize")
        self._values: WeakKeyDictionary[ConstDef, tuple[int, IntTy]] = WeakKeyDictionary()
        self._stack: list[ConstDef] = []

    # ---- types --------------------------------------------------------------------------

    def _int_type(self, name: str) -> IntTy | None:
        if name in ("usize", "isize"):
            return (self.pointer_bits, name[0] == "i", name)
        if name[:1] in _SIGNED and name[1:].isdigit():
            return (int(name[1:]), _SIGNED[name[0]], name)
        return None

    def _declared(self, d: ConstDef) -> IntTy:
        t = self.resolver.type(d.item.type, Env(d.module))
        if isinstance(t, RInt):
            ty = self._int_type(t.kind.value)
            assert ty is not None
            return ty
        if isinstance(t, RScalar) and t.kind is Scalar.BOOL:
            return BOOL
        raise d.module.source.error(
            f"constant {d.item.name!r} is not an integer, so it cannot be a length",
            d.item.at)

    def infer(self, e: Expr, env: Env) -> IntTy | None:
        """The type ``e`` has whatever its context (None: an unsuffixed literal's)."""
        match e:
            case IntLit(suffix=suffix):
                return self._int_type(suffix) if suffix else None
            case OtherLit():
                return None
            case PathExpr(path):
                if len(path.segments) == 1 and path.segments[0].name in ("true", "false"):
                    return BOOL
                if len(path.segments) == 1 and path.segments[0].name in env.consts:
                    return None  # a const parameter: the type its context asks for
                d = self.resolver.resolve_path(env, path, values=True)
                return self._declared(d) if isinstance(d, ConstDef) else None
            case BinaryExpr(op, left, right):
                if op in _COMPARE:
                    return BOOL
                if op in ("<<", ">>"):
                    return self.infer(left, env)
                return self.infer(left, env) or self.infer(right, env)
            case NegExpr(operand) | NotExpr(operand):
                return self.infer(operand, env)
            case CastExpr(_, type_):
                return self._cast_type(e, env)
            case CallExpr():
                return self.usize

    def _cast_type(self, e: CastExpr, env: Env) -> IntTy:
        t = self.resolver.type(e.type, env)
        if isinstance(t, RInt):
            ty = self._int_type(t.kind.value)
            assert ty is not None
            return ty
        raise self._error(env, "only casts to integer types are evaluated here", e.at)

    # ---- values -------------------------------------------------------------------------

    def length(self, e: Expr, env: Env) -> int:
        """The value of an array length (a ``usize``); -1 when it depends on a const
        parameter given no value."""
        try:
            return self.value(e, env, self.usize)
        except _UnknownLength:
            return -1

    def typed_value(self, e: Expr, env: Env, type_name: str | None) -> int:
        """The value of ``e`` as a constant of the integer type ``type_name`` (``i32``, the
        type of a const parameter), or of the type its literals give it (None)."""
        return self.value(e, env, self._int_type(type_name) if type_name else None)

    def value(self, e: Expr, env: Env, expected: IntTy | None) -> int:
        ty = self.infer(e, env) or expected or I32
        if expected is not None and ty != expected:
            raise self._refusal(env, f"mismatched types: expected {self._name(expected)}, found "
                              f"{self._name(ty)}", getattr(e, "at", 0))
        return self._eval(e, env, ty)

    def _name(self, ty: IntTy) -> str:
        return ty[2]

    def _refusal(self, env: Env, message: str, at: int) -> ConstValueError:
        """An error in a constant's value itself (overflow, a type mismatch, a cycle), which
        rustc reports whether the constant is used or not."""
        error = self._error(env, message, at)
        return ConstValueError(error.message, error.text, error.offset, what=error.what)

    def _error(self, env: Env, message: str, at: int) -> ParseError:
        if self._stack:
            message = f"in constant {self._stack[-1].item.name!r}: {message}"
        return env.source.error(message, at)

    def _eval(self, e: Expr, env: Env, ty: IntTy) -> int:
        match e:
            case IntLit(value, _, at):
                limit = 1 << (ty[0] - 1) if ty[1] else 1 << ty[0]
                if value > limit or (value == limit and not ty[1]) or ty == BOOL:
                    raise self._refusal(env, f"literal out of range for {self._name(ty)}", at)
                return value
            case OtherLit(what, at):
                raise self._error(env, f"{what} is not an integer", at)
            case PathExpr(path, at):
                return self._path(e, env, ty)
            case NegExpr(operand, at):
                if not ty[1]:
                    raise self._error(env, f"cannot negate a value of type {self._name(ty)}",
                                      at)
                return self._checked(-self._eval(operand, env, ty), ty, env, at, "-")
            case NotExpr(operand):
                v = self._eval(operand, env, ty)
                return 1 - v if ty == BOOL else _wrap(~v, ty)
            case BinaryExpr(op, left, right, at):
                return self._binary(op, left, right, env, ty, at)
            case CastExpr(operand, _, at):
                source = self.infer(operand, env) or I32
                return _wrap(self._eval(operand, env, source), ty)
            case CallExpr(path, type_, at):
                names = [s.name for s in path.segments]
                if names[-1] not in ("size_of", "align_of") or (
                        len(names) > 1 and names[-2] != "mem"):
                    raise self._error(env, f"cannot evaluate a call to {'::'.join(names)!r}: "
                                      "only core::mem::size_of and align_of", at)
                try:
                    layout = Layouts(self.resolver).of(self.resolver.type(type_, env))
                except LayoutError as e:
                    raise env.source.error(
                        f"cannot lay out this type for size_of/align_of: {e}", at) from None
                return self._checked(layout.size if names[-1] == "size_of" else layout.align,
                                     ty, env, at, names[-1])

    def _checked(self, value: int, ty: IntTy, env: Env, at: int, what: str) -> int:
        if not _fits(value, ty):
            raise self._refusal(env, f"this constant's {what} overflows {self._name(ty)} "
                              f"(the value would be {value})", at)
        return value

    def _binary(self, op: str, left: Expr, right: Expr, env: Env, ty: IntTy, at: int) -> int:
        if op in _COMPARE:
            operands = self.infer(left, env) or self.infer(right, env) or I32
            compare: Callable[[int, int], bool] = _COMPARE[op]
            return int(compare(self._eval(left, env, operands), self._eval(right, env, operands)))
        a = self._eval(left, env, ty)
        if op in ("<<", ">>"):
            amount_ty = self.infer(right, env) or I32
            b = self._eval(right, env, amount_ty)
            if not 0 <= b < ty[0]:
                raise self._refusal(env, f"attempt to shift by {b}, which would overflow "
                                  f"{self._name(ty)}", at)
            return _wrap(a << b, ty) if op == "<<" else a >> b
        b = self._eval(right, env, ty)
        if op in ("&", "|", "^"):
            return {"&": a & b, "|": a | b, "^": a ^ b}[op]
        if ty == BOOL:
            raise self._error(env, f"cannot apply '{op}' to bool values", at)
        if op in ("/", "%"):
            if b == 0:
                raise self._refusal(env, "attempt to divide by zero", at)
            q, r = _truncating_div(a, b)
            return self._checked(q if op == "/" else r, ty, env, at, f"'{op}'")
        result = {"+": a + b, "-": a - b, "*": a * b}[op]
        if not _fits(result, ty):
            raise self._refusal(env, f"attempt to compute {a} {op} {b}, which would overflow "
                              f"{self._name(ty)}", at)
        return result

    def _path(self, e: PathExpr, env: Env, ty: IntTy) -> int:
        segments = e.path.segments
        if len(segments) == 1 and segments[0].name in ("true", "false"):
            return int(segments[0].name == "true")
        if len(segments) == 1 and segments[0].name in env.consts:
            given = env.consts[segments[0].name]
            if given is None:
                raise _UnknownLength
            return self._checked(int(given.value.lstrip("n")), ty, env, e.at, "constant")
        d = self.resolver.resolve_path(env, e.path, values=True)
        if not isinstance(d, ConstDef):
            raise self._error(env, "expected a constant", e.at)
        known = self._values.get(d)
        if known is None:
            known = self._const(d, env, e.at)
        return known[0]

    def check(self, d: ConstDef) -> None:
        """Evaluate the integer or bool constant ``d`` as rustc does for every constant, used
        or not: an overflow, a mismatch or a cycle in its value is a :class:`ConstValueError`;
        what this evaluator does not read (other types, calls, unknown names) waits until
        the constant is used."""
        try:
            if d not in self._values:
                self._const(d, Env(d.module), d.item.at)
        except ItemError:
            raise
        except ParseError:
            pass

    def _const(self, d: ConstDef, env: Env, at: int) -> tuple[int, IntTy]:
        if d in self._stack:
            raise self._refusal(env, f"constant {d.item.name!r} depends on itself", at)
        if len(self._stack) >= MAX_CONST_DEPTH:
            raise self._error(env, f"constants refer to constants more than {MAX_CONST_DEPTH} "
                              "deep", at)
        declared = self._declared(d)
        self._stack.append(d)
        try:
            value = self.value(d.item.value, Env(d.module), declared)
        finally:
            self._stack.pop()
        self._values[d] = (value, declared)
        return value, declared
