"""What rustc refuses in methods and their items, refused here too, and at the same item:
``#[track_caller]`` on a non-Rust ABI (E0737, used or not), ... Each case is compiled alone
by rustc (which must fail with the error code given) and asked of this tool (which must fail
naming the item).  The ids of the cases rustc accepts are compared in
``tests/test_rustc_suite.py`` (``track_caller (ours)``, ui/supertraits.rs, ...)."""

from __future__ import annotations

import pytest

from cfi_typeid import api
from cfi_typeid.errors import CfiTypeidError
from conftest import needs_rustc
from oracles import rustc_ir

CRATES = {"probe": "sXXId2UFtzX_", "core": "sgEmfK2I1SDT_", "alloc": "slNYArtu3iFW_"}

#: (prelude, declaration asked for, rustc's error code, our message)
REFUSED = [
    ("", '#[track_caller] pub extern "C" fn f(x: u8) {}', "E0737", "requires Rust ABI"),
    ("", 'extern "C" { #[track_caller] fn g(); }', "E0737", "requires Rust ABI"),
    ("", '#[track_caller] pub extern "system" fn f(x: u8) {}', "E0737", "requires Rust ABI"),
    # an unused item of the prelude: rustc refuses the crate all the same
    ('#[track_caller] pub extern "C-unwind" fn unused() {}', "pub fn f(x: u8) {}", "E0737",
     "requires Rust ABI"),
    # an impl of a trait defines exactly the trait's associated types
    ("pub trait Tr { type A; fn f(&self) -> Self::A; } pub struct S;",
     "impl Tr for S { fn f(&self) -> Self::A { loop {} } }", "E0046", "missing: 'A'"),
    ("pub trait Tr { fn f(&self); } pub struct S;",
     "impl Tr for S { type B = u8; fn f(&self) {} }", "E0437", "not a member of trait"),
    ("pub trait Tr { type A where Self: Sized; fn f(&self); } pub struct S;",
     "impl Tr for S { fn f(&self) {} }", "E0046", "missing: 'A'"),
    # Self::X names an associated type of the impl's trait
    ("pub trait Tr { type A; fn f(&self) -> u8; } pub struct S;",
     "impl Tr for S { type A = u8; fn f(&self) -> Self::B { loop {} } }", "E0220",
     "cannot find associated type 'B' of Self"),
]


def _rustc_error(source: str) -> str:
    try:
        rustc_ir("#![allow(warnings)]\n" + source, extra=["-Clink-dead-code"])
    except RuntimeError as e:
        return str(e)
    return ""


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("prelude,decl,code,message", REFUSED)
def test_refused_where_rustc_refuses(prelude: str, decl: str, code: str, message: str) -> None:
    assert f"error[{code}]" in _rustc_error(prelude + "\n" + decl), (prelude, decl)
    with pytest.raises(CfiTypeidError, match=message):
        api.typeid(decl, lang="rust", prelude=prelude, crates=CRATES)


DYN_PRELUDE = """\
pub trait G<T> { fn g(&self, x: T) -> T; fn h(self: Box<Self>, y: &[T]); }
pub trait A { type Item; fn next(&mut self) -> Option<Self::Item>; }
pub struct S;
impl G<u16> for S { fn g(&self, x: u16) -> u16 { x } fn h(self: Box<Self>, _: &[u16]) {} }
"""
#: caller (compiled) -> the trait block and the trait object the call goes through (asked)
DYN_CALLS = {
    "pub fn c1(a: &(dyn G<u16> + Send)) { a.g(1); }":
        "trait G<T> { fn g(&self, x: T) -> T; } dyn G<u16> + Send",
    "pub fn c2(a: Box<dyn G<u16>>) { a.h(&[]); }":
        "trait G<T> { fn h(self: Box<Self>, y: &[T]); } dyn G<u16>",
    "pub fn c3(a: &mut dyn A<Item = (u8, char)>) { a.next(); }":
        "trait A { type Item; fn next(&mut self) -> Option<Self::Item>; } "
        "dyn A<Item = (u8, char)>",
}


@needs_rustc
@pytest.mark.rustc
def test_trait_methods_through_a_given_trait_object_match_rustcs_call_sites() -> None:
    """A trait block followed by a trait object: the id rustc checks (``llvm.type.test``) at
    a call of the block's last method through that object (its generic arguments and
    associated types from the object, its auto traits dropped)."""
    import re

    from cfi_typeid.rust.crates import disambiguators_from_ir

    src = "#![allow(warnings)]\n" + DYN_PRELUDE + "\n".join(DYN_CALLS) + "\n"
    ir = rustc_ir(src, lto=False, extra=["-Clinker-plugin-lto", "-Clink-dead-code"])
    crates = disambiguators_from_ir(ir)
    for caller, ask in DYN_CALLS.items():
        name = re.search(r"fn (\w+)", caller).group(1)  # type: ignore[union-attr]
        body = re.search(rf"^define[^\n]*{len(name)}{name}[^\n]*\n(.*?)^}}", ir, re.M | re.S)
        assert body, name
        tests = set(re.findall(r'llvm\.type\.test\(ptr %\w+, metadata !"([^"]+)"',
                               body.group(1)))
        got = api.typeids(ask, lang="rust", prelude=DYN_PRELUDE, crates=crates)
        assert tests == {got.normalized}, (ask, tests, got.normalized)


@pytest.mark.parametrize("decl,message", [
    ("trait G<T> { fn g(&self, x: T) -> T; } dyn Send", "not one of 'G'"),
    ("impl G<u16> for S { fn g(&self, x: u16) -> u16 { x } } dyn G<u16>", "end with a trait"),
    ("trait A { type Item; fn next(&mut self) -> Option<Self::Item>; } dyn A",
     "must be specified"),
])
def test_trait_objects_after_a_block_refused(decl: str, message: str) -> None:
    with pytest.raises(CfiTypeidError, match=message):
        api.typeid(decl, lang="rust", prelude=DYN_PRELUDE, crates=CRATES)
