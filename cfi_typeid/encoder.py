"""Itanium C++ ABI ``<function-type>`` encoding with substitution compression.

The hot path.  One pass over the model; the substitution dictionary maps each candidate
component (a model object, hashed, never compared as a string) to its index, and a component is
entered after its children, as both clang's ``mangleType`` and rustc's ``encode_ty`` do.  Which
components are candidates, and how arrays are spelled, comes from the :class:`Flavour` table.
"""

from __future__ import annotations

from typing import assert_never

from .codes import BUILTIN_CODES, C_INT_CODES, FIXED_INT_CODES, SCALAR_CODES, VENDOR_SCALARS, seq_id
from .errors import UsageError
from .flavours import Flavour
from .model import (
    Array, BitInt, CInteger, Complex, Encoded, FixedInteger, FunctionType, Lifetime, Named,
    Pointer, Primitive, Qualified, Reference, RustPath, Slice, Tuple, Type,
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
    # <function-type> ::= F <return-type> <parameter-types>+ E  (v for none, z for ...)
    out.append("F")
    _type(fn.returns, flavour, subs, out)
    for p in fn.params:
        _type(p, flavour, subs, out)
    if fn.variadic:
        out.append("z")
    elif not fn.params and fn.prototyped:
        out.append("v")
    out.append("E")


def _substituted(t: object, subs: _Dict, out: list[str]) -> bool:
    """Emit ``S<seq-id>_`` and answer True when ``t`` is already a candidate."""
    index = subs.get(t)
    if index is None:
        return False
    out.append(seq_id(index))
    return True


def _add(t: object, subs: _Dict) -> None:
    subs.setdefault(t, len(subs))


def _type(t: Type, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    match t:
        case CInteger(kind):
            # <builtin-type> ::= c | a | h | s | t | i | j | l | m | x | y | n | o
            out.append(C_INT_CODES[kind])
        case Primitive(kind):
            # <builtin-type> ::= v | b | f | d | e | g | Dh | DF16_ | ...; u4char etc. are vendor
            if kind in VENDOR_SCALARS:
                if not _substituted(t, subs, out):
                    out.append(SCALAR_CODES[kind])
                    _add(t, subs)
            else:
                out.append(SCALAR_CODES[kind])
        case FixedInteger(kind):
            # <builtin-type> ::= u <source-name>   (vendor extended type: a candidate, one per
            # size even where the C types it came from differ: clang's representative)
            key = FixedInteger(kind)
            if not _substituted(key, subs, out):
                out.append(FIXED_INT_CODES[kind])
                _add(key, subs)
        case Encoded(code):
            # a cfi_encoding string, verbatim; builtin codes are not candidates
            if code in BUILTIN_CODES and flavour.builtin_encodings_not_candidates:
                out.append(code)
            elif not _substituted(t, subs, out):
                out.append(code)
                _add(t, subs)
        case RustPath(encoding=str() as code) if (
                code in BUILTIN_CODES and not t.foreign
                and flavour.builtin_encodings_not_candidates):
            # a struct's cfi_encoding naming a builtin type: not a candidate (an extern
            # type's always is, as rustc's encode_ty has it)
            out.append(code)
        case RustPath(encoding=None, foreign=False, by_name=False) if t.args or t.lifetimes:
            # rustc encodes a path's generic arguments before it looks the path up, so when
            # the type was spelled by name first (repr(C) in a C-ABI function), arguments
            # never seen enter the dictionary even though the path itself is substituted
            args: list[str] = []
            _generic_args(t, flavour, subs, args)
            if not _substituted(t, subs, out):
                name = rust_path_name(t)
                out.append(f"u{len(name)}{name}")
                out.extend(args)
                _add(t, subs)
        case _:
            if not _substituted(t, subs, out):
                _compound(t, flavour, subs, out)
                _add(t, subs)


def _compound(t: Type, flavour: Flavour, subs: _Dict, out: list[str]) -> None:
    """Encode a substitution candidate that is not yet in the dictionary."""
    match t:
        case BitInt(bits, signed):
            # <builtin-type> ::= DB <number> _ | DU <number> _   (clang enters it as a candidate)
            out.append(f"{'DB' if signed else 'DU'}{bits}_")
        case Complex(element):
            # <type> ::= C <type>
            out.append("C")
            _type(element, flavour, subs, out)
        case Qualified(base, const, volatile, restrict):
            # <type> ::= <CV-qualifiers> <type>;  <CV-qualifiers> ::= [r] [V] [K]
            out.append(("r" if restrict else "") + ("V" if volatile else "")
                       + ("K" if const else ""))
            _type(base, flavour, subs, out)
        case Pointer(pointee):
            # <type> ::= P <type>
            out.append("P")
            if isinstance(pointee, FunctionType) and not flavour.function_type_is_candidate:
                _function(pointee, flavour, subs, out)
            else:
                _type(pointee, flavour, subs, out)
        case Array(element, length):
            # <array-type> ::= A <dimension number> _ <element type>   (rustc: no _)
            out.append("A_" if length is None else f"A{length}{flavour.array_length_separator}")
            _type(element, flavour, subs, out)
        case FunctionType():
            _function(t, flavour, subs, out)
        case Named(name):
            # <class-enum-type> ::= <source-name>
            out.append(f"{len(name)}{name}")
        case Reference(pointee, mutable, lifetime):
            # [U3mut] u3refI <type> E: the immutable reference is a candidate of its own
            if mutable:
                out.append("U3mut")
                _type(Reference(pointee, False, lifetime), flavour, subs, out)
            else:
                out.append("u3refI")
                _type(pointee, flavour, subs, out)
                out.append("E")
        case Slice(element):
            # u5sliceI <type> E
            out.append("u5sliceI")
            _type(element, flavour, subs, out)
            out.append("E")
        case Tuple(elements):
            # u5tupleI <type>+ E
            out.append("u5tupleI")
            for e in elements:
                _type(e, flavour, subs, out)
            out.append("E")
        case RustPath():
            _rust_path(t, flavour, subs, out)
        case CInteger() | Primitive() | FixedInteger() | Encoded():
            raise AssertionError(f"leaf type {t!r} reached _compound")
        case _:
            assert_never(t)


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


_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _lifetime(lifetime: Lifetime, subs: _Dict, out: list[str]) -> None:
    # u6region [I [<binder disambiguator>] <index> E]: erased, or bound by a fn pointer
    if _substituted(lifetime, subs, out):
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
    _add(lifetime, subs)
