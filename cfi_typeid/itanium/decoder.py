"""Itanium ``<function-type>`` decoding: the mirror image of :mod:`cfi_typeid.itanium.encoder`.

The parser (:mod:`.decoder_types`, over :mod:`.decoder_reader`, :mod:`.decoder_builtins` and
:mod:`.decoder_rust`) records a substitution candidate at exactly the point the encoder adds
one, so ``decode(encode(t, f), f) == t`` holds for the types the encoder is given, and
``tests/test_decode_laws.py`` tests it.  This module runs it over the choice points an id may
have and keeps the best reading.
"""

from __future__ import annotations

from typing import NamedTuple

from .decoder_builtins import C_ORIGINS, LEAF_CODES
from .decoder_reader import MAX_DEPTH, MAX_EXPANDED
from .decoder_rust import FUNCTION_POINTER_VARIANTS
from .decoder_types import Parser
from ..errors import DecodeError
from ..flavours import Flavour
from ..model import FunctionType

__all__ = ["C_ORIGINS", "FUNCTION_POINTER_VARIANTS", "LEAF_CODES", "MAX_ATTEMPTS", "MAX_DEPTH",
           "MAX_EXPANDED", "Reading", "decode_function_type"]


class Reading(NamedTuple):
    """One flavour's reading of a function type, with what it says about the language."""

    function: FunctionType
    flavour: Flavour
    #: Constructs only rustc emits: references, slices, tuples, paths, lifetimes, Rust's
    #: vendor scalars, ``isize``/``usize``, unknown vendor names.
    rust_only: bool
    #: A function type stands somewhere other than under a pointer, which neither C nor Rust
    #: can write: the sign of a reading with the wrong substitution numbering.
    bare_function: bool
    #: Fixed-width integers appear (rustc's, or clang's under ``.normalized``).
    fixed_integers: bool
    #: A pointer to a function appears: the only place where the flavours number differently.
    function_pointers: bool


def decode_function_type(text: str, flavour: Flavour, start: int = 0,
                         end: int | None = None) -> Reading:
    """Read the ``<function-type>`` in ``text[start:end]`` as ``flavour`` numbers it.

    The whole span must be one function type; offsets in errors are offsets in ``text``.
    """
    best: tuple[int, Reading] | None = None
    choices: list[int] = []
    first_error: DecodeError | None = None
    for _ in range(MAX_ATTEMPTS):
        parser = Parser(text, start, len(text) if end is None else end, flavour, choices)
        try:
            node = parser.function()
            if parser.pos != parser.end:
                parser.fail("trailing characters after the function type's closing 'E'")
            assert isinstance(node.item, FunctionType)
            reading = Reading(node.item, flavour, parser.rust_only, parser.bare_function,
                              parser.fixed_integers, parser.function_pointers)
            if best is None or parser.c_integers < best[0]:
                best = (parser.c_integers, reading)
        except DecodeError as e:
            first_error = first_error or e
        choices = _next_choices(parser.made)
        if not choices:
            break
    if best is None:
        assert first_error is not None
        raise first_error
    return best[1]


#: rustc writes an array's length right before its element (``A4u3i32``), so ``A122Pt`` may
#: be ``[Pt; 12]`` or ``[*mut c_ushort; 122]``; each such split is a choice point, and the
#: decoder tries the alternatives (at most this many whole readings).  Of several readings it
#: keeps the one with the fewest C integer codes, which rustc writes only for ``cfi_encoding``.
MAX_ATTEMPTS = 64


def _next_choices(made: list[tuple[int, int]]) -> list[int]:
    """The next combination of choices to try after a failed reading (depth first), or []."""
    taken = [chosen for chosen, _ in made]
    while made:
        chosen, options = made.pop()
        taken.pop()
        if chosen + 1 < options:
            return [*taken, chosen + 1]
    return []

