"""The parts of a type id string around the mangled function type: ``_ZTS``, the salt and the
option suffixes, and the shape of a KCFI hash that people paste in its place.

A compiler writes ``_ZTS`` + ``<function-type>`` + ``.SALT`` (``cfi_salt``) + ``.normalized`` +
``.generalized``, each part optional, in that order (:func:`cfi_typeid.api.typeids_of` appends
them the same way).  The mangled part never holds a ``.``, so the first ``.`` ends it; the
option suffixes are then taken from the right and what is left is the salt.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DecodeError
from ..regex_code import cached_regex

#: Suffixes both compilers append, in the order they append them.
NORMALIZED_SUFFIX = ".normalized"
GENERALIZED_SUFFIX = ".generalized"

#: The Itanium ``<special-name>`` prefix of a typeinfo name (``_ZTS`` + type).
TYPEID_PREFIX = "_ZTS"

_KCFI_SHAPE = cached_regex(r"(?:0[xX][0-9a-fA-F]{1,8}|[+-]?[0-9]{1,11})\Z")


@dataclass(frozen=True, slots=True)
class TypeIdParts:
    """Where the mangled ``<function-type>`` lies in a type id, and what follows it."""

    text: str
    #: Offset of the ``F`` that starts the function type.
    start: int
    #: Offset just past the function type (the first ``.``, or the end of the text).
    end: int
    salt: str = ""
    normalized: bool = False
    generalized: bool = False

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The option suffixes present, in order, without dots: ``("normalized", ...)``."""
        return tuple(name for name, on in (("normalized", self.normalized),
                                           ("generalized", self.generalized)) if on)


#: A function type with clang's calling-convention vendor qualifier (``U6ms_abiF...E``).
_QUALIFIED_FUNCTION = cached_regex(r"U[1-9][0-9]{0,3}[A-Za-z_]")


def looks_like_kcfi_hash(text: str) -> bool:
    """Whether ``text`` is shaped like a KCFI hash (``0xbde2bfc8``, ``-1109213240``)."""
    return _KCFI_SHAPE.match(text.strip()) is not None


def split_typeid(text: str) -> TypeIdParts:
    """Split ``text`` into its mangled part and its suffixes.

    A bare ``<function-type>`` (``FvlE``, what :func:`encode_function_type` returns) is
    accepted as well as ``_ZTSFvlE``.  A KCFI hash is refused with a message that says why it
    cannot be decoded, rather than as "not a type id".
    """
    if looks_like_kcfi_hash(text):
        raise DecodeError("this is a KCFI hash, not a type id: a hash keeps 32 bits of the "
                          "id's xxHash64 and cannot be decoded, only looked up among the ids "
                          "of known declarations", text, 0)
    start = len(TYPEID_PREFIX) if text.startswith(TYPEID_PREFIX) else 0
    if not (text.startswith("F", start) or _QUALIFIED_FUNCTION.match(text, start)):
        what = "after _ZTS " if start else ""
        raise DecodeError(f"expected a function type 'F...E' {what}(a CFI type id looks like "
                          "_ZTSFvlE)", text, start)
    dot = text.find(".", start)
    end = len(text) if dot < 0 else dot
    rest = text[end:]
    generalized = rest.endswith(GENERALIZED_SUFFIX)
    if generalized:
        rest = rest[: -len(GENERALIZED_SUFFIX)]
    normalized = rest.endswith(NORMALIZED_SUFFIX)
    if normalized:
        rest = rest[: -len(NORMALIZED_SUFFIX)]
    if rest == ".":
        raise DecodeError("empty suffix after '.'", text, end + 1)
    return TypeIdParts(text, start, end, rest[1:], normalized, generalized)
