"""What rustc 1.95 rejects in the signatures of the interrupt and CMSE ABIs, as positioned
errors naming the parameter (``tests/test_rust_signature_rules.py`` asks rustc about each rule
on the targets that have these ABIs; the ids of the functions it accepts are those of
``extern "C"``, except that ``repr(C)`` types keep their paths outside the C ABIs).

* ``x86-interrupt``: one or two parameters, no return type but ``()`` or ``!``;
* ``riscv-interrupt-m`` / ``-s``: no parameters, no return type but ``()`` or ``!``;
* ``cmse-nonsecure-entry`` (a function) and ``cmse-nonsecure-call`` (a fn pointer only; E0781
  on anything else): no generics, the arguments in the four 32-bit argument registers (each
  argument's size added, then rounded up to a multiple of its alignment and at least 4; over
  16 spills), and a return value of at most 4 bytes, or an 8-byte ``i64``/``u64``/``f64``
  (through ``repr(transparent)`` wrappers) -- rustc's ``validate_cmse_abi`` (E0798).
"""

from __future__ import annotations

from ..errors import ParseError
from ..model import FixedInt, Scalar
from .layout import Layout, LayoutError, Layouts
from .resolve import Resolver
from .types import UNIT, RAdt, RInt, RScalar, RTy

CMSE = frozenset({"cmse-nonsecure-entry", "cmse-nonsecure-call"})
_INTERRUPTS = {"x86-interrupt": (1, 2), "riscv-interrupt-m": (0, 0),
               "riscv-interrupt-s": (0, 0)}
#: The ABIs whose signatures these rules restrict.
SPECIAL_SIGNATURES = CMSE | frozenset(_INTERRUPTS)
_WIDE_RETURNS = (RInt(FixedInt.I64), RInt(FixedInt.U64), RScalar(Scalar.DOUBLE))


class SignatureRules:
    """Checks one signature; ``at`` positions (parameters' and the return type's) locate the
    errors in ``text``."""

    def __init__(self, resolver: Resolver, text: str, what: str) -> None:
        self.resolver = resolver
        self.text = text
        self.what = what

    def error(self, message: str, at: int) -> ParseError:
        return ParseError(message, self.text, at, what=self.what)

    def check(self, abi: str, params: tuple[RTy, ...], returns: RTy | None,
              param_at: tuple[int, ...], return_at: int, *, pointer: bool,
              generic: int | None = None) -> None:
        """``returns`` None: no return type written; ``generic``: where a function's generic
        parameters are, if it has any."""
        if abi in _INTERRUPTS and not pointer:
            self._interrupt(abi, params, returns, param_at, return_at)
        if abi not in CMSE:
            return
        if abi == "cmse-nonsecure-call" and not pointer:
            raise self.error('the "cmse-nonsecure-call" ABI is only allowed on function '
                             "pointers (rustc E0781)", return_at)
        if generic is not None:
            raise self.error(f'generics are not allowed in the signature of an "{abi}" '
                             "function (rustc E0798)", generic)
        self._cmse_inputs(abi, params, param_at)
        if returns is not None:
            self._cmse_output(abi, returns, return_at)

    def _interrupt(self, abi: str, params: tuple[RTy, ...], returns: RTy | None,
                   param_at: tuple[int, ...], return_at: int) -> None:
        low, high = _INTERRUPTS[abi]
        if not low <= len(params) <= high:
            wanted = "no parameters" if high == 0 else "either 1 or 2 parameters"
            raise self.error(f'invalid signature for an extern "{abi}" function: it must have '
                             f"{wanted} (found {len(params)})",
                             param_at[high] if len(params) > high else return_at)
        if returns is not None and returns not in (UNIT, RScalar(Scalar.NEVER)):
            raise self.error(f'invalid signature for an extern "{abi}" function: it cannot '
                             "have a return type (but '()' or '!')", return_at)

    def _cmse_inputs(self, abi: str, params: tuple[RTy, ...], param_at: tuple[int, ...]) -> None:
        layouts = Layouts(self.resolver, enums_by_count=True)
        accumulated = 0
        for i, (p, at) in enumerate(zip(params, param_at), 1):
            layout = self._layout(layouts, p, at)
            accumulated += layout.size
            accumulated = -(-accumulated // max(4, layout.align)) * max(4, layout.align)
            if accumulated > 16:
                raise self.error(
                    f'arguments for "{abi}" function too large to pass via registers: '
                    f"parameter {i} does not fit in the 4 32-bit argument registers (the "
                    f"arguments up to it take {accumulated} bytes; rustc E0798)", at)

    def _cmse_output(self, abi: str, returns: RTy, at: int) -> None:
        layout = self._layout(Layouts(self.resolver, enums_by_count=True), returns, at)
        if layout.size <= 4 or (layout.size == 8 and self._peel(returns) in _WIDE_RETURNS):
            return
        raise self.error(f'return value of "{abi}" function too large to pass via registers '
                         f"({layout.size} bytes): it must fit in 4 bytes, or be an i64, u64 "
                         "or f64 (rustc E0798)", at)

    def _layout(self, layouts: Layouts, t: RTy, at: int) -> Layout:
        try:
            return layouts.of(t)
        except LayoutError as e:
            raise self.error(f"cannot check this CMSE signature: {e}", at) from None

    def _peel(self, t: RTy) -> RTy:
        """``t`` through its ``repr(transparent)`` wrappers (rustc's
        ``peel_transparent_wrappers``)."""
        seen = 0
        while isinstance(t, RAdt) and "transparent" in t.adt.repr and seen < 64:
            fields = [f for f in self.resolver.variants(t)[0] if not self.resolver.is_zst(f)]
            if len(fields) != 1:
                break
            t, seen = fields[0], seen + 1
        return t
