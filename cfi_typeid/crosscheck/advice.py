"""Why a C type and a Rust type encode differently, and what fixes it: a table of rules.

Each rule looks at the first pair of components that differ (see :mod:`cfi_typeid.crosscheck.check`) and,
when it applies, names the cause in plain words and a fix that works.  Every cause here is one
the compilers were seen to produce (``tests/test_check.py`` compiles each pair with clang-19 and
rustc); where nothing in Rust can express the C type, the fix says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from ..itanium.encoder import encode_type
from ..errors import CfiTypeidError
from ..flavours import CLANG, RUSTC
from ..model import (
    VOID, Array, Atomic, CInt, CInteger, Encoded, FixedInteger, FunctionType, Named, Pointer,
    Primitive, Qualified, Reference, RustPath, Scalar, Type, Vector,
)
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)


@dataclass(frozen=True, slots=True)
class Advice:
    """The two sides as source types, the cause of the difference and a fix."""

    c_type: str
    rust_type: str
    cause: str
    fix: str
    #: The rule that gave it (``option_callback``, ``c_int_vs_fixed``, ...): what groups
    #: mismatches by cause.
    rule: str = ""


#: The ``core::ffi::cfi`` type (and ``cfi-types`` newtype) that encodes as each C integer.
CFI_TYPE_NAMES: dict[CInt, str] = {
    CInt.CHAR: "c_char", CInt.SCHAR: "c_schar", CInt.UCHAR: "c_uchar",
    CInt.SHORT: "c_short", CInt.USHORT: "c_ushort", CInt.INT: "c_int", CInt.UINT: "c_uint",
    CInt.LONG: "c_long", CInt.ULONG: "c_ulong", CInt.LLONG: "c_longlong",
    CInt.ULLONG: "c_ulonglong",
}

_NORMALIZE_FIX = ("or enable integer normalization on both sides (clang "
                  "-fsanitize-cfi-icall-experimental-normalize-integers, rustc "
                  "-Zsanitizer-cfi-normalize-integers), under which both become the sized "
                  "integer")


def c_spelling(t: Type) -> str:
    """``t`` as C source, or a description where C has no spelling for it."""
    from ..c.render import render_c_type
    try:
        return render_c_type(t)
    except CfiTypeidError:
        return f"(no C spelling: {encode_type(t, CLANG)})"


def rust_spelling(t: Type) -> str:
    """``t`` as Rust source, or a description where Rust has no spelling for it."""
    from ..rust.render import render_rust_type
    try:
        return render_rust_type(t)
    except CfiTypeidError:
        return f"(no Rust spelling: {encode_type(t, RUSTC)})"


def without_atomic(t: Type) -> Type:
    """``t`` with every ``_Atomic`` under pointers, qualifiers and arrays left out: Rust has
    no ``_Atomic``, so a newtype's field is spelled as the plain type (the encoding is the
    ``cfi_encoding``'s business)."""
    match t:
        case Atomic(base):
            return without_atomic(base)
        case Pointer(pointee):
            return Pointer(without_atomic(pointee))
        case Qualified(base):
            return replace(t, base=without_atomic(base))
        case Array(element):
            return replace(t, element=without_atomic(element))
        case _:
            return t


#: What a suggestion says when it spells a C ``_Atomic`` type's field without it.
ATOMIC_NOTE = ("Rust has no _Atomic types: the field is the plain type, which has the "
               "_Atomic one's size but maybe not its alignment (clang aligns _Atomic long "
               "long to 8 on i686); use core::sync::atomic to access it atomically")


def newtype_declaration(c: Type, name: str) -> str:
    """A Rust newtype that encodes exactly as the C type ``c`` (``#[cfi_encoding]``)."""
    code = encode_type(c, CLANG)
    inner = "core::ffi::c_uint" if isinstance(c, Named) and c.kind == "enum" else \
        rust_spelling(without_atomic(c)) if not isinstance(c, Named) else "[u8; 0]"
    return (f'#[cfi_encoding = "{code}"]\n#[repr(transparent)]\n'
            f"pub struct {name}(pub {inner});")


@dataclass(frozen=True, slots=True)
class Pair:
    """Two components that encode differently: as transformed for the option set (``c``,
    ``r``) and as the user wrote them (``c_source``, ``r_source``; None where the walk lost
    track of them)."""

    c: Type
    r: Type
    c_source: Type | None
    r_source: Type | None
    generalized: bool

    @property
    def c_shown(self) -> Type:
        return self.c_source if self.c_source is not None else self.c

    @property
    def r_shown(self) -> Type:
        return self.r_source if self.r_source is not None else self.r


Rule = Callable[[Pair], "Advice | None"]


def _c_int_vs_fixed(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if not (isinstance(c, CInteger) and isinstance(r, FixedInteger)):
        return None
    name = CFI_TYPE_NAMES.get(c.kind)
    if name is None:
        code = encode_type(c, CLANG)
        fix = (f'wrap it in a newtype with #[cfi_encoding = "{code}"] '
               f"#[repr(transparent)] {_NORMALIZE_FIX}")
    else:
        fix = (f"use core::ffi::cfi::{name} (or the cfi-types crate's {name}, a "
               f'#[cfi_encoding = "{encode_type(c, CLANG)}"] #[repr(transparent)] newtype) '
               f"in the Rust signature, {_NORMALIZE_FIX}")
    cause = (f"C's {c.kind.value} is the C integer type '{encode_type(c, CLANG)}', while the "
             f"Rust side is the fixed-width integer {r.kind.value} "
             f"('{encode_type(r, RUSTC)}'); std::ffi::{name or 'c_*'} is only an alias of a "
             "fixed-width integer, so it encodes as one")
    if c.kind is CInt.CHAR:
        cause += "; C char is 'c' on every target, whatever its signedness"
    return Advice(c.kind.value, r.kind.value, cause, fix)


def _named_vs_integer(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if not (isinstance(c, Named) and isinstance(r, (FixedInteger, CInteger))):
        return None
    code = encode_type(c, CLANG)
    kind = "enum" if c.kind == "enum" else c.kind
    return Advice(
        f"{kind} {c.name}", rust_spelling(r),
        f"C encodes a {kind} by its tag name ('{code}'), the Rust side is an integer "
        "(bindgen maps C enums to integers)",
        "declare the Rust parameter with a wrapper that carries the C encoding:\n"
        + newtype_declaration(c, c.name))


def _atomic(p: Pair) -> Advice | None:
    c = p.c_shown
    if not isinstance(c, Atomic) or isinstance(p.r_shown, Atomic):
        return None
    code = encode_type(p.c, CLANG)
    return Advice(
        c_spelling(c), rust_spelling(p.r_shown),
        f"clang encodes C's _Atomic as the vendor qualifier U7_Atomic ('{code}'); Rust has "
        "no _Atomic types, and core::sync::atomic's are structs that rustc encodes by path",
        "declare the Rust parameter with a wrapper that carries the C encoding:\n"
        + newtype_declaration(p.c, "Atomic"))


#: Bits of the vector elements whose size no target changes, and the letter core::arch's
#: x86 types end with for them (``__m128i``, ``__m128``, ``__m128d``).
_VECTOR_ELEMENTS: dict[Type, tuple[int, str]] = {
    **{CInteger(k): (bits, "i") for k, bits in (
        (CInt.CHAR, 8), (CInt.SCHAR, 8), (CInt.UCHAR, 8), (CInt.SHORT, 16),
        (CInt.USHORT, 16), (CInt.INT, 32), (CInt.UINT, 32), (CInt.LLONG, 64),
        (CInt.ULLONG, 64))},
    Primitive(Scalar.FLOAT): (32, ""), Primitive(Scalar.DOUBLE): (64, "d"),
}


def vector_field(v: Vector) -> str:
    """The Rust type a newtype standing for the C vector ``v`` wraps: core::arch's x86 type
    of its size and kind (passed in the same SIMD registers), else an array of its elements."""
    element = v.element.base if isinstance(v.element, Qualified) else v.element
    bits, letter = _VECTOR_ELEMENTS.get(element, (0, ""))
    if bits and bits * v.count in (128, 256, 512):
        return f"core::arch::x86_64::__m{bits * v.count}{letter}"
    return f"[{rust_spelling(element)}; {v.count}]"


def _vector(p: Pair) -> Advice | None:
    c = p.c_shown
    if not isinstance(c, Vector) or isinstance(p.r_shown, Vector):
        return None
    code = encode_type(p.c, CLANG)
    plain = encode_type(c, CLANG)
    field = vector_field(c)
    decl = f'#[cfi_encoding = "{plain}"]\n#[repr(transparent)]\npub struct Vector(pub {field});'
    note = ("" if field.startswith("core::arch") else
            " (no core::arch type has this size and element: the array has the vector's "
            "size, not its calling convention)")
    normalized = ""
    if code != plain:
        normalized = (f"\nunder integer normalization clang writes '{code}', whose element "
                      "is a substitution candidate of its own, which a cfi_encoding string "
                      "is not: #[cfg_attr(sanitizer_cfi_normalize_integers, cfi_encoding = "
                      f'"{code}")] (#![feature(cfg_sanitizer_cfi)]) matches only where no '
                      "substitution follows it in the id")
    return Advice(
        c_spelling(c), rust_spelling(p.r_shown),
        f"clang encodes the C vector type as '{code}' (Dv<count>_<element>); Rust has no "
        "vector types: core::arch's __m128i and the like are repr(simd) structs that rustc "
        "encodes by their path (u48NtNtNtC..4core9core_arch3x867___m128i)",
        "declare the Rust parameter with a wrapper that carries the C encoding:\n" + decl
        + note + normalized)


def _named_vs_path(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if not isinstance(c, Named) or not isinstance(r, (RustPath, Named, Encoded)):
        return None
    if isinstance(r, RustPath) and r.encoding is None and not r.foreign and not r.by_name:
        cause = (f"rustc encodes the Rust type by its path ('{encode_type(r, RUSTC)}'): it is "
                 "not #[repr(C)], or the function does not use an extern \"C\" ABI")
        fix = (f'make it #[repr(C)] and named {c.name} in an extern "C" signature, or give it '
               f'#[cfi_encoding = "{encode_type(c, CLANG)}"]')
    else:
        cause = (f"the names differ: C '{encode_type(c, CLANG)}', Rust "
                 f"'{encode_type(r, RUSTC)}' (repr(C) types encode by their bare name)")
        fix = (f'name the Rust type {c.name}, or give it #[cfi_encoding = '
               f'"{encode_type(c, CLANG)}"]')
    return Advice(f"{c.kind} {c.name}", rust_spelling(r), cause, fix)


def _float16(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if c == Primitive(Scalar.FLOAT16) and r == Primitive(Scalar.HALF):
        return Advice("_Float16", "f16",
                      "Rust f16 is encoded 'Dh' (as C's __fp16 storage type), C _Float16 is "
                      "'DF16_'",
                      '#[cfi_encoding = "DF16_"] #[repr(transparent)] pub struct Float16(pub '
                      "f16); in the Rust signature, where _Float16 appears once: rustc makes the "
                      "newtype a substitution candidate, clang never substitutes DF16_, so a "
                      "second _Float16 differs (then no Rust type matches)")
    return None


def _never(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if c == VOID and r == Primitive(Scalar.NEVER):
        return Advice("void", "!", "the Rust function returns '!', encoded 'u5never'; C void "
                      "is 'v' (C's _Noreturn is not part of the type)",
                      "declare the Rust function without '-> !' (it may still never return)")
    return None


def _generalized_fn_pointer(p: Pair) -> Advice | None:
    rust_fn = isinstance(p.r_source, Pointer) and isinstance(p.r_source.pointee, FunctionType)
    if p.generalized and rust_fn and p.c == Pointer(VOID) \
            and p.r == Pointer(Qualified(VOID, const=True)):
        return Advice(
            f"{c_spelling(p.c_shown)} (generalized: void *)",
            f"{rust_spelling(p.r_shown)} (generalized: *const ())",
            "under pointer generalization rustc turns function pointers into *const () "
            "('PKv') while clang turns them into void * ('Pv')",
            "nothing in a Rust function-pointer type can express this; pass the callback as "
            "*mut c_void on the Rust side (and transmute it), or do not generalize pointers")
    return None


def _reference(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if isinstance(c, Pointer) and isinstance(r, Reference):
        return Advice(c_spelling(c), rust_spelling(r),
                      "a Rust reference is encoded as the vendor type 'u3refI..E', a C pointer "
                      "as 'P..'",
                      "use a raw pointer (*const T / *mut T) in the extern \"C\" signature")
    return None


def _constness(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    c_const = isinstance(c, Qualified) and c.const
    r_const = isinstance(r, Qualified) and r.const
    if c_const == r_const:
        return None
    cause = ("the C pointee is const, the Rust pointer is *mut" if c_const
             else "the Rust pointer is *const, the C pointee is not const")
    fix = "use *const in Rust" if c_const else "use *mut in Rust (or make the C pointee const)"
    return Advice(c_spelling(c), rust_spelling(r), cause, fix)


def cfi_encoding_of(t: Type) -> str | None:
    """The ``#[cfi_encoding]`` string a Rust type carries, if any."""
    if isinstance(t, Encoded):
        return t.code
    if isinstance(t, RustPath):
        return t.encoding
    return None


def _encoding_not_normalized(p: Pair) -> Advice | None:
    code = cfi_encoding_of(p.r)
    if code is None or not isinstance(p.c, FixedInteger):
        return None
    c_src = p.c_shown
    name = CFI_TYPE_NAMES.get(c_src.kind) if isinstance(c_src, CInteger) else None
    plain = f"core::ffi::{name}" if name else p.c.kind.value
    return Advice(
        c_spelling(c_src), rust_spelling(p.r_shown),
        f"rustc writes a #[cfi_encoding] ('{code}') verbatim even with "
        f"-Zsanitizer-cfi-normalize-integers, while clang normalizes the C type to "
        f"{p.c.kind.value} ('{encode_type(p.c, CLANG)}')",
        f"when both sides normalize integers, use the plain alias {plain} (it normalizes to "
        f"{p.c.kind.value}), or apply the encoding only without normalization as the "
        f"cfi-types crate does: #[cfg_attr(not(sanitizer_cfi_normalize_integers), "
        f'cfi_encoding = "{code}")]')


def _normalized_ints(p: Pair) -> Advice | None:
    if not (isinstance(p.c, FixedInteger) and isinstance(p.r, FixedInteger)):
        return None
    c_src, r_src = p.c_shown, p.r_shown
    name = CFI_TYPE_NAMES.get(c_src.kind) if isinstance(c_src, CInteger) else None
    alias = f"core::ffi::{name} (which is {p.c.kind.value} on this target)" if name \
        else p.c.kind.value
    return Advice(
        c_spelling(c_src), rust_spelling(r_src),
        f"with integer normalization the C side becomes {p.c.kind.value} on this target and "
        f"the Rust side {p.r.kind.value}: their sizes or signedness differ",
        f"use {alias} on the Rust side")


#: The flags that make a nullable callback match: pointer generalization on both sides (with
#: integer normalization for bindgen's ``c_int`` aliases), the Rust parameter ``*mut c_void``.
GENERALIZE_FLAGS = ("clang -fsanitize-cfi-icall-generalize-pointers with rustc "
                    "-Zsanitizer-cfi-generalize-pointers")
NORMALIZE_FLAGS = ("clang -fsanitize-cfi-icall-experimental-normalize-integers with rustc "
                   "-Zsanitizer-cfi-normalize-integers")


def option_argument(t: Type | None) -> Type | None:
    """``X`` when ``t`` is ``core::option::Option<X>``, else None."""
    if isinstance(t, RustPath) and t.crate in ("core", "std") and len(t.args) == 1 \
            and [s.name for s in t.segments] == ["option", "Option"]:
        return t.args[0]
    return None


def is_fn_pointer(t: Type | None) -> bool:
    return isinstance(t, Pointer) and isinstance(t.pointee, FunctionType)


def _option_callback(p: Pair) -> Advice | None:
    inner = option_argument(p.r_source if p.r_source is not None else p.r)
    if inner is None or not is_fn_pointer(inner):
        return None
    r_code = encode_type(p.r, RUSTC)
    c_code = encode_type(p.c, CLANG)
    cause = (f"the Option wrapper: bindgen declares a nullable C function pointer as "
             f"Option<unsafe extern \"C\" fn(..)>, and rustc encodes Option as the v0 path "
             f"of core::option::Option ('{r_code}') where clang has the pointer itself "
             f"('{c_code}'); a #[cfi_encoding] newtype does not help: rustc splices its string "
             "in verbatim and numbers the substitutions after it differently from clang")
    bare = rust_spelling(inner)
    if p.generalized:
        fix = ("declare it (the parameter, or the return type) *mut core::ffi::c_void (it may "
               "be null, as the Option could; transmute to the fn type to call it): under "
               "pointer generalization "
               "clang writes 'Pv' for it, while rustc keeps the Option path and writes a bare "
               "fn pointer as 'PKv'")
    else:
        fix = (f"if the callback is never null, declare it (the parameter, or the return "
               f"type) as the bare fn type {bare} (drop the Option); if it may be null, no Rust "
               f"type matches under "
               f"these flags: what does is pointer generalization on both sides "
               f"({GENERALIZE_FLAGS}, and integer normalization, {NORMALIZE_FLAGS}, for "
               f"bindgen's c_int aliases) with it declared *mut core::ffi::c_void on the Rust "
               "side")
    return Advice(c_spelling(p.c_shown), rust_spelling(p.r_shown), cause, fix)


def _array(p: Pair) -> Advice | None:
    c, r = p.c_shown, p.r_shown
    if isinstance(r, Array) and not isinstance(c, Array):
        return Advice(c_spelling(c), rust_spelling(r),
                      "C array parameters decay to a pointer to the element, the Rust side "
                      f"points to the whole array ('{encode_type(p.r, RUSTC)}')",
                      f"point to the element type: *mut {rust_spelling(r.element)} (or *const)")
    if not (isinstance(c, Array) and isinstance(r, Array)):
        return None
    c_code, r_code = encode_type(p.c, CLANG), encode_type(p.r, RUSTC)
    return Advice(
        c_spelling(c), rust_spelling(r),
        f"rustc writes an array's length without the '_' clang puts after it (C '{c_code}', "
        f"Rust '{r_code}')",
        f'a #[repr(transparent)] newtype over the array with #[cfi_encoding = "{c_code}"], '
        "which matches only when nothing later in the signature repeats the element type "
        "(rustc counts the newtype as one substitution candidate, clang the array and its "
        "element); otherwise no Rust type matches: generalize pointers on both sides "
        f"({GENERALIZE_FLAGS}) if the array is behind a pointer")


#: Rules that judge a pair as a whole, before the walk looks inside it.
RULES_HERE: tuple[Rule, ...] = (_option_callback, _generalized_fn_pointer, _reference, _never,
                                _named_vs_integer, _named_vs_path, _atomic, _vector)
#: Rules for the innermost pair that differs.
RULES: tuple[Rule, ...] = (*RULES_HERE, _float16, _array, _encoding_not_normalized,
                           _normalized_ints, _c_int_vs_fixed,
                           _constness)


def _first(rules: tuple[Rule, ...], pair: Pair) -> Advice | None:
    for rule in rules:
        found = rule(pair)
        if found is not None:
            return replace(found, rule=rule.__name__.lstrip("_"))
    return None


def advise_here(pair: Pair) -> Advice | None:
    """Advice about ``pair`` as a whole, or None to look inside it."""
    return _first(RULES_HERE, pair)


def advise(pair: Pair) -> Advice:
    """The first rule that explains why the pair differs, or a generic answer."""
    found = _first(RULES, pair)
    if found is not None:
        return found
    c, r = pair.c_shown, pair.r_shown
    code = encode_type(pair.c, CLANG)
    return Advice(c_spelling(c), rust_spelling(r),
                  f"the encodings differ: C '{code}', Rust '{encode_type(pair.r, RUSTC)}'",
                  f'give the Rust type #[cfi_encoding = "{code}"] (a #[repr(transparent)] '
                  "newtype), or change one side's type", "other")


def advise_structure(what: str, c: FunctionType, r: FunctionType) -> Advice:
    """Advice for differences of shape rather than of one component."""
    if what == "arity":
        if not c.prototyped:
            return Advice("() (no prototype)", f"{len(r.params)} parameters",
                          "the C declaration has no prototype: clang encodes it with no "
                          "parameter list at all",
                          "declare the C function with a prototype ((void) when it takes none)",
                          "no_prototype")
        return Advice(f"{len(c.params)} parameters", f"{len(r.params)} parameters",
                      "the parameter counts differ (rustc leaves out zero-sized parameters "
                      "such as () and PhantomData)",
                      "make both declarations take the same parameters", "arity")
    if what == "variadic":
        return Advice("..." if c.variadic else "no ...", "..." if r.variadic else "no ...",
                      "only one side is variadic", "declare '...' on both sides or neither",
                      "variadic")
    return Advice(
        "(same components)", "(same components)",
        "every component encodes alike, but the substitutions are numbered differently: clang "
        "counts a function type inside a function pointer as a substitution candidate of its "
        "own, rustc counts only the whole pointer, so later repeats get different S<n>_ "
        "references",
        "nothing in Rust can express this; avoid repeating a type after a function pointer in "
        "the signature, or pass the callback as *mut c_void", "substitutions")


_METHODS.close()
