"""decode: the ids of FACTS.md back to models, flavours, suffixes, renderings, and errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cfi_typeid import DecodeError, decode, decode_typeid
from cfi_typeid.codes import seq_id
from cfi_typeid.errors import NotExpressibleError
from cfi_typeid.model import (
    STATIC, VOID, Array, CInt, CInteger, Encoded, FixedInt, FixedInteger, FunctionType,
    Lifetime, Named,
    PathSegment, Pointer, Primitive, Qualified, Reference, RustPath, Scalar, Slice, Tuple,
)
from cfi_typeid.itanium.render_decoded import render_as_c, render_as_rust
from cfi_typeid.rust.render import render_rust_signature
from conftest import needs_rustc
from oracles import ids_from_ir, rustc_ir

LONG, INT, CHAR = CInteger(CInt.LONG), CInteger(CInt.INT), CInteger(CInt.CHAR)
I32, I64, U8 = FixedInteger(FixedInt.I32), FixedInteger(FixedInt.I64), FixedInteger(FixedInt.U8)
PROBE = "sXXId2UFtzX_"
CORE = "sgEmfK2I1SDT_"


@pytest.mark.parametrize(("typeid", "flavour", "fn"), [
    ("_ZTSFvlE", "clang", FunctionType(VOID, (LONG,))),
    ("_ZTSFvPFvlElE", "clang", FunctionType(VOID, (Pointer(FunctionType(VOID, (LONG,))), LONG))),
    ("_ZTSFiE", "clang", FunctionType(INT, prototyped=False)),
    ("_ZTSFivE", "clang", FunctionType(INT)),
    ("_ZTSF1SS_cE", "clang", FunctionType(Named("S"), (Named("S"), CHAR))),
    ("_ZTSFvPA4_iizE", "clang", FunctionType(VOID, (Pointer(Array(INT, 4)), INT), True)),
    ("_ZTSFPFviEiS0_E", "clang",
     FunctionType(Pointer(FunctionType(VOID, (INT,))), (INT, Pointer(FunctionType(VOID, (INT,)))))),
    ("_ZTSFKivE", "clang", FunctionType(Qualified(INT, const=True))),
    ("_ZTSFvu3i64E", "rustc", FunctionType(VOID, (I64,))),
    ("_ZTSFvPKA4u3i32E", "rustc",
     FunctionType(VOID, (Pointer(Qualified(Array(I32, 4), const=True)),))),
    ("_ZTSFu3i32S_zE", "rustc", FunctionType(I32, (I32,), True)),
    ("_ZTSFvu3refIu3strEE", "rustc", FunctionType(VOID, (Reference(Primitive(Scalar.STR)),))),
    ("_ZTSFvu3refIu5sliceIu2u8EEE", "rustc", FunctionType(VOID, (Reference(Slice(U8)),))),
    ("_ZTSFvu5tupleIu3i32u2u8EE", "rustc", FunctionType(VOID, (Tuple((I32, U8)),))),
    ("_ZTSFvU3mutu3refIu3i32EE", "rustc", FunctionType(VOID, (Reference(I32, True),))),
])
def test_facts_ids_decode(typeid: str, flavour: str, fn: FunctionType) -> None:
    decoded = decode_typeid(typeid)
    assert decoded.function == fn
    assert decoded.flavour.name == flavour


def test_rust_paths_with_disambiguators_and_arguments() -> None:
    pt = RustPath("probe", PROBE, (PathSegment("t", "Pt"),))
    option = RustPath("core", CORE, (PathSegment("t", "option"), PathSegment("t", "Option")),
                      (Reference(pt),))
    assert decode(f"_ZTSFvu37NtNtCs{CORE[1:]}4core6option6OptionIu3refIu24NtCs{PROBE[1:]}"
                  "5probe2PtEEE") == FunctionType(VOID, (option,))


def test_suffixes_and_salt() -> None:
    d = decode_typeid("_ZTSFvu3i64E.mysalt.normalized.generalized")
    assert (d.salt, d.suffixes) == ("mysalt", ("normalized", "generalized"))
    assert d.flavour.name == "clang"  # fixed-width ints are no evidence under .normalized
    assert decode_typeid("_ZTSFvlE").suffixes == ()


def test_generalized_ids_decode_to_generalized_types() -> None:
    assert decode("_ZTSFPviS_E.generalized") == FunctionType(Pointer(VOID), (INT, Pointer(VOID)))
    # rustc's generalised function pointer is PKv: a pointer to const void
    d = decode_typeid("_ZTSFvPKvu3refIvEE.generalized")
    assert d.flavour.name == "rustc"
    assert d.function.params == (Pointer(Qualified(VOID, const=True)),
                                 Reference(VOID, False, STATIC))


def test_substitution_numbering_differs_around_function_pointers() -> None:
    clang = decode_typeid("_ZTSFvPFvvES0_E")  # S_ = FvvE, S0_ = PFvvE
    rustc = decode_typeid("_ZTSFvPFvvES_S_E")  # S_ = PFvvE
    fp = Pointer(FunctionType(VOID))
    assert clang.flavour.name == "clang" and clang.function.params == (fp, fp)
    assert rustc.flavour.name == "rustc" and len(rustc.function.params) == 3
    # both numberings read this one; C shows clang's reading, Rust rustc's
    both = decode_typeid("_ZTSFvPFvvEPdS0_S0_E")
    assert both.alternative is not None and both.flavour.name == "clang"
    assert render_as_c(both).decl == "void f(void (*)(void), double *, void (*)(void), " \
        "void (*)(void));"
    assert render_as_rust(both)[0].decl == \
        'extern "C" fn(extern "C" fn(), *mut f64, *mut f64, *mut f64)'


def test_forced_flavour() -> None:
    assert decode("_ZTSFvPFvvEPdS0_S0_E", flavour="rustc").params[2] == Pointer(
        Primitive(Scalar.DOUBLE))
    with pytest.raises(DecodeError):
        decode("_ZTSFvPA4_iE", flavour="rustc")


def test_references_in_function_pointers_get_distinct_lifetimes() -> None:
    # rustc spells &u8 out twice in fn(&u8, &u8): two bound lifetimes
    fn = decode("_ZTSFvPFvu3refIu2u8Eu3refIS_EEE")
    inner = fn.params[0]
    assert isinstance(inner, Pointer) and isinstance(inner.pointee, FunctionType)
    a, b = inner.pointee.params
    assert isinstance(a, Reference) and isinstance(b, Reference)
    assert (a.lifetime, b.lifetime) == (Lifetime(0, 0), Lifetime(0, 1))


def test_function_pointers_spelled_twice_differ_in_abi() -> None:
    fn = decode("_ZTSFvPFvvEPFvvEE", flavour="rustc")
    a, b = fn.params
    assert a != b
    assert isinstance(a, Pointer) and isinstance(b, Pointer)
    assert isinstance(b.pointee, FunctionType) and b.pointee.abi == "Rust"
    assert render_rust_signature(fn).decl == 'extern "C" fn(extern "C" fn(), fn())'


DISTINCT_NAMES = [
    # two repr(C) structs S2 (S2 and s2_1::S2), each spelled 2S2; a Bar; S0_ is the second S2
    ("_ZTSFv2S2u3refI2S2EU3mutu3refIP3BarEu5isizeE", (Named("S2"), Named("S2", instance=1))),
    ("_ZTSFv2S2u3refI2S2E2S2PS0_E",
     (Named("S2"), Named("S2", instance=1), Named("S2", instance=2))),
    # a cfi_encoding spelled like i64 (or like another cfi_encoding) is another type
    ("_ZTSFvu3i64u3i64S0_S_E", (I64, Encoded("u3i64"))),
    ("_ZTSFvu3Foou3FooS0_E", (Encoded("u3Foo"), Encoded("u3Foo", instance=1))),
    ("_ZTSFv2S2P2S2E", (Named("S2"), Named("S2", instance=1))),
]


@pytest.mark.parametrize(("typeid", "types"), DISTINCT_NAMES)
def test_a_name_spelled_again_is_another_type(typeid: str, types: tuple[object, ...]) -> None:
    """An encoder substitutes a type it has seen, so a spelling repeated without a
    substitution names a different type: the decoder makes it another ``instance``."""
    from cfi_typeid.itanium.render_decoded import reencoded
    decoded = decode_typeid(typeid)
    assert decoded.flavour.name == "rustc"  # C cannot declare two types of one name
    assert reencoded(decoded, decoded.flavour) == typeid
    found: list[object] = []

    def walk(t: object) -> None:
        if t in types and t not in found:
            found.append(t)
        for child in getattr(t, "__slots__", ()):
            value = getattr(t, child)
            for v in value if isinstance(value, tuple) else (value,):
                walk(v)
    walk(decoded.function)
    assert found == list(types)


def test_builtin_codes_repeat_without_instances() -> None:
    # builtin codes are never candidates, so 'll' is one type twice (even for rustc, whose
    # cfi_encoding "l" stays out of its dictionary)
    assert decode("_ZTSFvllE", flavour="rustc").params == (LONG, LONG)
    assert decode("_ZTSFv1SS_E", flavour="rustc").params == (Named("S"), Named("S"))


def test_names_spelled_twice_render_as_two_types() -> None:
    with pytest.raises(NotExpressibleError, match="two different types 'S2'"):
        render_as_c(decode_typeid("_ZTSFv2S2P2S2E"))
    rust, note = render_as_rust(decode_typeid("_ZTSFv2S2P2S2E"))
    assert note is None and rust.params == ("S2", "*mut s2_1::S2")
    assert "pub mod s2_1 { #[repr(C)] pub struct S2(pub u8); }" in rust.prelude


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("typeid", [t for t, _ in DISTINCT_NAMES])
def test_names_spelled_twice_compile_back_with_rustc(typeid: str) -> None:
    rust, _ = render_as_rust(decode_typeid(typeid))
    ir = rustc_ir(rust.prelude + "\n" + rust.item("f"), crate=rust.crate)
    assert typeid in ids_from_ir(ir)["f"]


@pytest.mark.parametrize(("typeid", "offset", "words"), [
    ("_ZTSFvS_E", 6, "refers to candidate 0"),
    ("_ZTSFvlEx", 8, "trailing"),
    ("_ZTSFvl", 7, "ends here"),
    ("_ZTSFvQE", 6, "unknown type code 'Q'"),
    ("_ZTSFv9abE", 6, "runs past the end"),
    ("_ZTSFvKKiE", 7, "out of order"),
    ("_ZTSFvU3mutiE", 11, "U3mut"),
    ("_ZTSFvu5sliceIEE", 13, "empty argument list"),
    ("_ZTSFvPA4u3i32A4_iE", 16, "no '_'"),
    ("_ZTSFvu6foobarIiEE", 6, "unknown vendor type"),
    ("_ZTSFvlE.", 9, "empty suffix"),
    ("_ZTSx", 4, "expected a function type"),
    ("_ZTSFvu6Nt1a1bE", 10, "expected 'C'"),
])
def test_malformed_ids_raise_positioned_decode_errors(typeid: str, offset: int,
                                                      words: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(typeid)
    assert info.value.offset == offset
    assert words in info.value.message
    lines = str(info.value).split("\n")
    assert lines[-1].index("^") - 2 == offset  # the caret sits under the offset


@pytest.mark.parametrize("text", ["0xbde2bfc8", "-1109213240", "3185753800"])
def test_kcfi_hash_is_explained(text: str) -> None:
    with pytest.raises(DecodeError, match="KCFI hash"):
        decode(text)


def test_deep_nesting_is_a_decode_error_not_recursion() -> None:
    with pytest.raises(DecodeError, match="nested more than"):
        decode("_ZTSFv" + "P" * 100_000 + "iE")
    with pytest.raises(DecodeError, match="nested more than"):
        decode("_ZTSFv" + "u3refI" * 5000 + "i" + "E" * 5000 + "E")


def test_exponential_expansion_is_refused() -> None:
    # each tuple holds the previous one twice: 2^n types in n steps
    text = "_ZTSFvu5tupleIiiE" + "".join(
        f"u5tupleI{seq_id(i)}{seq_id(i)}E" for i in range(40)) + "E"
    with pytest.raises(DecodeError, match="expands to more than"):
        decode(text)


def test_rendering_says_what_a_language_cannot_express() -> None:
    d = decode_typeid("_ZTSFvu3refIu5sliceIu2u8EEE")
    with pytest.raises(NotExpressibleError):
        render_as_c(d)
    assert render_as_rust(d)[0].decl == 'extern "C" fn(&[u8])'
    with pytest.raises(NotExpressibleError, match="unprototyped"):
        render_as_rust(decode_typeid("_ZTSFiE"))
    with pytest.raises(NotExpressibleError, match="volatile"):
        render_as_rust(decode_typeid("_ZTSFvPViE"))


def test_normalized_ids_render_to_c_integers_of_that_size() -> None:
    c = render_as_c(decode_typeid("_ZTSFvu3i64u2u8E.normalized"))
    assert c.decl == "void f(long long, unsigned char);"


def test_rust_rendering_of_c_integers_uses_cfi_encoding() -> None:
    rust, note = render_as_rust(decode_typeid("_ZTSFvlE"))
    assert rust.decl == 'extern "C" fn(c_long)' and note is None
    assert '#[cfi_encoding = "l"]' in rust.prelude


def test_cross_flavour_rendering_notes_the_other_id() -> None:
    rust, note = render_as_rust(decode_typeid("_ZTSFvPA4_iE"))
    assert note is not None and "_ZTSFvPA4iE" in note


# ---- CLI ------------------------------------------------------------------------------------

def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", "decode", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_cli_shows_c_and_rust() -> None:
    out = run("_ZTSFvPFvlElE")
    assert out.returncode == 0
    assert "void f(void (*)(long), long);" in out.stdout
    assert 'extern "C" fn(extern "C" fn(c_long), c_long)' in out.stdout


def test_cli_as_c_and_as_rust() -> None:
    assert run("--as", "c", "_ZTSF1SS_cE").stdout == "struct S;\nstruct S f(struct S, char);\n"
    out = run("--as", "rust", f"_ZTSFvu24NtCs{PROBE[1:]}5probe2PtE")
    assert out.stdout.splitlines()[-1] == f"// --crate probe --crates probe={PROBE}"
    out = run("--as", "c", "_ZTSFvu3refIu3strEE")
    assert out.returncode == 1 and "not expressible in C" in out.stderr


def test_cli_json_and_errors() -> None:
    data = json.loads(run("--json", "_ZTSFvu3refIu3strEE.normalized").stdout)
    assert data["flavour"] == "rustc" and data["suffixes"] == ["normalized"]
    assert "c" not in data and "c" in data["not_expressible"]
    out = run("_ZTSFvlEx")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1] == "  " + " " * 8 + "^"
    out = run("0xbde2bfc8")
    assert out.returncode == 2 and "KCFI hash" in out.stderr


def test_cli_batch() -> None:
    out = run("--batch", stdin="_ZTSFvlE\n\nnonsense\n_ZTSFvu3i64E.normalized\n")
    lines = out.stdout.split("\n")[:-1]
    assert out.returncode == 1 and len(lines) == 4
    first = json.loads(lines[0])
    assert first["c"] == {"prelude": "", "decl": "void f(long);"}
    assert set(first["rust"]) == {"prelude", "decl", "crate", "crates"}
    assert lines[1] == ""
    assert json.loads(lines[2])["error"]["offset"] == 0
    assert json.loads(lines[3])["suffixes"] == ["normalized"]
