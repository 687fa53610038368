"""The Rust front end as a user meets it: the forms of source it reads, positioned errors
(never a traceback), the crate map, the CLI and batch plumbing."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfi_typeid import api
from cfi_typeid.errors import CfiTypeidError, ParseError, UsageError
from conftest import needs_rustc

CRATES = {"probe": "sXXId2UFtzX_", "core": "sgEmfK2I1SDT_"}


def plain(decl: str, prelude: str = "", target: str = "x86_64-unknown-linux-gnu") -> str:
    return api.typeid(decl, lang="rust", prelude=prelude, crates=CRATES, target=target)


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


# ---- what it reads ---------------------------------------------------------------------------

@pytest.mark.parametrize("decl,expected", [
    ('pub unsafe extern "C" fn f<\'a>(a: c_long, p: &\'a mut [u8], args: ...) -> i32 { 0 }',
     "_ZTSFu3i32u3i64U3mutu3refIu5sliceIu2u8EEzE"),
    ("unsafe extern \"C\" fn(i32, ...) -> i32", "_ZTSFu3i32S_zE"),
    ("for<'a> fn(&'a u8)", "_ZTSFvu3refIu2u8EE"),
    ('extern "C" { fn printf(fmt: *const c_char, ...) -> c_int; }', "_ZTSFu3i32PKu2i8zE"),
    ("pub(crate) const fn f(_: u8, mut x: u16, (a, b): (u8, u8)) -> u8 { x as u8 }",
     "_ZTSFu2u8S_u3u16u5tupleIS_S_EE"),
    ("#[inline] pub fn f(a: &str) { let s = \"}\"; /* } */ // }\n }", "_ZTSFvu3refIu3strEE"),
    ("type Cb = extern \"C\" fn(i32) -> i32; Cb", "_ZTSFu3i32S_E"),
    ("use core::ffi::{self, c_long as L}; fn f(a: L, b: ffi::c_int, c: ::std::os::raw::c_char)",
     "_ZTSFvu3i64u3i32u2i8E"),
    ("fn f(a: [u8; N * 2 + 1])", "_ZTSFvA9u2u8E"),
])
def test_reads_source_forms(decl: str, expected: str) -> None:
    prelude = "use core::ffi::{c_char, c_int, c_long};\nconst N: usize = 4;"
    assert plain(decl, prelude) == expected


def test_items_in_the_declaration_and_modules() -> None:
    decl = "mod m { pub mod n { #[derive(Clone)] pub struct S(pub u8); } } fn f(a: &m::n::S)"
    assert plain(decl) == "_ZTSFvu3refIu31NtNtNtCsXXId2UFtzX_5probe1m1n1SEE"
    assert plain("fn f(a: &crate::T)", "pub struct T { x: u8 }") \
        == "_ZTSFvu3refIu23NtCsXXId2UFtzX_5probe1TEE"


def test_impl_and_trait_blocks_are_skipped() -> None:
    prelude = ("#[derive(Clone)] pub struct S(u8);\nimpl S { pub fn new() -> Self { S(0) } }\n"
               "unsafe impl Send for S {}\ntrait T { fn g(&self) -> u8; }\n"
               "impl<X> T for [X; 2] { fn g(&self) -> u8 { 0 } }")
    assert plain("fn f(a: &S)", prelude) == "_ZTSFvu3refIu23NtCsXXId2UFtzX_5probe1SEE"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match="nested more than"):
        plain("fn f(a: " + "&" * 3000 + "u8)")
    assert plain("fn f(a: " + "&" * 50 + "u8)").count("u3refI") == 50


def test_crate_name_and_default() -> None:
    ids = api.typeid("fn f(a: &S)", lang="rust", prelude="pub struct S(u8);", crate="mylib",
                     crates={"mylib": "s7tG482rLwDi_"})
    assert ids == "_ZTSFvu3refIu24NtCs7tG482rLwDi_5mylib1SEE"


def test_prelude_is_read_once_per_batch() -> None:
    from cfi_typeid.rust.frontend import prelude_root
    prelude_root.cache_clear()
    for i in range(5):
        plain(f"fn f(a: [S; {i}])", "#[repr(C)] pub struct S(u8);")
    assert prelude_root.cache_info().misses == 1


def test_grammar_is_package_data() -> None:
    assert files("cfi_typeid.grammar").joinpath("rust.lark").is_file()


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("decl,line,column,message", [
    ("fn f(a: Foo)", 1, 9, "cannot find type 'Foo'"),
    ("fn f(a: u8", 1, 11, "unexpected end of input"),
    ("fn f(\n  a: u8,\n  b: &(dyn Fn(u8) + Fn(u16)),\n)", 3, 21, "only auto traits"),
    ("fn f<T>(a: T)", 1, 5, "generic functions"),
    ('extern "stdcall" fn f()', 1, 21, "not a supported ABI"),
    ('extern "foo" fn f()', 1, 17, "invalid ABI"),
    ("fn(&u8, &u8) -> &u8", 1, 17, "missing lifetime specifier"),
    ("fn f(self)", 1, 6, "only allowed in a method"),
    ("u8", 1, 1, "not a function type"),
    ("", 1, 1, "expected a function item"),
    ("fn f(a: Vec<u8>)", 1, 9, "alloc"),
    ("fn f(a: [u8; N])", 1, 14, "const N"),
    ("fn f(a: u8) { /* x", 1, 15, "unterminated block comment"),
    ("fn f(a: u8, ..., b: u8)", 1, 13, "'...' must be the last"),
    ("struct S(S); fn f(a: S)", 1, 8, "infinite size"),
    ("fn f(a: Option<u8, u8>)", 1, 9, "takes 0 lifetime and 1 type or const arguments"),
    ('#[cfi_encoding = ""] struct E; fn f(a: E)', 1, 3, "empty cfi_encoding"),
    ("fn f(a: S<3>)", 1, 9, "cannot find type"),
    ("struct S<const N: usize>([u8; N]); fn f(a: S<true>)", 1, 46, "not a bool"),
    ("fn f(a: impl Copy)", 1, 9, "impl Trait"),
    ("fn f(x: u8) @", 1, 13, "unexpected character '@'"),
])
def test_bad_input_is_a_positioned_error(decl: str, line: int, column: int,
                                         message: str) -> None:
    with pytest.raises(ParseError) as err:
        plain(decl)
    assert (err.value.line, err.value.column) == (line, column)
    assert message in err.value.message
    assert str(err.value).splitlines()[-1].strip() == "^"


def test_prelude_errors_name_the_prelude() -> None:
    with pytest.raises(ParseError) as err:
        plain("fn f()", "struct S {")
    assert str(err.value).startswith("prelude:1:")


def test_missing_disambiguator_names_the_crate_and_the_remedy() -> None:
    with pytest.raises(UsageError, match=r"crate 'core'.*rust-crates"):
        api.typeid("fn f(a: Option<&u8>)", lang="rust")
    with pytest.raises(UsageError, match=r"crate 'probe'.*--crates probe="):
        api.typeid("fn f(a: &S)", lang="rust", prelude="pub struct S(u8);")
    # no path spelled, no disambiguator needed
    assert api.typeid('extern "C" fn f(a: &S)', lang="rust",
                      prelude="#[repr(C)] pub struct S(u8);") == "_ZTSFvu3refI1SEE"


_TOKENS = st.sampled_from([
    "fn", "f", "(", ")", "a", ":", "u8", "&", "'a", "mut", "*const", "[", "]", ";", "<", ">",
    ",", "->", "!", "extern", '"C"', "unsafe", "for", "struct", "S", "{", "}", "#[repr(C)]",
    "...", "::", "core", "ffi", "c_long", "Option", "_", "dyn", "impl", "=", "type", "3",
    "'static", "pub", "mod", "use", "*", "@", "/*", "//", "\n", '"', "'",
])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(_TOKENS, max_size=24).map(" ".join))
def test_any_text_gives_an_answer_or_our_error(text: str) -> None:
    try:
        api.typeids(text, lang="rust", crates=CRATES)
    except CfiTypeidError:
        pass


# ---- CLI and batch -------------------------------------------------------------------------

def test_cli_encode_rust() -> None:
    out = run("encode", "--lang", "rust", "--crates", "probe=sXXId2UFtzX_,core=sgEmfK2I1SDT_",
              "--prelude", "#[repr(C)] pub struct Pt(i32);", "fn f(a: &Pt, b: Option<&Pt>)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("_ZTSFvu3refIu24NtCsXXId2UFtzX_5probe2PtEu37NtNtCsgEmfK2"
                                  "I1SDT_4core6option6OptionIS0_EE")


def test_cli_shows_why_c_long_does_not_match() -> None:
    c = run("encode", "--kcfi", "void f(long)").stdout
    alias = run("encode", "--lang", "rust", "--kcfi", 'extern "C" fn f(a: std::ffi::c_long)')
    cfi = run("encode", "--lang", "rust", "--kcfi", 'extern "C" fn f(a: core::ffi::cfi::c_long)')
    assert alias.stdout != c and cfi.stdout == c


def test_cli_errors_are_positioned_without_traceback() -> None:
    out = run("encode", "--lang", "rust", "fn f(a: &Foo)")
    assert out.returncode == 2 and "input:1:10: error: cannot find type 'Foo'" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("encode", "--lang", "rust", "--prelude", "pub struct S(u8);", "fn f(a: &S)")
    assert out.returncode == 2 and "crate 'probe'" in out.stderr and "Traceback" not in out.stderr


def test_batch_carries_crate_and_crates() -> None:
    lines = [json.dumps({"decl": "fn f(a: &S)", "lang": "rust", "prelude": "pub struct S(u8);",
                         "crate": "k", "crates": {"k": "s1_"}}),
             json.dumps({"decl": "fn f(a: &S", "lang": "rust"})]
    out = run("batch", stdin="\n".join(lines) + "\n")
    first, second = (json.loads(x) for x in out.stdout.splitlines())
    assert first["typeids"]["plain"] == "_ZTSFvu3refIu10NtCs1_1k1SEE"
    assert second["error"]["column"] == 11 and out.returncode == 1


def test_rust_crates_from_ir(tmp_path: object) -> None:
    from pathlib import Path
    ir = Path(str(tmp_path)) / "x.ll"
    ir.write_text('!7 = !{i64 0, !"_ZTSFvu37NtNtCsgEmfK2I1SDT_4core6option6OptionIu3refIu24NtCs'
                  'XXId2UFtzX_5probe2PtEEE"}\n')
    out = run("rust-crates", "--from-ir", str(ir))
    assert out.stdout.strip() == "core=sgEmfK2I1SDT_,probe=sXXId2UFtzX_"


@needs_rustc
@pytest.mark.rustc
def test_rust_crates_asks_rustc() -> None:
    out = run("rust-crates", "--crate", "probe", "--json")
    crates = json.loads(out.stdout)
    assert set(crates) >= {"probe", "core", "std", "alloc"}
    assert all(v.startswith("s") and v.endswith("_") for v in crates.values())
