"""Itanium C++ ABI ``<function-type>`` encoding with substitution compression.

The hot path.  One pass over the model; the substitution dictionary maps each candidate
component (a model object, hashed, never compared as a string) to its index, and a component is
entered after its children, as both clang's ``mangleType`` and rustc's ``encode_ty`` do.  Which
components are candidates, and how arrays are spelled, comes from the :class:`Flavour` table.
"""

from __future__ import annotations

from typing import Any, Callable, get_args

from ..codes import BUILTIN_CODES, C_INT_CODES, FIXED_INT_CODES, SCALAR_CODES, VENDOR_SCALARS, seq_id
from ..errors import UsageError
from ..flavours import Flavour
from ..model import (
    Array, Atomic, BitInt, CInt, CInteger, Complex, ConstValue, DynTrait, Encoded, FixedInt, FixedInteger,
    FunctionType, Lifetime, Named, Pointer, Primitive, Projection, Qualified, Reference, RustPath,
    Scalar, Slice, Tuple, Type, Vector,
)

_Dict = dict[object, int]


def encode_function_type(fn: FunctionType, flavour: Flavour) -> str:
    """The mangled ``<function-type>`` of ``fn`` (``FvlE``), without ``_ZTS`` or suffixes."""
    out: list[str] = []
    _function(fn, flavour, {}, out)
    return "".join(out)


def encode_type(t: Type, flavour: Flavour) -> str:
    """The encoding of one type on its own (a fresh substitution dictionary): what a
    ``cfi_encoding`` must say to stand for ``t``, and how ``check`` compares components."""
    out: list[str] = []
    _type(t, flavour, {}, out)
    return "".join(out)


def rust_path_name(path: RustPath) -> str:
    """v0-style ``<path>`` of a Rust item: ``N<ns>..C<disambiguator><crate><names>``."""
    if not path.disambiguator:
        how = ("'python -m cfi_typeid rust-crates' prints it for the local rustc"
               if path.crate in ("core", "std", "alloc") else
               f"'python -m cfi_typeid rust-crates --crate {path.crate}' prints what plain "
               "rustc gives a crate of that name (for a cargo build, read it from the build's "
               "LLVM IR with --from-ir)")
        raise UsageError(
            f"the path of {'::'.join([path.crate, *(s.name for s in path.segments)])} needs "
            f"the disambiguator of crate {path.crate!r}: pass crates={{{path.crate!r}: ...}} "
            f"(CLI: --crates {path.crate}=...); {how}")
    parts = ["N" + seg.namespace for seg in reversed(path.segments)]
    parts.append(f"C{path.disambiguator}{len(path.crate)}{path.crate}")
    for seg in path.segments:
        name = seg.name
        prefix = "_" if name[:1].isdigit() or name[:1] == "_" else ""
        parts.append(f"{len(name)}{prefix}{name}")
    return "".join(parts)


def _function(fn: FunctionType, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <function-type> ::= [U <source-name>] F <return-type> <parameter-types>+ E  (v for
    # none, z for ...); the vendor qualifier is a calling convention (clang's mangleExtQualifier)
    if fn.calling_convention:
        out.append(f"U{len(fn.calling_convention)}{fn.calling_convention}")
    out.append("F")
    _type(fn.returns, flavour, subs, out)
    for p in fn.params:
        _type(p, flavour, subs, out)
    if fn.variadic:
        out.append("z")
    elif not fn.params and fn.prototyped:
        out.append("v")
    out.append("E")


#: ``S_`` ... for the indices an id of any realistic size uses, spelled once.
_SEQ_ID_COUNT = 512
_SEQ_IDS = tuple(seq_id(i) for i in range(_SEQ_ID_COUNT))


def _substitution(index: int) -> str:
    return _SEQ_IDS[index] if index < len(_SEQ_IDS) else seq_id(index)


def _type(t: Type, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # Dispatch on the node's class through two tables (a ``match`` over fifteen class patterns
    # tests them in turn, and this is the innermost call of every id).  ``_COMPONENTS`` holds
    # the plain substitution candidates: looked up as a whole, spelled (children first) and
    # entered when new.  ``_SPECIALS`` holds the types that decide for themselves, as leaves,
    # builtin-coded or argument-first paths do.  ``_check_dispatch`` proves both complete.
    # (a component is looked up and entered here, as _component does: one call less for
    # every component of every id)
    if type(t) is CInteger:
        # <builtin-type> ::= c | a | h | s | t | i | j | l | m | x | y | n | o
        out.append(_C_INT_CODES[t.kind])
        return
    cls = type(t)
    spell = _COMPONENTS.get(cls)
    if spell is None:
        _SPECIALS[cls](t, flavour, subs, out)
        return
    index = subs.get(t)
    if index is None:
        spell(t, flavour, subs, out)
        subs.setdefault(t, len(subs))
    else:
        out.append(_SEQ_IDS[index] if index < _SEQ_ID_COUNT else seq_id(index))


def _component(t: Type, spell: _Encode, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    """A substitution candidate: ``S<seq-id>_`` when it is in the dictionary already, else
    spelled by ``spell`` (its children first) and then entered."""
    index = subs.get(t)
    if index is None:
        spell(t, flavour, subs, out)
        subs.setdefault(t, len(subs))
    else:
        out.append(_substitution(index))


def _candidate(key: object, code: str, subs: _Dict, out: list[str]) -> None:
    """Spell a leaf substitution candidate ``code`` keyed by ``key``, or its substitution."""
    index = subs.get(key)
    if index is None:
        out.append(code)
        subs[key] = len(subs)
    else:
        out.append(_substitution(index))


# ---- the types that decide for themselves -------------------------------------------------

def _primitive(t: Primitive, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <builtin-type> ::= v | b | f | d | e | g | Dh | DF16_ | ...; u4char etc. are vendor
    # types and candidates, keyed by their kind (a Primitive is equal to another exactly
    # when their kinds are the same member, and no other key is an enum member of Scalar)
    code = _PLAIN_SCALAR_CODES.get(t.kind)
    if code is None:
        _candidate(t.kind, SCALAR_CODES[t.kind], subs, out)
    else:
        out.append(code)


def _fixed_integer(t: FixedInteger, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <builtin-type> ::= u <source-name>   (vendor extended type: a candidate, one per size
    # even where the C types it came from differ: clang's representative).  Keyed by the
    # kind alone, which is what FixedInteger(kind) without its origin would be equal by.
    _candidate(t.kind, _FIXED_INT_CODES[t.kind], subs, out)


def _encoded(t: Encoded, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # a cfi_encoding string, verbatim; builtin codes are not candidates
    if t.code in BUILTIN_CODES and flavour.builtin_encodings_not_candidates:
        out.append(t.code)
    else:
        _candidate(t, t.code, subs, out)


def _rust_path_type(t: RustPath, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    if (t.encoding is not None and t.encoding in BUILTIN_CODES and not t.foreign
            and flavour.builtin_encodings_not_candidates):
        # a struct's cfi_encoding naming a builtin type: not a candidate (an extern
        # type's always is, as rustc's encode_ty has it)
        out.append(t.encoding)
        return
    if t.encoding is None and not t.foreign and not t.by_name and (t.args or t.lifetimes):
        # rustc encodes a path's generic arguments before it looks the path up, so when
        # the type was spelled by name first (repr(C) in a C-ABI function), arguments
        # never seen enter the dictionary even though the path itself is substituted
        args: list[str] = []
        _generic_args(t, flavour, subs, args)

        def spell(t: RustPath, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
            name = rust_path_name(t)
            out.append(f"u{len(name)}{name}")
            out.extend(args)
        _component(t, spell, flavour, subs, out)
        return
    _component(t, _rust_path, flavour, subs, out)


# ---- the substitution candidates, spelled when not yet in the dictionary -----------------

def _bit_int(t: BitInt, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <builtin-type> ::= DB <number> _ | DU <number> _   (clang enters it as a candidate)
    out.append(f"{'DB' if t.signed else 'DU'}{t.bits}_")


def _complex(t: Complex, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <type> ::= C <type>
    out.append("C")
    _type(t.element, flavour, subs, out)


def _atomic(t: Atomic, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <type> ::= U <source-name> <type>   (clang's vendor qualifier U7_Atomic, a candidate)
    out.append("U7_Atomic")
    _type(t.base, flavour, subs, out)


def _vector(t: Vector, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <vector-type> ::= Dv <number> _ <type>   (clang's GCC vectors, ext_vector_type too)
    out.append(f"Dv{t.count}_")
    _type(t.element, flavour, subs, out)


def _qualified(t: Qualified, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <type> ::= <CV-qualifiers> <type>;  <CV-qualifiers> ::= [r] [V] [K]
    out.append(("r" if t.restrict else "") + ("V" if t.volatile else "")
               + ("K" if t.const else ""))
    _type(t.base, flavour, subs, out)


def _pointer(t: Pointer, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <type> ::= P <type>
    out.append("P")
    if type(t.pointee) is FunctionType and not flavour.function_type_is_candidate:
        _function(t.pointee, flavour, subs, out)
    else:
        _type(t.pointee, flavour, subs, out)


def _array(t: Array, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <array-type> ::= A <dimension number> _ <element type>   (rustc: no _)
    out.append("A_" if t.length is None else f"A{t.length}{flavour.array_length_separator}")
    _type(t.element, flavour, subs, out)


def _named(t: Named, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # <class-enum-type> ::= <source-name>
    out.append(f"{len(t.name)}{t.name}")


def _reference(t: Reference, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # [U3mut] u3refI <type> E: the immutable reference is a candidate of its own
    if t.mutable:
        out.append("U3mut")
        _type(Reference(t.pointee, False, t.lifetime), flavour, subs, out)
    else:
        out.append("u3refI")
        _type(t.pointee, flavour, subs, out)
        out.append("E")


def _slice(t: Slice, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # u5sliceI <type> E
    out.append("u5sliceI")
    _type(t.element, flavour, subs, out)
    out.append("E")


def _tuple(t: Tuple, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # u5tupleI <type>+ E
    out.append("u5tupleI")
    for e in t.elements:
        _type(e, flavour, subs, out)
    out.append("E")


def _rust_path(t: RustPath, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    if t.encoding is not None:
        # #[cfi_encoding = "..."], verbatim
        out.append(t.encoding)
    elif t.foreign or t.by_name:
        # <source-name>: an extern type, or a repr(C) type in a C-ABI function
        name = t.segments[-1].name
        out.append(f"{len(name)}{name}")
    else:
        # u <length> <v0 path> [I <lifetime>* <type>* E]
        name = rust_path_name(t)
        out.append(f"u{len(name)}{name}")
        _generic_args(t, flavour, subs, out)


def _generic_args(t: RustPath, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    if t.args or t.lifetimes:
        out.append("I")
        for lifetime in t.lifetimes:
            _lifetime(lifetime, subs, out)
        for a in t.args:
            _type(a, flavour, subs, out)
        out.append("E")


def _const_value(t: ConstValue, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # L <type> <value> E   (a literal argument)
    out.append("L")
    _type(t.type, flavour, subs, out)
    out.append(f"{t.value}E")


def _projection(t: Projection, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # u <length> <path> [I <trait's args> E] <term>: one candidate, spelled whole (the path's
    # arguments enter the dictionary as it is spelled, the path itself does not)
    name = rust_path_name(t.path)
    out.append(f"u{len(name)}{name}")
    _generic_args(t.path, flavour, subs, out)
    _type(t.term, flavour, subs, out)


def _dyn_trait(t: DynTrait, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    # u3dynI <predicate>+ <region> E; each predicate a candidate of its own
    out.append("u3dynI")
    for p in t.predicates:
        _type(p, flavour, subs, out)
    _lifetime(t.lifetime, subs, out)
    out.append("E")


_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _lifetime(lifetime: Lifetime, subs: _Dict, out: list[str]) -> None:
    # u6region [I [<binder disambiguator>] <index> E]: erased, or bound by a fn pointer
    index = subs.get(lifetime)
    if index is not None:
        out.append(_substitution(index))
        return
    if lifetime.binder is None:
        out.append("u6region")
    else:
        binder = ""
        if lifetime.binder > 0:
            n, digits = lifetime.binder - 1, ""
            while True:
                n, r = divmod(n, 62)
                digits = _BASE62[r] + digits
                if n == 0:
                    break
            binder = f"s{digits}_"
        out.append(f"u6regionI{binder}{lifetime.index}E")
    subs.setdefault(lifetime, len(subs))


# ---- the dispatch tables ------------------------------------------------------------------

_Encode = Callable[[Any, Flavour, _Dict, list[str]], None]

_C_INT_CODES: dict[CInt, str] = dict(C_INT_CODES)
_FIXED_INT_CODES: dict[FixedInt, str] = dict(FIXED_INT_CODES)
_PLAIN_SCALAR_CODES: dict[Scalar, str] = {
    kind: code for kind, code in SCALAR_CODES.items() if kind not in VENDOR_SCALARS}

_COMPONENTS: dict[type, _Encode] = {
    Pointer: _pointer, Qualified: _qualified, FunctionType: _function, Named: _named,
    Array: _array, Reference: _reference, Slice: _slice, Tuple: _tuple, Complex: _complex,
    BitInt: _bit_int, Atomic: _atomic, ConstValue: _const_value, Projection: _projection, DynTrait: _dyn_trait,
}
_COMPONENTS[Vector] = _vector
_SPECIALS: dict[type, _Encode] = {
    Primitive: _primitive, FixedInteger: _fixed_integer, Encoded: _encoded,
    RustPath: _rust_path_type,
}


def _check_dispatch() -> None:
    """Every class of the ``Type`` union has exactly one entry (what ``assert_never`` gave the
    ``match``): a type added to the model and forgotten here fails at import."""
    handled = [CInteger, *_COMPONENTS, *_SPECIALS]
    if sorted(map(str, handled)) != sorted(map(str, get_args(Type))):
        raise AssertionError(f"encoder dispatch {handled} does not cover {get_args(Type)}")


_check_dispatch()
