"""Whole Rust files (``scan_rust``, ``rust-file``): the lexical grammar, items skipped and
items refused, constant evaluation, editions, all checked against rustc 1.95 on files that
compile; and inputs nothing may crash on."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfi_typeid.rust.crates import disambiguators_from_ir
from cfi_typeid.rust.lexer import EscapeError, int_value, tokenize, unescape
from cfi_typeid.sources.rust_file import scan_rust

from rust_corpus import RUSTC, truth

needs_rustc = pytest.mark.skipif(RUSTC is None, reason="rustc is not installed")


def _crates(ir: str, crate: str) -> dict[str, str]:
    from cfi_typeid.rust.crates import standard_disambiguators
    crates = dict(standard_disambiguators()[0])
    local = disambiguators_from_ir(ir).get(crate)
    if local:
        crates[crate] = local
    return crates


def agree(text: str, *, edition: str = "2021", crate: str = "probe",
          uses: tuple[str, ...] = ()) -> dict[str, Any]:
    """Compile ``text`` with rustc (its foreign functions referenced) and read it with
    ``scan_rust``: every foreign function rustc gives ids must be answered, and right."""
    ids, ir = truth(text, crate, edition)
    scan = scan_rust(text, edition=edition, crate=crate, crates=_crates(ir, crate), uses=uses)
    ours = {d.symbol: d for d in scan.declarations if d.kind == "function"}
    wanted = {k: v for k, v in ids.items() if not k.startswith(("cfi_typeid_refs", "_R"))}
    missing = sorted(set(wanted) - set(ours))
    assert not missing, (missing, [str(d) for d in scan.diagnostics])
    for symbol, expected in wanted.items():
        t = ours[symbol].typeids
        assert [t.plain, t.generalized, t.normalized, t.normalized_generalized] == expected, \
            symbol
    return {"scan": scan, "answered": len(wanted)}


# ---- the lexical grammar ----------------------------------------------------------------

LEXICAL = r'''#!/usr/bin/env rust-script
//! Inner doc comment.
#![allow(dead_code, unused)]
/* block /* nested */ still comment { */
/** outer block doc with a brace { */
#[doc = r#"e.g. "en0" and a brace {"#]
#[doc = r##"two "# hashes"##]
#[doc = "a string \
         continued on the next line {"]
pub const S: &str = "tab\t nl\n quote\" backslash\\ nul\0 hex\x7f uni\u{1F600} \u{1}";
pub const B: &[u8; 7usize] = b"ab\0\xff\n\"{";
pub const RB: &[u8] = br#"raw "bytes" {"#;
pub const C: char = '{';
pub const CQ: char = '\'';
pub const CU: char = '\u{10FFFF}';
pub const BC: u8 = b'}';
pub const F1: f64 = 0.05;
pub const F2: f64 = 1e-3;
pub const F3: f32 = 2.5E+10f32;
pub const F4: f64 = 1_000.000_1;
pub const F5: f32 = 3f32;
pub const H: u64 = 0xFFFF_FFFFu64;
pub const O: u32 = 0o777;
pub const BIN: u8 = 0b1010_1010;
pub const LEN: usize = 3;
extern "C" {
    /// A doc comment with a brace {
    #[link_name = "\u{1}__isoc99_fscanf"]
    pub fn fscanf(s: *mut u8, fmt: *const i8, ...) -> i32;
    #[doc = r#"}"#]
    pub fn takes_array(a: *const [u8; LEN]) -> *const [i8; 0x10];
    pub fn r#type(r#fn: i32);
}
'''


@needs_rustc
def test_lexical_grammar_against_rustc() -> None:
    result = agree(LEXICAL)
    scan = result["scan"]
    assert result["answered"] == 3 and not scan.diagnostics
    fscanf = next(d for d in scan.declarations if d.name == "fscanf")
    assert fscanf.symbol == "__isoc99_fscanf"


@pytest.mark.parametrize("token, value", [
    (r'"a\tb\n\\\"\0\x41\u{1}\u{1F600}"', "a\tb\n\\\"\0A\x01\U0001F600"),
    ('"line \\\n     continued"', "line continued"),
    (r'b"\xff\x00"', "\xff\x00"),
    ('r#"say "hi""#', 'say "hi"'),
    ('br##"a "# b"##', 'a "# b'),
    (r"'\u{41}'", "A"),
    (r"b'\x80'", "\x80"),
])
def test_unescape(token: str, value: str) -> None:
    assert unescape(token) == value


@pytest.mark.parametrize("token", [r'"\x80"', r'"\u{D800}"', r'"\u{110000}"', r'"\q"',
                                   r'b"\u{41}"', r'"\u{}"', r'"\u{1234567}"'])
def test_unescape_refuses_what_rustc_refuses(token: str) -> None:
    with pytest.raises(EscapeError):
        unescape(token)


def test_int_literals_over_128_bits_are_refused_without_converting() -> None:
    assert int_value("340282366920938463463374607431768211455") == (1 << 128) - 1
    assert int_value("340282366920938463463374607431768211456") is None
    assert int_value("9" * 100_000) is None
    assert int_value("0x" + "f" * 33) is None
    assert int_value("0x_ff_u8") == 255 and int_value("1_000usize") == 1000


def test_bad_escape_is_a_diagnostic_not_a_traceback() -> None:
    scan = scan_rust('extern "C" {\n  #[link_name = "\\u{D800}x"]\n  pub fn f();\n'
                     '  pub fn g();\n}\n')
    assert [d.name for d in scan.declarations] == ["g"]
    assert scan.diagnostics[0].line == 2 and "unicode" in scan.diagnostics[0].message


# ---- items skipped, items refused ---------------------------------------------------------

SKIPPED = r'''
macro_rules! s { ($($i:item)*) => { $($i)* }; }
s! { pub struct FromMacro; }
s! [ pub struct AlsoFromMacro; ];
thread_local!(static X: u8 = 0;);
pub struct Point { pub x: i32, pub y: i32 }
impl Point { pub fn new() -> Point { Point { x: 1, y: 2 } } }
pub trait T { fn m(&self) -> u8 { match 1 { _ => { 2 } } } }
unsafe impl Send for Point {}
pub static ZERO: Point = Point { x: 0, y: 0 };
pub const ORIGIN: Point = Point { x: 0, y: 0 };
#[test] fn test_it() { let _ = "}"; }
#[cfg(test)] mod tests { #[test] fn t() {} }
use std::ffi::c_int;
mod inner {
    use super::*;
    pub type Callback = Option<unsafe extern "C" fn(x: c_int) -> c_int>;
    #[repr(C)] pub struct Ops { pub open: Callback, pub close: unsafe extern "C" fn(), pub n: u8 }
    #[no_mangle] pub unsafe extern "C" fn defined(a: c_int) -> c_int { if a > 0 { 1 } else { 0 } }
}
extern "C" {
    pub fn uses_point(p: *const Point, cb: inner::Callback) -> c_int;
    pub static mut ERRNO: c_int;
}
'''


@needs_rustc
def test_items_we_do_not_need_are_skipped_and_the_rest_is_right() -> None:
    result = agree(SKIPPED)
    scan = result["scan"]
    assert not scan.diagnostics, [str(d) for d in scan.diagnostics]
    by_name = {d.name: d for d in scan.declarations}
    assert set(by_name) == {"Callback", "Ops.open", "Ops.close", "defined", "uses_point"}
    assert by_name["Callback"].kind == "type" and by_name["Ops.open"].kind == "field"
    assert by_name["defined"].module == "inner" and by_name["uses_point"].module == ""
    assert by_name["Ops.open"].typeids == by_name["Callback"].typeids
    ids, _ = truth(SKIPPED, "probe", "2021")
    defined = by_name["defined"].typeids
    assert ids["defined"] == [defined.plain, defined.generalized, defined.normalized,
                              defined.normalized_generalized]


def test_skipped_items_are_counted_by_reason() -> None:
    from cfi_typeid.sources.rust_file import _scan
    _, report = _scan(SKIPPED, "x86_64-unknown-linux-gnu", "x.rs", "2021", "probe", {}, ())
    assert report.skipped == {
        "macro_rules!": 1, "macro invocation": 3, "impl block": 2, "trait": 1, "static": 2,
        "const with a value this tool does not read": 1, "#[test] / #[cfg(test)] item": 2}


def test_a_bad_item_costs_that_item_only() -> None:
    text = ('#[repr(C)] pub struct Ok1 { a: u8 }\n'
            'pub struct Bad { a: u8 b: u8 }\n'
            'extern "C" { pub fn first(p: *const Ok1); pub fn second(p: *const Bad);\n'
            '  pub fn third(x: i32) -> i32 ) ; pub fn fourth(x: i32); }\n'
            'pub fn later(x: u8) -> u8 { x }\n')
    scan = scan_rust(text)
    assert [d.name for d in scan.declarations] == ["first", "fourth", "later"]
    lines = sorted((d.line, d.name) for d in scan.diagnostics if d.name)
    assert lines == [(2, "Bad"), (3, "second"), (4, "third")]
    assert "Bad" in next(d.message for d in scan.diagnostics if d.name == "second")


# ---- constant evaluation ------------------------------------------------------------------

CONSTS = [
    "3usize", "1 << 3", "!0 >> 60", "(1 | 2 | 8) & !2", "0xff ^ 0x0f", "17 % 5 + 10 / 3",
    "(-7i32 / 2) as usize", "(-7i32 % 2 + 2) as usize", "N * 2 - 1", "self::N + 1 - 1",
    "crate::N", "M as usize", "(3 > 2) as usize + (2 >= 3) as usize", "(true as u8) as usize",
    "300i32 as u8 as usize", "-1i64 as u8 as usize", "core::mem::size_of::<c_int>()",
    "::core::mem::size_of::<Pair>()", "core::mem::align_of::<u64>() * 2",
    "core::mem::size_of::<Packed>() + core::mem::size_of::<Aligned>()",
    "core::mem::size_of::<(u8, u32, u16)>()", "core::mem::size_of::<[u16; 3]>()",
    "core::mem::size_of::<Tag>() + core::mem::size_of::<U>()",
    "core::mem::size_of::<*const u8>() + core::mem::size_of::<&[u8]>()",
]
_CONST_PRELUDE = """
use std::ffi::c_int;
pub const N: usize = 4;
pub const M: u32 = 1 << 4;
#[repr(C)] pub struct Pair { pub a: u8, pub b: u32 }
#[repr(C, packed)] pub struct Packed { pub a: u8, pub b: u32 }
#[repr(C, align(16))] pub struct Aligned { pub a: u8 }
#[repr(u16)] pub enum Tag { A, B }
#[repr(C)] pub union U { pub a: u8, pub b: [u16; 3] }
"""


@needs_rustc
def test_constant_lengths_against_rustc() -> None:
    text = _CONST_PRELUDE + 'extern "C" {\n' + "".join(
        f"    pub fn len{i}(a: *const [u8; {e}]);\n" for i, e in enumerate(CONSTS)) + "}\n"
    assert agree(text)["answered"] == len(CONSTS)


@pytest.mark.parametrize("expr, message", [
    ("1usize - 2", "overflow usize"),
    ("BIG * BIG", "in constant 'HUGE'"),
    ("18446744073709551616", "literal out of range for usize"),
    ("1 << 64", "shift by 64"),
    ("1 / 0", "divide by zero"),
    ("M", "expected usize, found u32"),
    ("F", "not an integer"),
    ("-1", "cannot negate"),
    ("S", "was not read"),
    ("9" * 5000, "too large"),
])
def test_constants_rustc_refuses_are_refused(expr: str, message: str) -> None:
    text = ("pub const BIG: usize = 1 << 40; pub const HUGE: usize = BIG * BIG;\n"
            "pub const M: u32 = 3; pub const F: f64 = 0.5;\n"
            "pub const S: Point = Point { x: 1 };\n"
            f'extern "C" {{ pub fn f(a: *const [u8; {expr.replace("BIG * BIG", "HUGE")}]); }}\n')
    scan = scan_rust(text)
    assert not scan.declarations
    assert message in scan.diagnostics[0].message, scan.diagnostics[0].message


@needs_rustc
def test_rustc_refuses_those_too() -> None:
    for expr in ("1usize - 2", "18446744073709551616", "1 << 64", "M"):
        with pytest.raises(RuntimeError):
            truth(f"pub const M: u32 = 3;\nextern \"C\" {{ pub fn f(a: *const [u8; {expr}]); }}",
                  "probe", "2021")


# ---- editions and use ------------------------------------------------------------------------

EDITION_2015 = """
extern crate core;
mod types { pub type c_int = i32; pub type size_t = usize; }
pub use types::*;
pub const LEN: ::size_t = 8;
extern "C" {
    pub fn f(a: ::c_int, b: *const [u8; ::LEN]) -> ::std::os::raw::c_long;
    pub fn g(a: ::core::ffi::c_int) -> ::c_int;
}
"""


@needs_rustc
def test_edition_2015_paths_start_at_the_crate_root() -> None:
    assert agree(EDITION_2015, edition="2015")["answered"] == 2
    scan = scan_rust(EDITION_2015, edition="2021")
    assert len(scan.declarations) == 0 and len(scan.diagnostics) == 2
    scan = scan_rust(EDITION_2015.replace("extern crate core;", ""), edition="2015")
    assert [d.name for d in scan.declarations] == ["f"]  # no `core` in a 2015 root


@needs_rustc
@pytest.mark.parametrize("edition", ["2018", "2021", "2024"])
def test_editions_2018_on_read_crate_and_extern_crates(edition: str) -> None:
    text = ("pub mod types { pub type c_int = i32; }\n"
            'extern "C" { pub fn f(a: crate::types::c_int, b: ::core::ffi::c_long, '
            "c: ::std::os::raw::c_char); }\n")
    if edition == "2024":
        text = text.replace('extern "C"', 'unsafe extern "C"')
    assert agree(text, edition=edition)["answered"] == 1


def test_a_bare_c_int_says_which_use_to_add() -> None:
    scan = scan_rust('extern "C" { pub fn f(a: c_int); }')
    assert "use std::ffi::*" in scan.diagnostics[0].message
    scan = scan_rust('extern "C" { pub fn f(a: c_int); }', uses=("std::ffi::*",))
    assert scan.declarations[0].typeids.plain == "_ZTSFvu3i32E"
    scan = scan_rust('extern "C" { pub fn f(a: c_int); }', uses=("core::ffi::c_int",))
    assert scan.declarations[0].typeids.plain == "_ZTSFvu3i32E"


# ---- no input crashes ----------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.sampled_from(list('{}()[]<>;:,#!"\'r/*\\ \nfnxtemodpubusecr0u8'
                                             '\ud800é')), max_size=120))
def test_any_text_gives_records_or_diagnostics(text: str) -> None:
    scan = scan_rust(text)
    assert all(d.message for d in scan.diagnostics)


def test_tokenize_never_loops_on_anything() -> None:
    for text in ["'", '"', "r#\"", "/*", "b'", "'\\u{", "\\", "#!", "#![", "0x", "1e", "'a"]:
        try:
            tokenize(text)
        except Exception as e:  # noqa: BLE001
            assert type(e).__name__ == "ParseError"


def _cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], input=stdin,
                          capture_output=True, timeout=300)


def test_cli_reads_files_and_reports_bad_ones(tmp_path: Any) -> None:
    good = tmp_path / "good.rs"
    good.write_text('extern "C" { #[link_name = "\\u{1}real"] pub fn f(a: i32); }\n')
    bad = tmp_path / "bad.rs"
    bad.write_bytes(b"extern \"C\" { pub fn g(); }\n\xff\xfe\n")
    proc = _cli("rust-file", "--jsonl", "--crates", "core=x", str(good), str(bad),
                str(tmp_path / "missing.rs"))
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [(x["name"], x["symbol"], x["kind"]) for x in lines] == [("f", "real", "function")]
    assert b"not valid UTF-8" in proc.stderr and b"cannot read" in proc.stderr
    proc = _cli("rust-file", "--json", "-", stdin=b'extern "C" { pub fn h(); }')
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["declarations"][0]["symbol"] == "h"
    assert set(out) == {"declarations", "diagnostics", "crates", "files"}


def test_cli_rustc_and_ir_errors_are_clear(tmp_path: Any) -> None:
    empty = tmp_path / "empty.ll"
    empty.write_text("")
    binary = tmp_path / "binary.ll"
    binary.write_bytes(b"\xff\xfe\x00")
    for args in (["rust-crates", "--rustc", str(tmp_path / "nope")],
                 ["rust-crates", "--rustc", "/bin/true"],
                 ["rust-crates", "--from-ir", str(empty)],
                 ["rust-crates", "--from-ir", str(binary)],
                 ["rust-crates", "--from-ir", str(tmp_path)],
                 ["rust-file", "--rustc", "/bin/false", "-"]):
        proc = _cli(*args)
        assert proc.returncode == 2 and proc.stdout == b"", args
        assert b"Traceback" not in proc.stderr and proc.stderr.strip(), args
