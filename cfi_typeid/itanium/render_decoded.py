"""A decoded type id shown as C and as Rust, with an honest word where the two disagree.

Rendering is done by :mod:`cfi_typeid.c.render` and :mod:`cfi_typeid.rust.render`; this module
adds what depends on the id rather than on the type:

* A ``.normalized`` id holds fixed-width integers, which C spells only as the integer of that
  size: ``u3i64`` is shown as ``long long``, whose normalised id is ``u3i64`` on every target.
* clang and rustc number substitutions differently around function pointers and spell arrays
  differently, so a type can exist in the other language and still get another id from the
  other compiler.  Then the rendering carries a ``note`` with the id that compiler gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Mapping, assert_never

from .decoded import DecodedTypeId
from .encoder import encode_function_type
from ..errors import NotExpressibleError
from ..flavours import CLANG, RUSTC, Flavour
from ..model import (
    VOID, Array, Atomic, BitInt, CInt, CInteger, Complex, ConstValue, DynTrait, Encoded, FixedInt,
    FixedInteger, FunctionType, Named, Pointer, Primitive, Projection, Qualified, Reference,
    RustPath, Slice, Tuple, Type, Vector,
)
from ..c.render import render_c_declaration
from ..rust.render import RustSignature, render_rust_signature
from .suffixes import GENERALIZED_SUFFIX, NORMALIZED_SUFFIX, TYPEID_PREFIX

#: The C integer whose normalised form is each fixed-width integer on every target.
C_INT_OF_SIZE: Mapping[FixedInt, CInt] = MappingProxyType({
    FixedInt.I8: CInt.SCHAR, FixedInt.U8: CInt.UCHAR, FixedInt.I16: CInt.SHORT,
    FixedInt.U16: CInt.USHORT, FixedInt.I32: CInt.INT, FixedInt.U32: CInt.UINT,
    FixedInt.I64: CInt.LLONG, FixedInt.U64: CInt.ULLONG, FixedInt.I128: CInt.INT128,
    FixedInt.U128: CInt.UINT128,
})

LANGUAGES: Mapping[str, Flavour] = MappingProxyType({"c": CLANG, "rust": RUSTC})


@dataclass(frozen=True, slots=True)
class CDeclaration:
    """A C rendering: ``prelude`` (tag declarations) and a prototype ``decl``."""

    prelude: str
    decl: str
    #: Set when clang gives ``decl`` another id than the one decoded (and says which).
    note: str | None = None


def render_as_c(decoded: DecodedTypeId, name: str = "f") -> CDeclaration:
    """The decoded function as a C prototype; :class:`NotExpressibleError` if C has no such
    type."""
    fn, note = _reading(decoded, CLANG)
    if decoded.normalized:
        fn = _denormalized(fn)
    if decoded.generalized:
        fn = _restrict_pointees(fn)
    convention = fn.calling_convention
    fn = replace(fn, calling_convention="")
    enums = _vector_element_tags(fn, set())
    if enums:
        fn = _as_enums(fn, enums)  # type: ignore[assignment]
    prelude, decl = render_c_declaration(fn, name)  # (a pointer's: `__attribute__((ms_abi)) *`)
    if convention:
        decl = f"__attribute__(({convention})) {decl}"
    complete = _array_element_tags(fn)
    # An array's element type (and an _Atomic type) must be complete in C; the id does not
    # say what is in it.
    prelude = "\n".join(
        f"{line[:-1]} {{ char members_unknown; }};" if line.split()[-1].rstrip(";") in complete
        and line.startswith(("struct ", "union ")) and line.count(" ") == 1 else line
        for line in prelude.splitlines())
    return CDeclaration(prelude, decl + ";", note)


def _has_calling_convention(t: Type) -> bool:
    """Whether a function type in ``t`` has a calling convention (C renders none)."""
    match t:
        case FunctionType():
            return bool(t.calling_convention) or any(
                map(_has_calling_convention, (t.returns, *t.params)))
        case Pointer(inner) | Qualified(inner) | Array(inner) | Complex(inner) | Atomic(inner):
            return _has_calling_convention(inner)
        case _:
            return False


def _vector_element_tags(t: Type, found: set[str]) -> set[str]:
    """Names of the tags that are vector elements in ``t``: enums (C has vectors of no
    other tag), which the id does not say."""
    match t:
        case Vector(Named(name)) | Vector(Qualified(Named(name))):
            found.add(name)
        case Pointer(inner) | Qualified(inner) | Array(inner) | Atomic(inner):
            _vector_element_tags(inner, found)
        case FunctionType():
            for p in (t.returns, *t.params):
                _vector_element_tags(p, found)
        case _:
            pass
    return found


def _as_enums(t: Type, names: set[str]) -> Type:
    """``t`` with the tags named ``names`` said to be enums, wherever they stand."""
    match t:
        case Named(name) if name in names:
            return replace(t, kind="enum")
        case Pointer(inner):
            return Pointer(_as_enums(inner, names))
        case Qualified(inner) | Atomic(inner):
            return replace(t, base=_as_enums(inner, names))
        case Array(element) | Vector(element):
            return replace(t, element=_as_enums(element, names))
        case FunctionType():
            return replace(t, returns=_as_enums(t.returns, names),
                           params=tuple(_as_enums(p, names) for p in t.params))
        case _:
            return t


def _restrict_pointees(fn: FunctionType) -> FunctionType:
    """clang generalises ``int *restrict *`` to a pointer to ``restrict void``, which C cannot
    write; ``void *restrict *`` generalises to the same, so show that."""
    def fix(t: Type) -> Type:
        if isinstance(t, Pointer) and isinstance(t.pointee, Qualified) \
                and t.pointee.base == VOID and t.pointee.restrict:
            return Pointer(replace(t.pointee, base=Pointer(VOID)))
        return t
    return replace(fn, returns=fix(fn.returns), params=tuple(map(fix, fn.params)))


def _array_element_tags(t: Type, found: set[str] | None = None,
                        in_array: bool = False) -> set[str]:
    """Names of the tags that are (possibly qualified) array elements somewhere in ``t``."""
    found = set() if found is None else found
    match t:
        case Named(name):
            if in_array:
                found.add(name)
        case Array(element) | Atomic(element):  # (clang: _Atomic of a complete type too)
            _array_element_tags(element, found, True)
        case Qualified(inner):
            _array_element_tags(inner, found, in_array)
        case Pointer(inner) | Complex(inner):
            _array_element_tags(inner, found)
        case FunctionType():
            for p in (t.returns, *t.params):
                _array_element_tags(p, found)
        case _:
            pass
    return found


def render_as_rust(decoded: DecodedTypeId, crate: str | None = None) -> tuple[RustSignature,
                                                                              str | None]:
    """The decoded function as a Rust signature, and a note when rustc gives it another id."""
    fn, note = _reading(decoded, RUSTC)
    if _has_calling_convention(fn):
        raise NotExpressibleError("rustc encodes no calling convention, so no Rust function "
                                  "has an id with one (clang's 'U6ms_abi' for ms_abi)")
    return render_rust_signature(fn, crate), note


def reencoded(decoded: DecodedTypeId, flavour: Flavour) -> str:
    """The id ``flavour``'s compiler gives the decoded type, with the same salt and options."""
    tail = (f".{decoded.salt}" if decoded.salt else "") \
        + (NORMALIZED_SUFFIX if decoded.normalized else "") \
        + (GENERALIZED_SUFFIX if decoded.generalized else "")
    return TYPEID_PREFIX + encode_function_type(decoded.function, flavour) + tail


def _reading(decoded: DecodedTypeId, flavour: Flavour) -> tuple[FunctionType, str | None]:
    """The type ``flavour``'s compiler reads in the id, and a note if it would not write
    this id for it.  When both numberings read the id, each language shows its own reading."""
    if flavour is decoded.flavour:
        return decoded.function, None
    if decoded.alternative is not None:
        return decoded.alternative, None
    other = reencoded(decoded, flavour)
    if other == TYPEID_PREFIX + decoded.typeid.removeprefix(TYPEID_PREFIX):
        return decoded.function, None
    return decoded.function, (
        f"{flavour.name} gives this type the id {other}: the id was written by "
        f"{decoded.flavour.name}, which spells arrays or numbers substitutions differently")


def _denormalized(fn: FunctionType) -> FunctionType:
    result = _c_integers(fn)
    assert isinstance(result, FunctionType)
    return result


def _c_integers(t: Type) -> Type:
    """``t`` with each fixed-width integer replaced by the C integer that normalises to it."""
    match t:
        case FixedInteger(kind, origin):
            if origin is not None:
                return origin
            return CInteger(C_INT_OF_SIZE[kind]) if kind in C_INT_OF_SIZE else t
        case CInteger() | Primitive() | BitInt() | Named() | Encoded():
            return t
        case Complex(element):
            return Complex(_c_integers(element))
        case Atomic(base):
            return Atomic(_c_integers(base))
        case Vector(element, count, ext):
            return Vector(_c_integers(element), count, ext)
        case Qualified(base, const, volatile, restrict):
            return Qualified(_c_integers(base), const, volatile, restrict)
        case Pointer(pointee):
            return Pointer(_c_integers(pointee))
        case Array(element, length):
            return Array(_c_integers(element), length)
        case FunctionType():
            return FunctionType(_c_integers(t.returns), tuple(map(_c_integers, t.params)),
                                t.variadic, t.prototyped)
        case Reference(pointee, mutable):
            return Reference(_c_integers(pointee), mutable)
        case Slice(element):
            return Slice(_c_integers(element))
        case Tuple(elements):
            return Tuple(tuple(map(_c_integers, elements)))
        case RustPath():
            return RustPath(t.crate, t.disambiguator, t.segments,
                            tuple(map(_c_integers, t.args)))
        case ConstValue() | Projection() | DynTrait():
            return t
        case _:
            assert_never(t)


def rendering_json(decoded: DecodedTypeId, languages: tuple[str, ...] = ("c", "rust")
                   ) -> dict[str, object]:
    """The JSON object ``decode --json`` prints for one id (see ``cli_decode``)."""
    out: dict[str, object] = {"typeid": decoded.typeid, "flavour": decoded.flavour.name,
                              "suffixes": list(decoded.suffixes)}
    if decoded.salt:
        out["salt"] = decoded.salt
    unexpressible: dict[str, str] = {}
    notes: dict[str, str] = {}
    if "c" in languages:
        try:
            c = render_as_c(decoded)
            out["c"] = {"prelude": c.prelude, "decl": c.decl}
            if c.note:
                notes["c"] = c.note
        except NotExpressibleError as e:
            unexpressible["c"] = e.message
    if "rust" in languages:
        try:
            rust, note = render_as_rust(decoded)
            out["rust"] = {"prelude": rust.prelude, "decl": rust.decl, "crate": rust.crate,
                           "crates": dict(rust.crates)}
            if note:
                notes["rust"] = note
        except NotExpressibleError as e:
            unexpressible["rust"] = e.message
    if unexpressible:
        out["not_expressible"] = unexpressible
    if notes:
        out["notes"] = notes
    if decoded.alternative is not None:
        out["ambiguous"] = ("clang's and rustc's substitution numberings read this id as "
                            "different types: C shows clang's reading, Rust rustc's")
    return out
