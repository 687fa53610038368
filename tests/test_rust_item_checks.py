"""The items rustc refuses whether used or not, and the types it refuses in signatures
(``cfi_typeid/rust/item_checks.py``), each compiled alone by rustc 1.95: we refuse exactly
what rustc refuses (with the item's line and column) and answer what it accepts with its ids
(issue 17's Rust mutants: a self-naming alias, ``const N`` defined twice, ``str`` by value in a
tuple, the errors of unused items)."""

from __future__ import annotations

import re

import pytest

from cfi_typeid import api
from cfi_typeid.errors import CfiTypeidError
from cfi_typeid.rust.crates import disambiguators_from_ir
from conftest import needs_rustc
from oracles import ids_from_ir, rustc_ir

HEAD = "#![allow(warnings)]\n#![feature(extern_types)]\n"

#: (prelude, the function asked for, rustc's error code or None when it accepts)
CASES = [
    # a self-naming alias, and a cycle of aliases, generic or not: refused unused
    ("pub type A = A;", "pub fn f()", "E0391"),
    ("pub type A = (u8, B); pub type B = [A; 2];", "pub fn f()", "E0391"),
    ("pub type W<T> = W<T>;", "pub fn f()", "E0391"),
    ("pub type A = (u8, Option<A>);", "pub fn f(_: u8)", "E0391"),
    # ... but what is inside an unused alias is not checked
    ("pub type B = [u8; 1 << 64];", "pub fn f()", None),
    ("pub type T = (str, u8);", "pub fn f()", None),
    ("pub struct S<T>(T); pub type Y = S<str>;", "pub fn f()", None),
    ("pub type B = [u8; 1 << 64];", "pub fn f(_: B)", "E0080"),
    ("pub type T = (str, u8);", "pub fn f(_: &T)", "E0277"),
    # a name defined twice in the value namespace
    ("pub const N: usize = 2; pub const N: usize = 3;", "pub fn f()", "E0428"),
    ("pub const N: usize = 2; pub struct N;", "pub fn f()", "E0428"),
    ("pub const N: usize = 2; pub struct N(u8);", "pub fn f()", "E0428"),
    ("pub const N: usize = 2; pub fn N() {}", "pub fn f()", "E0428"),
    ("pub struct N; pub fn N() {}", "pub fn f()", "E0428"),
    ("pub fn g() {} pub fn g() {}", "pub fn f()", "E0428"),
    ("pub const N: usize = 2; pub struct N { x: u8 }", "pub fn f(_: [u8; N])", None),
    ("pub fn f2() {} pub mod m { pub fn f2() {} }", "pub fn f()", None),
    # unsized types: a tuple's elements but the last, slices, arrays, Option's argument
    ("", "pub fn f(_: (u8, str))", "E0277"),
    ("", "pub fn f(_: &(u8, str))", None),
    ("", "pub fn f(_: &(str, u8))", "E0277"),
    ("", "pub fn f(_: *const (str, u8))", "E0277"),
    ("", "pub fn f(_: fn((u8, str)))", None),
    ("", "pub fn f(_: fn(str))", None),
    ("", "pub fn f(_: fn(&(str, u8)))", "E0277"),
    ("", "pub fn f(_: &[str])", "E0277"),
    ("", "pub fn f(_: *const [[u8]; 2])", "E0277"),
    ("", "pub fn f(_: &Option<[u8]>)", "E0277"),
    ("", "pub fn f(_: Box<(str, u8)>)", "E0277"),
    ("", "pub fn f(_: &Box<str>)", None),
    ("", "pub fn f(_: str)", "E0277"),
    ("", "pub fn f(_: [u8])", "E0277"),
    ("", "pub fn f(_: dyn Send)", "E0277"),
    ("", "pub fn f() -> str", "E0277"),
    ('extern "C" { pub type F; }', "pub fn f(_: &[F])", "E0277"),
    ('extern "C" { pub type F; }', "pub fn f(_: F)", "E0277"),
    ("pub struct S(u8, str);", "pub fn f(_: &S)", None),
    ("pub struct S(u8, str);", "pub fn f(_: S)", "E0277"),
    ("pub struct P<T: ?Sized>(u8, T);", "pub fn f(_: &P<[u16]>)", None),
    ("pub struct P<T>(u8, T);", "pub fn f(_: &P<[u16]>)", "E0277"),
    # unused items rustc refuses
    ("pub struct S(str, u8);", "pub fn f()", "E0277"),
    ("pub enum E { A(str) }", "pub fn f()", "E0277"),
    ("pub fn g(_: (u8, str)) {}", "pub fn f()", "E0277"),
    ("pub struct R(R);", "pub fn f()", "E0072"),
    ("pub struct R(u8, Option<R>);", "pub fn f()", "E0072"),
    ("pub enum E { A(u8), B(E) }", "pub fn f()", "E0072"),
    ("pub struct R(u8, Box<R>);", "pub fn f(_: &R)", None),
    ("#[repr(transparent)] pub struct T2(u8, u16);", "pub fn f()", "E0690"),
    ("#[repr(transparent)] pub struct T3<T>(T, u8);", "pub fn f()", "E0690"),
    ("#[repr(transparent)] pub struct T4(u8, ());", "pub fn f(_: T4)", None),
    ("#[repr(C, u8)] pub struct P(u8);", "pub fn f()", "E0517"),
    ("#[repr(u8)] pub union U { a: u8 }", "pub fn f()", "E0517"),
    ("pub union E {}", "pub fn f()", "unions cannot have zero fields"),
    ("pub const M: usize = 0 - 1;", "pub fn f()", "E0080"),
    ("pub const M: u8 = 255 + 1;", "pub fn f()", "E0080"),
    ("pub const M: i32 = 1 / 0;", "pub fn f()", "E0080"),
    ("pub struct S([u8; 0 - 1]);", "pub fn f()", "E0080"),
    ("pub fn g(_: &[u8; 0 - 1]) {}", "pub fn f()", "E0080"),
    ("pub const M: usize = 4 - 1;", "pub fn f(_: [u8; M])", None),
    # undeclared lifetimes, in the function, a struct, an alias, unused or not
    ("", "pub fn f(_: &'zz u8)", "E0261"),
    ("", "pub fn f<'a>(_: &'a u8, _: Option<&'b u8>)", "E0261"),
    ("", "pub fn f(_: for<'a> fn(&'a u8) -> &'a u8)", None),
    ("", "pub fn f(_: &dyn for<'a> Fn(&'a u8))", None),
    ("pub struct S<'a>(&'a u8, &'zz u8);", "pub fn f()", "E0261"),
    ("pub type T = &'zz u8;", "pub fn f()", "E0261"),
    ("pub fn g(_: &'zz u8) {}", "pub fn f()", "E0261"),
    # values larger than the target's object-size bound, passed by value
    ("", "pub fn f(_: [u8; 18446744073709551614])", "too big for the target architecture"),
    ("", "pub fn f(_: [[u64; 1 << 40]; 1 << 40])", "too big for the target architecture"),
    ("", "pub fn f(_: &[[u64; 1 << 40]; 1 << 40])", None),
    ("", "pub fn f() -> ([u8; 1 << 62], u8)", "too big for the target architecture"),
    ("pub struct S([u8; 1 << 62]);", "pub fn f(_: &S)", None),
    ("pub fn g(_: [u8; 1 << 62]) {}", "pub fn f()", "too big for the target architecture"),
]


def _rustc(prelude: str, decl: str) -> str:
    """rustc's first error for the crate, or "" when it compiles."""
    body = "" if decl.rstrip().endswith("}") else " { loop {} }"
    try:
        rustc_ir(HEAD + prelude + "\n" + decl + body)
    except RuntimeError as e:
        return next((line for line in str(e).splitlines() if line.startswith("error")), str(e))
    return ""


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("prelude,decl,code", CASES)
def test_refused_exactly_where_rustc_refuses(prelude: str, decl: str, code: str | None) -> None:
    theirs = _rustc(prelude, decl)
    if code is None:
        assert theirs == "", (prelude, decl, theirs)
    else:
        assert code in theirs, (prelude, decl, theirs)
    try:
        ours = api.typeid(decl, lang="rust", prelude=HEAD + prelude,
                          crates={"probe": "sXXId2UFtzX_", "core": "sgEmfK2I1SDT_",
                                  "alloc": "slNYArtu3iFW_"})
    except CfiTypeidError as e:
        assert code is not None, (prelude, decl, str(e))
        assert re.search(r":\d+:\d+: error: ", str(e)), str(e)  # the item's line and column
        return
    assert code is None, (prelude, decl, ours, theirs)


@needs_rustc
@pytest.mark.rustc
def test_accepted_cases_have_rustcs_ids() -> None:
    accepted = [(p, d) for p, d, code in CASES if code is None]
    for prelude, decl in accepted:
        body = "" if decl.rstrip().endswith("}") else " { loop {} }"
        ir = rustc_ir(HEAD + prelude + "\n" + decl + body, extra=["-Clink-dead-code"])
        ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
        theirs = next(v for k, v in ids.items() if k.endswith("1f"))
        got = api.typeids(decl, lang="rust", prelude=HEAD + prelude, crates=crates)
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        assert ours == theirs, (prelude, decl, ours, theirs)


@needs_rustc
@pytest.mark.rustc
def test_bounded_rust_mutant_fuzz_finds_no_difference() -> None:
    """``fuzz --lang rust --mutants``: each drawn signature with one change rustc may refuse
    (``RUST_TYPE_MUTATIONS``, ``RUST_ITEM_MUTATIONS``), compiled one at a time on every
    target: we refuse exactly what rustc refuses (seed 11 found 14 differences before the
    checks above)."""
    import io

    from cfi_typeid.cli.fuzz_differential import run_differential
    from cfi_typeid.strategies import FIELDS

    out = io.StringIO()
    assert run_differential("rust", 120, 11, None, None, FIELDS, 10, out, mutants=True) == 0, \
        out.getvalue()
