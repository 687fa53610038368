"""Traits, trait objects and const generics against rustc 1.95: each case is a function of one
crate (the prelude's traits and types above it), and all four ids of every case must be
rustc's; the cases rustc encodes in a way this tool cannot know (several associated-type
bindings, ordered by def-path hashes) must be refused, with the reason."""

from __future__ import annotations

import re

import pytest

from cfi_typeid import api
from cfi_typeid.errors import ParseError
from cfi_typeid.rust.crates import disambiguators_from_ir
from conftest import needs_rustc
from oracles import ids_from_ir, rustc_ir

PRELUDE = """\
#![allow(warnings)]
pub trait Trait1 { fn foo(&self); }
pub trait Trait2<T> { fn bar(&self); }
pub trait Trait3<T> { fn baz(&self, _: &T); }
pub trait Trait4<'a, T> { type Output: 'a; fn qux(&self, _: &T) -> Self::Output; }
pub trait Trait5<T, const N: usize> { fn quux(&self, _: &[T; N]); }
pub trait Assoc { type A; type B; fn g(&self) -> u8 { 0 } }
pub trait One { type A; }
pub trait Sub: One {}
pub trait Super<X> { type Out; }
pub trait Derived: Super<u16> {}
pub unsafe trait Marker {}
pub struct Type3;
pub struct Type4;
#[repr(C)] pub struct Pt { pub x: i32 }
pub struct B<const X: bool>;
pub struct I<const X: i32>(u8);
pub struct I8<const X: i8>(u8);
pub struct U<const X: usize>([u8; X]);
pub struct Two<T, const N: usize>([T; N]);
#[repr(transparent)] pub struct Wrap<const N: usize>([u32; N]);
pub mod m { pub trait Inner<T> { type Item; } }
pub trait Gt<T> { fn g(&self, t: T); }
pub trait Sup<T> { type O; }
pub trait Der: Sup<u8> {}
#[repr(transparent)] pub struct W<'a>(pub &'a dyn Trait1);
#[repr(transparent)] pub struct BoxW(pub Box<dyn Fn(u8) -> u8>);
"""
CASES = [
    "fn c0(_: &dyn Send)",
    "fn c1(_: &dyn Send, _: &dyn Send)",
    "fn c2(_: &(dyn Send + Sync), _: &(dyn Sync + Send))",
    "fn c3(_: &(dyn Trait1 + Send + Sync))",
    "fn c4(_: &dyn Trait1, _: &dyn Trait1, _: &mut dyn Trait1)",
    "fn c5(_: &dyn Trait2<i32>)",
    "fn c6(_: &dyn Trait3<Type3>, _: &dyn Trait3<Type3>)",
    "fn c7<'a>(_: &dyn Trait4<'a, Type4, Output = &'a i32>)",
    "fn c8(_: &dyn Trait5<Type3, 32>)",
    "fn c9(_: &dyn Fn(i32) -> i32)",
    "fn c10(_: &mut dyn FnMut(&u8) -> &u8)",
    "fn c11(_: Box<dyn FnOnce() + Send>)",
    "fn c12(_: &mut dyn Iterator<Item = u8>)",
    "fn c13(_: *const dyn Trait1, _: *mut (dyn Trait1 + Unpin))",
    "fn c14(_: fn(&dyn Fn(&u8)), _: for<'a> fn(&'a (dyn Trait1 + 'a)))",
    "fn c15(_: &(dyn Trait1 + std::panic::UnwindSafe + Sync + Send + std::panic::RefUnwindSafe))",
    "fn c16(_: &dyn Sub<A = u8>)",
    "fn c17(_: &dyn Derived<Out = i64>)",
    "fn c18(_: Box<dyn Trait2<Pt>>, _: Box<u8>)",
    'extern "C" fn c19(_: &dyn Trait2<Pt>, _: Pt)',
    "fn c20(_: &dyn m::Inner<u32, Item = ()>)",
    "fn c21(_: Option<&dyn Trait1>, _: &[&dyn Send])",
    "fn c22(_: &(dyn Trait1 + 'static), _: &'static dyn Marker)",
    "fn c23(_: B<true>, _: B<false>, _: B<true>)",
    "fn c24(_: I<-5>, _: I<7>, _: I8<-128>, _: I8<{ 3 + 4 }>)",
    "fn c25(_: &U<3>, _: U<0>)",
    "fn c26(_: Two<u16, 2>, _: &Two<(), 5>)",
    "fn c27(_: Wrap<4>, _: Wrap<0>)",
    "fn c28(_: &dyn Fn(u8, &str) -> Option<u8>)",
    "fn c29(_: W, _: BoxW)",
    "fn c30<'a>(_: &'a mut (dyn Trait1 + 'a), _: for<'b> fn(&'b (dyn Trait1 + 'b)) -> &'b u8)",
    'extern "C" fn c31(_: Box<dyn Gt<Pt>>, _: &dyn Gt<Pt>, _: Pt)',
    "fn c32(_: Option<Box<dyn Fn()>>, _: &[Box<dyn Trait1 + Send>])",
    "fn c33(_: &dyn Der<O = i8>, _: &dyn Gt<&'static str>)",
    "fn c34(_: &dyn Fn(&dyn Trait1) -> bool, _: &dyn FnOnce(usize, char) -> (u8, bool))",
    "fn c35(_: *mut dyn FnMut(&mut [u8]), _: &(dyn Sync))",
    "fn c36(_: fn(&dyn Fn(&u8) -> &u8, &u16))",
    "fn c37(_: &dyn Gt<fn(&u8)>, _: &dyn Gt<core::ffi::c_long>)",
]
#: Generic functions and the instantiation asked for (rustc makes it by taking its address).
GENERIC = {
    "pub fn gen_one<T>(x: T, y: &[T]) -> T { loop {} }": ("gen_one::<i32>", "fn(i32, &[i32]) -> i32"),
    "pub fn gen_two<T, const N: usize>(x: [T; N], b: bool) {}": ("gen_two::<u8, 4>",
                                                                 "fn([u8; 4], bool)"),
    "pub fn gen_three<'a, T: Copy>(x: &'a T) {}": ("gen_three::<&'static str>", "fn(&&'static str)"),
    "pub fn gen_four<T: ?Sized>(x: &T, y: &dyn Trait2<u8>) {}": ("gen_four::<dyn Trait1>",
                                                                 "fn(&(dyn Trait1 + 'static), &dyn Trait2<u8>)"),
    "pub fn gen_five<const V: bool, T>(x: B<V>, y: T) {}": ("gen_five::<true, Pt>",
                                                           "fn(B<true>, Pt)"),
}
REFUSED = {
    "fn r0(_: &dyn Assoc<B = u8, A = u16>)": "def-path hashes",
}


def _crate(cases: list[str]) -> str:
    return PRELUDE + "".join(f"#[no_mangle] pub {c} {{ loop {{}} }}\n" for c in cases)


def _name(case: str) -> str:
    found = re.search(r"fn (\w+)", case)
    assert found is not None
    return found.group(1)


@needs_rustc
@pytest.mark.rustc
def test_traits_objects_and_const_generics_match_rustc() -> None:
    ir = rustc_ir(_crate(CASES + list(REFUSED)))
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    wrong = []
    for case in CASES:
        got = api.typeids(case, lang="rust", prelude=PRELUDE, crates=crates)
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        if ours != ids[_name(case)]:
            wrong.append(f"{case}\n  rustc {ids[_name(case)]}\n  ours  {ours}")
    assert not wrong, "\n".join(wrong)


@needs_rustc
@pytest.mark.rustc
def test_generic_functions_at_the_arguments_given_match_rustc() -> None:
    source = PRELUDE + "".join(f"{fn}\n" for fn in GENERIC) + "".join(
        f"pub static USE{i}: {ty} = {inst};\n" for i, (inst, ty) in enumerate(GENERIC.values()))
    ir = rustc_ir(source)
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    for fn, (inst, _) in GENERIC.items():
        name = inst.split("::")[0]
        symbol = next(k for k in ids if f"{len(name)}{name}" in k)
        got = api.typeids(f"{fn} {inst}", lang="rust", prelude=PRELUDE, crates=crates)
        assert [got.plain, got.generalized, got.normalized, got.normalized_generalized] \
            == ids[symbol], fn


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_only_rustc_knows_is_refused(case: str) -> None:
    with pytest.raises(ParseError, match=REFUSED[case]):
        api.typeid(case, lang="rust", prelude=PRELUDE, crates={"probe": "x", "core": "y"})


@pytest.mark.parametrize("case,message", [
    ("fn f(_: &(dyn Trait1 + Trait2<u8>))", "only auto traits"),
    ("fn f(_: &dyn Trait9)", "cannot find type"),
    ("fn f(_: &dyn Pt)", "expected a trait"),
    ("fn f(_: &dyn Trait1<Item = u8>)", "no associated type"),
    ("fn f(_: Trait1)", "found trait"),
    ("fn f(_: &dyn Sub)", "associated type 'A' .* must be specified"),
    ("fn f(_: B<3>)", "expected a constant|is not a bool|bool const"),
    ("fn f(_: I<true>)", "not a bool"),
    ("fn f(_: I8<300>)", "out of range for i8"),  # rustc's words (the constant evaluator)
    ("pub struct C<const X: char>(u8); fn f(_: C<{ 1 }>)", "char const argument"),
])
def test_bad_trait_objects_and_const_arguments(case: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        api.typeid(case, lang="rust", prelude=PRELUDE, crates={"probe": "x", "core": "y"})


METHOD_PRELUDE = """\
#![allow(warnings)]
pub trait Trait1 {
    fn foo(&self);
    fn bar(&mut self, x: u8) -> u8;
    fn baz(self: Box<Self>);
    fn new() -> Self where Self: Sized;
    fn provided(&self, x: &[u16]) -> Option<&u16> { None }
}
pub struct Type1;
pub struct Wide(pub u64, pub u8);
"""
#: (the block, the method's symbol name part, the ask) -- the impl's own methods and the
#: trait's (calls through dyn Trait1)
METHODS = [
    ("impl Type1 { pub fn inherent(&self, y: i32) {} }", "8inherent", None),
    ("impl Wide { pub fn by_value(self, other: &mut Wide) -> Wide { loop {} } }", "8by_value",
     None),
    ("impl Trait1 for Type1 { fn foo(&self) {} fn bar(&mut self, x: u8) -> u8 { x } "
     "fn baz(self: Box<Self>) {} fn new() -> Self { Type1 } }", None, None),
]
ASKS = {  # the decl asked of the tool -> the symbol of the function whose ids it must be among
    "impl Type1 { pub fn inherent(&self, y: i32) {} }": "8inherent",
    "impl Wide { pub fn by_value(self, other: &mut Wide) -> Wide { loop {} } }": "8by_value",
    "impl Trait1 for Type1 { fn foo(&self) {} }": "3foo",
    "impl Trait1 for Type1 { fn bar(&mut self, x: u8) -> u8 { x } }": "3bar",
    "impl Trait1 for Type1 { fn baz(self: Box<Self>) {} }": "3baz",
    "impl Trait1 for Type1 { fn new() -> Self { Type1 } }": "3new",
    "trait Trait1 { fn foo(&self); }": "3foo",
    "trait Trait1 { fn bar(&mut self, x: u8) -> u8; }": "3bar",
    "trait Trait1 { fn baz(self: Box<Self>); }": "3baz",
}


@needs_rustc
@pytest.mark.rustc
def test_methods_match_rustc() -> None:
    """An impl's method gets rustc's id for Self = the type; a trait's method the id rustc
    attaches for calls through dyn Trait1 (the first of the impl method's two)."""
    source = METHOD_PRELUDE + "".join(block + "\n" for block, _, _ in METHODS)
    ir = rustc_ir(source)
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    for ask, symbol in ASKS.items():
        theirs = next(v for k, v in ids.items() if k.endswith(symbol) or f"{symbol}." in k)
        prelude = METHOD_PRELUDE if ask.startswith("impl") else "pub struct Type1;\n"
        got = api.typeids(ask, lang="rust", prelude=prelude, crates=crates)
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        # (rustc's list holds both ids' variants, once each: the generalized ones coincide)
        assert set(ours) <= set(theirs), (ask, ours, theirs)
        assert ("u3dyn" in ours[0]) == ask.startswith("trait"), ours


@pytest.mark.parametrize("case,message", [
    ("fn f(&self)", "only allowed in a method"),
    ("trait Trait1 { fn new() -> Self; }", "cannot be called through a trait object"),
    ("trait G<T> { fn g(&self, t: T); }", "generic"),
    ("trait A { type X; fn g(&self) -> Self::X; }", "only an impl gives"),
    ("impl<T> Trait1 for T { fn foo(&self) {} }", "generic"),
    ("impl Type1 { async fn a(&self) {} }", "async fn"),
])
def test_methods_refused(case: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        api.typeid(case, lang="rust", prelude=METHOD_PRELUDE,
                   crates={"probe": "x", "core": "y", "alloc": "z"})
