"""The two compilers whose ids we reproduce, as data.

Each difference between clang's and rustc's Itanium encodings that is not a difference of the
type itself is one field here, so the encoder and the transforms read a table rather than test
``if flavour == ...``.  Every field was checked against the compilers (``tests/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from .errors import UsageError
from .model import VOID, Pointer, Qualified, Type


@dataclass(frozen=True, slots=True)
class Flavour:
    """How one compiler spells the parts of a type id that the type itself does not decide."""

    name: str
    #: Between an array's length and its element: clang writes ``A4_i``, rustc ``A4u3i32``.
    array_length_separator: str
    #: Whether a function type under a pointer is a substitution candidate of its own.
    #: clang adds ``FvlE`` and then ``PFvlE``; rustc adds only ``PF..E`` as a whole.
    function_type_is_candidate: bool
    #: What a function pointer becomes under ``.generalized``: clang ``Pv``, rustc ``PKv``.
    generalized_function_pointer: Type
    #: Whether a ``cfi_encoding`` that names an Itanium builtin code stays out of the
    #: substitution dictionary (rustc's rule; clang has no ``cfi_encoding``).
    builtin_encodings_not_candidates: bool
    #: Whether a normalised C integer remembers its C type.  clang normalises while mangling:
    #: the sized integer is one candidate per size (``u3i64`` for ``long`` and ``long long``
    #: alike), but a type built on it is keyed by the C type, so ``long *`` and ``long long *``
    #: are two candidates (``Pu3i64PS_``).  rustc normalises before encoding: ``*const bool``
    #: and ``*const u8`` are one (``PKu2u8S0_``).
    normalized_integers_keep_c_type: bool = False


CLANG = Flavour(
    name="clang",
    array_length_separator="_",
    function_type_is_candidate=True,
    generalized_function_pointer=Pointer(VOID),
    builtin_encodings_not_candidates=True,
    normalized_integers_keep_c_type=True,
)

RUSTC = Flavour(
    name="rustc",
    array_length_separator="",
    function_type_is_candidate=False,
    generalized_function_pointer=Pointer(Qualified(VOID, const=True)),
    builtin_encodings_not_candidates=True,
)

FLAVOURS: Mapping[str, Flavour] = MappingProxyType({f.name: f for f in (CLANG, RUSTC)})


def get_flavour(name: str) -> Flavour:
    """The flavour called ``name`` (``clang`` or ``rustc``)."""
    try:
        return FLAVOURS[name]
    except KeyError:
        raise UsageError(f"unknown flavour {name!r}; known: {', '.join(FLAVOURS)}") from None
