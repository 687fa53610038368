"""GCC/clang vector types (``vector_size``, ``ext_vector_type``): clang-19 mangles them
``Dv <count> _ <element>``.  Here, each against clang-19: the accepted declarations (all six
fields, on three targets), the refused ones (clang refuses each, at our column), the decoder
reading every id back, the C rendering of a decoded id compiled to the same id, the Rust side
(no vectors; the suggested ``cfi_encoding`` newtype compiled by rustc), and clang's own
intrinsics headers read whole.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import cfi_typeid
from cfi_typeid.crosscheck.check import check
from cfi_typeid.errors import CfiTypeidError, NotExpressibleError, ParseError
from cfi_typeid.flavours import CLANG
from cfi_typeid.itanium.decoded import decode_typeid
from cfi_typeid.itanium.encoder import encode_function_type
from cfi_typeid.itanium.render_decoded import render_as_c, render_as_rust

from conftest import needs_clang, needs_rustc
from oracles import CLANG as CLANG_PATH
from oracles import clang_ids, ids_from_ir, rustc_ir

X86, I686, ARM = "x86_64-unknown-linux-gnu", "i686-unknown-linux-gnu", "aarch64-unknown-linux-gnu"


def v(size: object) -> str:
    return f"__attribute__((vector_size({size})))"


def ext(count: object) -> str:
    return f"__attribute__((ext_vector_type({count})))"


def neon(count: object, poly: str = "") -> str:
    return f"__attribute__((neon_{poly}vector_type({count})))"


#: AArch64's Neon typedefs as arm_neon.h declares them (its int64_t is long)
_NEON_TYPEDEFS = (
    f"typedef {neon(8)} signed char int8x8_t; typedef {neon(16)} unsigned char uint8x16_t; "
    f"typedef {neon(4)} short int16x4_t; typedef {neon(8)} unsigned short uint16x8_t; "
    f"typedef {neon(2)} int int32x2_t; typedef {neon(4)} unsigned uint32x4_t; "
    f"typedef {neon(1)} long int64x1_t; typedef {neon(2)} unsigned long long uint64x2_t; "
    f"typedef {neon(4)} float float32x4_t; typedef {neon(2)} double float64x2_t; "
    f"typedef {neon(8)} __fp16 float16x8_t; typedef {neon(4)} __bf16 bfloat16x4_t; "
    f"typedef {neon(8, 'poly')} unsigned char poly8x8_t; "
    f"typedef {neon(4, 'poly')} unsigned short poly16x4_t; "
    f"typedef unsigned long poly64x2_t {neon(2, 'poly')};")


#: (target, prelude, declaration of f): clang-19 accepts each; the six fields are compared.
ACCEPTED = [
    # every element type clang takes
    (X86, "", f"void f(char {v(16)} a, signed char {v(16)} b, unsigned char {v(16)} c)"),
    (X86, "", f"void f(short {v(16)}, unsigned short {v(16)}, int {v(16)}, unsigned {v(16)})"),
    (X86, "", f"void f(long {v(16)}, unsigned long {v(16)}, long long {v(16)}, "
              f"unsigned long long {v(16)})"),
    (X86, "", f"void f(__int128 {v(32)}, unsigned __int128 {v(16)})"),
    (X86, "", f"void f(float {v(16)}, double {v(16)}, long double {v(32)})"),
    (X86, "", f"void f(_Float16 {v(16)}, __bf16 {v(16)}, __fp16 {v(16)}, __float128 {v(32)})"),
    (X86, "", f"void f(_BitInt(8) {v(16)}, _BitInt(32) {v(16)}, unsigned _BitInt(128) {v(32)}, "
              f"_BitInt(256) {v(64)})"),
    # sizes: any multiple of the element (no power of two needed), zero-extended
    (X86, "", f"void f(int {v(12)}, char {v(20)}, double {v(24)}, int {v(4)})"),
    (X86, f"typedef int vneg {v(-16)};", f"void f(vneg, int {v('1u << 31')})"),
    (X86, "enum { N = 4 }; typedef int v4 " + v("N * sizeof(int)") + ";",
     f"void f(v4, double {v('2 * sizeof(double)')}, char {v('sizeof(long double)')})"),
    # ext_vector_type: Dv as well, another type than vector_size's; _Bool and enums too
    (X86, f"typedef float f4 {ext(4)}; typedef int i3 {ext(3)};",
     f"void f(f4, i3, float {v(16)}, f4)"),
    (X86, f"typedef _Bool b8 {ext(8)}; enum E {{ E0 }}; typedef enum E e4 {ext(4)};",
     "void f(b8, e4, _Bool, enum E)"),
    (X86, f"typedef int {ext('1 << 20')} big; typedef int {ext(-1)} wrapped;",
     "void f(big, wrapped *)"),
    (X86, f"typedef int e4 {ext(4)}; typedef int v4 {v(16)};", "void f(v4 *, e4 *, v4, e4)"),
    # substitutions, placements, spellings
    (X86, f"typedef int v4si {v(16)};",
     "v4si f(v4si a, v4si (*g)(v4si, const v4si *), volatile v4si *c)"),
    (X86, "typedef int __attribute__((__vector_size__(16))) v4si;",
     f"void f(int y {v(16)}, v4si, {v(16)} int z)"),
    (X86, "typedef long long __m128i __attribute__((__vector_size__(16), __aligned__(16))); "
          "typedef long long __m128i_u __attribute__((__vector_size__(16), __aligned__(1)));",
     "__m128i f(__m128i_u const *p, __m128i a)"),
    (X86, f"typedef unsigned int u4 {v(16)}; struct S {{ u4 member; }};",
     f"void f(struct S *, u4, unsigned int {v(16)})"),
    # qualifiers: the specifiers' own stay outside, a typedef's go inside (Dv4_Ki)
    (X86, f"typedef const int CI; typedef const int cv4 {v(16)};",
     f"void f(CI {v(16)} *a, const int {v(16)} *b, cv4, const CI *d)"),
    (X86, f"typedef volatile float vf {v(16)};", f"void f(vf, vf *, int const {v(16)} *)"),
    (X86, "", f"void f(_Atomic int {v(16)} x, _Atomic int {v(16)} *y)"),
    # other targets: long, long double and char differ
    (I686, "", f"void f(long {v(16)}, long double {v(24)}, char {v(8)})"),
    (I686, f"typedef int v4si {v(16)};",
     f"void f(v4si, long long {v(16)}, v4si *, long double {v('2 * sizeof(long double)')})"),
    (ARM, "", f"void f(char {v(16)}, _Float16 {v(16)}, __bf16 {v(16)})"),
    (ARM, "", f"void f(long {v(16)}, long double {v(32)}, unsigned char {v(8)})"),
    # AArch64's Neon vectors: mangled by their AAPCS64 names, never normalised
    (ARM, _NEON_TYPEDEFS, "void f(int8x8_t, uint8x16_t, int16x4_t, uint16x8_t, int32x2_t, "
                          "uint32x4_t, int8x8_t)"),
    (ARM, _NEON_TYPEDEFS, "void f(int64x1_t, uint64x2_t, float32x4_t, float64x2_t, "
                          "float16x8_t, bfloat16x4_t)"),
    (ARM, _NEON_TYPEDEFS, f"poly8x8_t f(poly16x4_t, poly64x2_t, int {v(8)}, int32x2_t, "
                          f"const int32x2_t *, int {neon(2)} x)"),
]

#: (prelude, declaration, our message part, clang's message part): both refuse, at the
#: attribute's name (x86-64).
REFUSED = [
    ("", f"void f(_Bool {v(16)} x);", "invalid vector element type",
     "invalid vector element type '_Bool'"),
    ("", f"void f(int *p {v(16)});", "a pointer", "invalid vector element type 'int *'"),
    ("typedef void *P;", f"void f(P {v(16)} x);", "a pointer", "invalid vector element type"),
    ("struct S { int a; };", f"void f(struct S {v(16)} x);", "'struct S'",
     "invalid vector element type 'struct S'"),
    ("enum E { E0 };", f"void f(enum E {v(16)} x);", "'enum E'",
     "invalid vector element type 'enum E'"),
    ("", f"void f(_Complex float {v(16)} x);", "_Complex",
     "invalid vector element type '_Complex float'"),
    ("typedef int A[4];", f"void f(A {v(16)} x);", "an array", "invalid vector element type"),
    ("", f"int f(void) {v(16)};", "a function", "invalid vector element type 'int (void)'"),
    (f"typedef int v4 {v(16)};", f"void f(v4 {v(32)} x);", "a vector",
     "invalid vector element type 'v4'"),
    ("", f"void f(void {v(16)} *x);", "'void'", "invalid vector element type 'void'"),
    ("", f"void f(int {v(6)} x);", "integral multiple",
     "vector size not an integral multiple of component size"),
    ("", f"void f(long double {v(24)} x);", "integral multiple",
     "vector size not an integral multiple of component size"),
    ("", f"void f(int {v(0)} x);", "zero vector size", "zero vector size"),
    ("", f"void f(char {v(4294967296)} x);", "too large", "vector size too large"),
    ("", f"void f(int {v('-16LL')} x);", "too large", "vector size too large"),
    ("", "void f(int __attribute__((vector_size)) x);", "takes one argument",
     "'vector_size' attribute takes one argument"),
    ("", f"void f(int n, int {v('n')} x);", "requires an integer constant",
     "attribute requires an integer constant"),
    ("", f"void f(_BitInt(24) {v(12)} x);", "power of 2",
     "'_BitInt' vector element width must be a power of 2"),
    ("", f"void f(_BitInt(7) {v(7)} x);", "CHAR_BIT",
     "'_BitInt' vector element width must be at least as wide as 'CHAR_BIT'"),
    ("", f"void f(int {ext(4)} x);", "only applies to typedefs",
     "'ext_vector_type' attribute only applies to typedefs"),
    ("", f"void f(int x {ext(4)});", "only applies to typedefs",
     "'ext_vector_type' attribute only applies to typedefs"),
    ("", f"typedef int e0 {ext(0)};", "zero vector size", "zero vector size"),
    ("", f"typedef int big {ext(4294967296)};", "too large", "vector size too large"),
    ("enum E;", f"typedef enum E e4 {ext(4)};", "incomplete",
     "invalid vector element type 'enum E'"),
    ("", f"typedef int *pe {ext(4)};", "a pointer", "invalid vector element type 'int *'"),
    (f"typedef int e4 {ext(4)};", f"typedef e4 v {v(32)};", "a vector",
     "invalid vector element type 'e4'"),
]

#: The same, on AArch64 (Neon vectors).
NEON_REFUSED = [
    ("", f"typedef char c8 {neon(8)};", "not a Neon element type",
     "invalid vector element type 'char'"),
    ("", f"typedef _Float16 h4 {neon(4)};", "not a Neon element type",
     "invalid vector element type '_Float16'"),
    ("", f"typedef _Bool b8 {neon(8)};", "invalid vector element type",
     "invalid vector element type '_Bool'"),
    ("", f"typedef __int128 q1 {neon(1)};", "not a Neon element type",
     "invalid vector element type '__int128'"),
    ("", f"typedef long double e1 {neon(1)};", "not a Neon element type",
     "invalid vector element type 'long double'"),
    ("", f"typedef int i3 {neon(3)};", "64 or 128 bits", "Neon vector size must be 64 or 128 bits"),
    ("", f"typedef int i8 {neon(8)};", "64 or 128 bits", "Neon vector size must be 64 or 128 bits"),
    ("", f"typedef int i0 {neon(0)};", "64 or 128 bits", "Neon vector size must be 64 or 128 bits"),
    ("", f"typedef int in {neon(-2)};", "64 or 128 bits",
     "Neon vector size must be 64 or 128 bits"),
    ("", f"typedef signed char p8 {neon(8, 'poly')};", "not a Neon element type",
     "invalid vector element type 'signed char'"),
    ("", f"typedef unsigned int p32 {neon(2, 'poly')};", "not a Neon element type",
     "invalid vector element type 'unsigned int'"),
    (f"typedef int i2 {neon(2)};", f"typedef i2 v {v(16)};", "__Int32x2_t",
     "invalid vector element type 'i2'"),
]

_ERROR = re.compile(r":(\d+):(\d+): error: (.*)")


def _source(prelude: str, decl: str) -> str:
    return f"{prelude}\n{decl}" if prelude else decl


_ALL_REFUSED = [(X86, *case) for case in REFUSED] + [(ARM, *case) for case in NEON_REFUSED]


@pytest.mark.parametrize("target, prelude, decl, ours, theirs", _ALL_REFUSED)
def test_what_clang_refuses_is_refused(target: str, prelude: str, decl: str, ours: str,
                                       theirs: str) -> None:
    with pytest.raises(ParseError, match=re.escape(ours)):
        cfi_typeid.typeid(_source(prelude, decl), target=target)


@needs_clang
@pytest.mark.clang
def test_clang_refuses_them_at_our_column(tmp_path: Path) -> None:
    assert CLANG_PATH is not None
    wrong = []
    for target, prelude, decl, _, theirs in _ALL_REFUSED:
        source = _source(prelude, decl)
        path = tmp_path / "case.c"
        path.write_text(source + "\n")
        done = subprocess.run([CLANG_PATH, "-target", target, "-fsyntax-only", "-w",
                               "-ffreestanding", str(path)], capture_output=True, text=True)
        clang = _ERROR.search(done.stderr)
        try:
            cfi_typeid.typeid(source, target=target)
            ours = None
        except ParseError as e:
            ours = _ERROR.search(str(e))
        if clang is None or ours is None or theirs not in clang.group(3) \
                or clang.group(1, 2) != ours.group(1, 2):
            wrong.append(f"{decl}: clang {clang and clang.group(0)}, ours {ours and ours.group(0)}")
    assert not wrong, "\n".join(wrong)


def _clang_fields(target: str, prelude: str, decl: str) -> dict[str, str]:
    from test_differential_c import clang_fields
    return clang_fields(f"{prelude}\n{decl};\nvoid *cfi_table = (void *)f;\n", target)["f"]


@pytest.fixture(scope="module")
def clang_answers() -> list[dict[str, str]]:
    if CLANG_PATH is None:
        pytest.skip("clang-19 is not installed")
    return [_clang_fields(*case) for case in ACCEPTED]


@needs_clang
@pytest.mark.clang
def test_accepted_vectors_match_clang(clang_answers: list[dict[str, str]]) -> None:
    wrong = []
    for (target, prelude, decl), theirs in zip(ACCEPTED, clang_answers):
        ours = cfi_typeid.typeids(decl, target=target, prelude=prelude).to_json()
        wrong += [f"{target} {decl}: {k} ours {ours[k]}, clang {theirs[k]}"
                  for k in theirs if ours[k] != theirs[k]]
    assert not wrong, "\n".join(wrong)


def _ids(answers: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(target, answer[k]) for (target, _, _), answer in zip(ACCEPTED, answers)
            for k in ("plain", "generalized", "normalized", "normalized_generalized")]


@needs_clang
@pytest.mark.clang
def test_the_decoder_reads_clangs_ids_back(clang_answers: list[dict[str, str]]) -> None:
    for _, typeid in _ids(clang_answers):
        decoded = decode_typeid(typeid)
        body = typeid.removeprefix("_ZTS").split(".")[0]
        assert encode_function_type(decoded.function, CLANG) == body, typeid


@needs_clang
@pytest.mark.clang
def test_clang_gives_the_rendered_c_the_decoded_id(clang_answers: list[dict[str, str]]) -> None:
    """Every plain id decoded, rendered as C (ext vectors by a typedef), compiled: the same
    id; and we read our rendering as clang does."""
    for (target, _, _), answer in zip(ACCEPTED, clang_answers):
        typeid = answer["plain"]
        c = render_as_c(decode_typeid(typeid), "f")
        source = f"{c.prelude}\n{c.decl}\nvoid *cfi_table = (void *)f;\n"
        assert clang_ids(source, target)["f"][0] == typeid, source
        assert cfi_typeid.typeid(f"{c.prelude}\n{c.decl}", target=target) == typeid


def test_neon_vectors_we_refuse_where_clang_accepts_them() -> None:
    """Gaps, each refused rather than guessed: a Neon vector of a qualified element (clang
    names it as the unqualified one's, ``__Int32x2_t``, yet keeps it another type), and Neon
    vectors off AArch64 (32-bit ARM mangles them ``__simd64_int32_t``)."""
    with pytest.raises(ParseError, match="qualified element"):
        cfi_typeid.typeid(f"typedef const int ci2 {neon(2)}; void f(ci2);", target=ARM)
    with pytest.raises(ParseError, match="AArch64 targets only"):
        cfi_typeid.typeid(f"typedef int i2 {neon(2)}; void f(i2);",
                          target="armv7-unknown-linux-gnueabihf")


def test_decoded_vectors_are_of_both_kinds() -> None:
    # clang spells an ext and a generic vector of one element and count both out
    fn = decode_typeid("_ZTSFvPDv4_iPDv4_iS_S1_E").function
    first, second = fn.params[0], fn.params[1]
    assert first != second and fn.params[2] == first.pointee  # type: ignore[union-attr]
    c = render_as_c(decode_typeid("_ZTSFvPDv4_iPDv4_iS_S1_E"), "f")
    assert "ext_vector_type(4)" in c.prelude and "vector_size(4 * sizeof(int))" in c.decl


@pytest.mark.parametrize("typeid", ["_ZTSFvDv0_iE", "_ZTSFvDv4_PiE", "_ZTSFvDv4_vE",
                                    "_ZTSFvDv4_E", "_ZTSFvDv4294967296_cE", "_ZTSFvDv4iE"])
def test_the_decoder_refuses_what_clang_never_writes(typeid: str) -> None:
    with pytest.raises(CfiTypeidError):
        decode_typeid(typeid)


def test_rust_says_it_has_no_vectors() -> None:
    with pytest.raises(NotExpressibleError, match="Rust has no GCC vector types"):
        render_as_rust(decode_typeid("_ZTSFvDv2_xE"))


def test_check_names_the_vector_and_gives_the_newtype() -> None:
    report = check("typedef long long __m128i __attribute__((__vector_size__(16)));\n"
                   "void f(__m128i a);", 'extern "C" { fn f(a: [i64; 2]); }')
    text = json.dumps(report.to_json())
    assert "Dv2_x" in text and "repr(simd)" in text
    assert "core::arch::x86_64::__m128i" in text and 'cfi_encoding = \\"Dv2_x\\"' in text


def test_check_agrees_with_the_newtype() -> None:
    # (the field the advice gives is core::arch's type, which our Rust front end does not
    # know: the encoding is all that counts here, the field only for the ABI)
    rust = ('#[cfi_encoding = "Dv2_x"]\n#[repr(transparent)]\npub struct M(pub [i64; 2]);\n'
            'extern "C" { fn f(a: M, b: *const M); }')
    report = check("typedef long long __m128i __attribute__((__vector_size__(16)));\n"
                   "void f(__m128i a, const __m128i *b);", rust)
    matched = {c["options"]: c["match"] for c in report.to_json()["comparisons"]}
    assert matched["plain"] and matched["generalized"]


_NEWTYPE = ('#![feature(cfi_encoding, cfg_sanitizer_cfi)]\n'
            'use core::arch::x86_64::__m128i;\n'
            '#[cfg_attr(not(sanitizer_cfi_normalize_integers), cfi_encoding = "Dv2_x")]\n'
            '#[cfg_attr(sanitizer_cfi_normalize_integers, cfi_encoding = "Dv2_u3i64")]\n'
            '#[repr(transparent)]\npub struct Vector(pub __m128i);\n'
            '#[no_mangle]\npub extern "C" fn one(_a: Vector) {}\n'
            '#[no_mangle]\npub extern "C" fn two(_a: Vector, _p: *const Vector) {}\n')
_C_NEWTYPE = ("typedef long long __m128i __attribute__((__vector_size__(16)));\n"
              "void one(__m128i a);\nvoid two(__m128i a, const __m128i *p);\n")


@needs_rustc
@pytest.mark.rustc
@needs_clang
@pytest.mark.clang
def test_the_suggested_newtype_gets_clangs_id() -> None:
    """core::arch's __m128i is a path to rustc; the cfi_encoding newtype gets clang's ids,
    plain and generalized, always; normalized (the cfg_attr's other encoding) only where no
    substitution follows the vector: clang's element is a candidate of its own, and the
    newtype's encoding one candidate in all."""
    table = _C_NEWTYPE + "void *t[] = { (void *)one, (void *)two };\n"
    theirs = clang_ids(table, X86)
    theirs_normalized = clang_ids(table, X86, normalize=True)
    assert theirs["one"] == ["_ZTSFvDv2_xE", "_ZTSFvDv2_xE.generalized"]
    assert theirs["two"] == ["_ZTSFvDv2_xPKS_E", "_ZTSFvDv2_xPKvE.generalized"]
    assert theirs_normalized["one"][0] == "_ZTSFvDv2_u3i64E.normalized"
    assert theirs_normalized["two"][0] == "_ZTSFvDv2_u3i64PKS0_E.normalized"
    plain = ids_from_ir(rustc_ir(_NEWTYPE, normalize=False))
    assert plain["one"][:2] == theirs["one"] and plain["two"][:2] == theirs["two"]
    normalized = ids_from_ir(rustc_ir(_NEWTYPE, normalize=True))
    assert normalized["one"][2] == theirs_normalized["one"][0]
    assert normalized["two"][2] == "_ZTSFvDv2_u3i64PKS_E.normalized"  # (one candidate short)
    ours = [cfi_typeid.typeids(line, prelude=_C_NEWTYPE.splitlines()[0]).to_json()
            for line in _C_NEWTYPE.splitlines()[1:]]
    assert [o["normalized"] for o in ours] == [theirs_normalized["one"][0],
                                               theirs_normalized["two"][0]]


@needs_rustc
@pytest.mark.rustc
@needs_clang
@pytest.mark.clang
def test_suggest_encoding_of_a_float_vector_matches_everywhere() -> None:
    """A float vector's element is a builtin (no candidate, never normalized): the suggested
    newtype gets all four of clang's ids, repeated or not."""
    from cfi_typeid.crosscheck.suggest import suggest_encoding
    prelude = "typedef float __m128 __attribute__((__vector_size__(16), __aligned__(16)));"
    suggestion = suggest_encoding("__m128", prelude=prelude, name="M128")
    assert suggestion.encoding == "Dv4_f"
    assert "core::arch::x86_64::__m128)" in suggestion.rust_declaration
    rust = ("#![feature(cfi_encoding)]\n" + suggestion.rust_declaration + "\n#[no_mangle]\n"
            'pub extern "C" fn g(_a: M128, _p: *const M128) -> M128 { loop {} }\n')
    c = prelude + "\n__m128 g(__m128 a, const __m128 *p);\nvoid *t = (void *)g;\n"
    theirs = clang_ids(c, X86)["g"] + clang_ids(c, X86, normalize=True)["g"]
    assert sorted(ids_from_ir(rustc_ir(rust))["g"]) == sorted(theirs)


@needs_rustc
@pytest.mark.rustc
def test_core_arch_vectors_are_paths_to_rustc() -> None:
    source = ("use core::arch::x86_64::{__m128, __m128i};\n#[no_mangle]\n"
              'pub extern "C" fn f(_a: __m128i, _b: __m128, _c: __m128i) {}\n')
    ids = ids_from_ir(rustc_ir(source, normalize=False))
    assert ids["f"][0] == ("_ZTSFvu48NtNtNtCsgEmfK2I1SDT_4core9core_arch3x867___m128i"
                           "u47NtNtNtCsgEmfK2I1SDT_4core9core_arch3x866___m128S_E")


def test_no_traceback_for_odd_vector_spellings() -> None:
    for decl in ("void f(int __attribute__((vector_size(16, 2))) x);",
                 "void f(int __attribute__((vector_size(16.0))) x);",
                 "void f(int __attribute__((vector_size(()))) x);",
                 "void f(int __attribute__((vector_size(16) x);",
                 "void f(int __attribute__((vector_size(16), mode(SI))) x);",
                 "void f(int __attribute__((vector_size(16), vector_size(32))) x);",
                 "void f(int * __attribute__((vector_size(16))) p);",
                 "void f(int __attribute__((ext_vector_type(sizeof(struct T)))) x);",
                 "typedef int v4 __attribute__((vector_size(16))); int x = sizeof(v4);",
                 "void f(__cfi_vector_size(16) int x);"):
        try:
            cfi_typeid.typeid(decl)
        except CfiTypeidError:
            pass


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("triple", [X86, ARM, I686, "armv7-unknown-linux-gnueabihf",
                                    "riscv64-unknown-linux-gnu"])
def test_drawn_vector_prototypes_match_clang(triple: str) -> None:
    """Drawn prototypes of vectors, pointers to them (const, volatile) and plain types, in
    drawn spellings: all six fields equal clang's."""
    from hypothesis import strategies as st

    from cfi_typeid.model import Pointer, Qualified, Type
    from cfi_typeid.strategies.c import vector_types
    from cfi_typeid.targets import TARGETS
    from strategies import object_types
    from test_differential_c import drawn_prototypes, mismatches_with_clang

    vector = vector_types(TARGETS[triple])
    part: st.SearchStrategy[Type] = st.one_of(
        vector, vector, vector.map(Pointer),
        vector.map(lambda t: Pointer(Qualified(t, const=True))),
        vector.map(lambda t: Pointer(Qualified(t, volatile=True))), object_types(triple, 1))
    decls = drawn_prototypes(triple, 60, part)
    assert sum("vector_size" in d for d in decls) > 25
    mismatches = mismatches_with_clang(decls, triple)
    assert not mismatches, "\n".join(mismatches[:20])


def prototypes_only(text: str) -> str:
    """``text`` with each function definition's body replaced by ``;`` and ``static
    __inline__`` by ``extern``: the same declarations, with none of the bodies clang-19
    cannot compile (arm_neon.h's __builtin_neon_vcmla_rot90_f64: "cannot compile this
    builtin function yet")."""
    out, depth, start, body = [], 0, 0, -1
    for m in re.finditer(r"[{}]", text):
        if m.group() == "{":
            if depth == 0 and text[:m.start()].rstrip().endswith(")"):
                out.append(text[start:m.start()] + ";")
                body = m.start()
            depth += 1
        else:
            depth -= 1
            if depth == 0 and body >= 0:
                out.append("\n" * text.count("\n", body, m.end()))
                start, body = m.end(), -1
    out.append(text[start:])
    return re.sub(r"\bstatic\s+__inline__\b", "extern", "".join(out))


@needs_clang
@pytest.mark.clang
def test_arm_neon_h_matches_clang(capsys: pytest.CaptureFixture[str]) -> None:
    """clang's arm_neon.h for AArch64 (freestanding: no AArch64 C library here), as
    prototypes: every function clang emits an id for is answered and right."""
    headers = pytest.importorskip("test_c_headers")
    assert CLANG_PATH is not None
    text = subprocess.run([CLANG_PATH, "-target", ARM, "-ffreestanding", "-E", "-x", "c", "-"],
                          input="#include <arm_neon.h>\n", capture_output=True, text=True,
                          check=True).stdout
    result = headers.check_text(prototypes_only(text), "arm_neon.h", target=ARM)
    with capsys.disabled():
        print(f"\narm_neon.h (AArch64): {result.declarations} declarations, clang emits ids "
              f"for {result.clang_functions} functions, we answer {result.functions}, "
              f"{result.right_functions} right; skipped {dict(result.skipped)}")
    assert not result.wrong, "\n".join(result.wrong[:20])
    assert result.right_functions == result.clang_functions > 2000


# ---- clang's intrinsics headers, whole ------------------------------------------------------

INTRINSICS_HEADERS = ["xmmintrin.h", "emmintrin.h", "immintrin.h"]


def _callable(text: str, target: str, names: set[str]) -> set[str]:
    """``names`` less the builtins clang declares in the header (``_mm_sfence``...), whose
    address cannot be taken."""
    assert CLANG_PATH is not None
    ordered = sorted(names)
    source = text + '\n#line 1 "__table__"\n' + "".join(
        f"void *__cfi_t{i} = (void *)&{n};\n" for i, n in enumerate(ordered))
    done = subprocess.run([CLANG_PATH, "-target", target, "-fsyntax-only", "-w", "-x", "c",
                           "-"], input=source, capture_output=True, text=True)
    builtins = {int(n) - 1 for n in re.findall(
        r"__table__:(\d+):\d+: error: builtin functions must be directly called", done.stderr)}
    return {n for i, n in enumerate(ordered) if i not in builtins}


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("header", INTRINSICS_HEADERS)
def test_clangs_intrinsics_headers_match_clang(header: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Every function clang emits an id for (clang -E of the header, thousands of vector
    signatures) is answered, with all four ids right.  Two adjustments to the header
    tests' machinery: builtins are not in the address table, and the AMX functions (which
    immintrin.h defines with a target attribute short of what they inline) are compiled
    with -mamx-int8 (no type id depends on a target feature)."""
    headers = pytest.importorskip("test_c_headers")
    assert CLANG_PATH is not None
    text = subprocess.run([CLANG_PATH, "-E", "-x", "c", "-"], input=f"#include <{header}>\n",
                          capture_output=True, text=True, check=True).stdout
    functions = headers.clang_functions
    monkeypatch.setattr(headers, "clang_functions",
                        lambda t, target=X86: _callable(t, target, functions(t, target)))

    def compile_with_amx(source: str, normalize: bool, target: str) -> tuple[str | None, str]:
        flags = ["-target", target, "-mamx-int8", "-fsanitize=cfi-icall", "-flto",
                 "-fvisibility=hidden"]
        if normalize:
            flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
        done = subprocess.run([CLANG_PATH, *flags, "-S", "-emit-llvm", "-O0", "-w", "-x", "c",
                               "-", "-o", "-"], input=source, capture_output=True, text=True)
        return (done.stdout if done.returncode == 0 else None), done.stderr
    monkeypatch.setattr(headers, "_compile", compile_with_amx)
    result = headers.check_text(text, header)
    with capsys.disabled():
        print(f"\n{header}: {result.declarations} declarations, clang emits ids for "
              f"{result.clang_functions} functions, we answer {result.functions}, "
              f"{result.right_functions} right; skipped {dict(result.skipped)}")
    assert not result.wrong, "\n".join(result.wrong[:20])
    assert result.right_functions == result.clang_functions > 500
