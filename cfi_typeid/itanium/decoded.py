"""``decode``: a type id string back to the model, with the flavour recognised from the id.

The two compilers' ids share one grammar and differ in two places (see
:class:`~cfi_typeid.flavours.Flavour`): array spelling, which tells them apart outright, and the
substitution numbering around pointers to functions, which does not always.  So the id is read
once with each flavour's numbering; a reading that fails is dropped, and of two that succeed the
one that fits the language is kept: a bare function type (one not under a pointer, which neither
C nor Rust can write) marks the wrong numbering, and Rust-only constructs mark rustc.  When both
readings fit and differ, the other one is kept as :attr:`DecodedTypeId.alternative`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .decoder import Reading, decode_function_type
from ..errors import DecodeError
from ..flavours import CLANG, RUSTC, Flavour, get_flavour
from ..model import (
    ERASED, STATIC, VOID, Array, FunctionType, Reference, RustPath, Tuple, Type,
)
from .suffixes import split_typeid


@dataclass(frozen=True, slots=True)
class DecodedTypeId:
    """A decoded type id: the function type, whose compiler wrote it, and its suffixes.

    ``function`` is exactly the object the encoder was given: for a ``.generalized`` or
    ``.normalized`` id, the generalised or normalised type.
    """

    typeid: str
    function: FunctionType
    flavour: Flavour
    salt: str = ""
    normalized: bool = False
    generalized: bool = False
    #: The other flavour's reading when it also fits and is a different type (possible only
    #: with pointers to functions followed by substitutions); None when the id is unambiguous.
    alternative: FunctionType | None = field(default=None, compare=False)

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The option suffixes, in order, without dots: ``("normalized", "generalized")``."""
        return tuple(name for name, on in (("normalized", self.normalized),
                                           ("generalized", self.generalized)) if on)


def decode_typeid(typeid: str, *, flavour: str | None = None) -> DecodedTypeId:
    """Decode a CFI type id (``_ZTSFvlE``, ``_ZTSFvu3i64E.normalized``, ...).

    ``flavour`` (``clang`` or ``rustc``) forces one compiler's reading instead of recognising
    it from the id.  Raises :class:`DecodeError` (with the offset) for anything that is not a
    type id either compiler could have written, including a KCFI hash.
    """
    parts = split_typeid(typeid)
    flavours = (CLANG, RUSTC) if flavour is None else (get_flavour(flavour),)
    readings: list[Reading] = []
    errors: list[DecodeError] = []
    for f in flavours:
        try:
            readings.append(decode_function_type(typeid, f, parts.start, parts.end))
        except DecodeError as e:
            errors.append(e)
    if not readings:
        # The reading that got furthest says most about what is wrong (clang's on a tie).
        raise max(errors, key=lambda e: e.offset)
    function_part = typeid[parts.start:parts.end]
    chosen = min(readings, key=lambda r: _misfit(r, parts.normalized, function_part))
    alternative = next((r.function for r in readings
                        if r is not chosen and r.function_pointers
                        and not r.bare_function and r.function != chosen.function), None)
    function = chosen.function
    if parts.generalized and chosen.rust_only:
        function = _static_references(function)
    return DecodedTypeId(typeid, function, chosen.flavour, parts.salt,
                         parts.normalized, parts.generalized, alternative)


def _static_references(fn: FunctionType) -> FunctionType:
    """Generalisation turns every reference into ``&'static ()`` (``transform.STATIC``), which
    the id spells like any ``&()``: give the decoded ones that lifetime."""
    def fix(t: Type) -> Type:
        match t:
            case Reference(pointee, mutable, lifetime) if pointee == VOID and lifetime == ERASED:
                return Reference(pointee, mutable, STATIC)
            case Tuple(elements):
                return Tuple(tuple(map(fix, elements)))
            case RustPath():
                return replace(t, args=tuple(map(fix, t.args)))
            case Array(element, length):
                return Array(fix(element), length)
            case _:
                return t
    return replace(fn, returns=fix(fn.returns), params=tuple(map(fix, fn.params)))


def _misfit(reading: Reading, normalized: bool, function_part: str) -> tuple[bool, bool, bool]:
    """How badly a reading fits its flavour (lower is better).  Worst: the flavour's compiler
    would have spelled that model otherwise (``PFbvEPS_`` read as clang is a pointer to the
    function type ``FbvE`` twice, which clang writes ``PFbvES0_``; read as rustc, it is a
    pointer to that function pointer)."""
    if reading.function_pointers:
        from .encoder import encode_function_type  # (only ids with function pointers)
        if encode_function_type(reading.function, reading.flavour) != function_part:
            return True, reading.bare_function, False
    looks_rust = reading.rust_only or (reading.fixed_integers and not normalized)
    return False, reading.bare_function, looks_rust != (reading.flavour is RUSTC)


def decode(typeid: str, *, flavour: str | None = None) -> FunctionType:
    """The function type a CFI type id encodes: ``decode("_ZTSFvlE")`` is C ``void (long)``.

    See :func:`decode_typeid` for the flavour and suffixes as well.
    """
    return decode_typeid(typeid, flavour=flavour).function
