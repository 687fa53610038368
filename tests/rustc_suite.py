"""rustc's own CFI type-id tests (rust-lang/rust ``tests/codegen-llvm/sanitizer/cfi/
emit-type-metadata-id-itanium-cxx-abi-*.rs`` and their kin), re-expressed as data: per test
file, the items its functions use and the signatures of its ``fooN`` functions (each type
once, twice and three times, as those files do).  ``tests/test_rustc_suite.py`` compiles each
file's cases with the rustc installed here, which is the truth (the files' FileCheck patterns
are older than rustc 1.95 in places: ``ILb1EE`` for ``BoolHolder<true>``, where rustc 1.95
writes ``ILbtrueE``), and lists the cases this tool refuses, with why.  Also: the
``cfi_encoding`` and generalized/normalized files, ``kcfi/*`` files (``KCFI_SUITE``,
``KCFI_DYN_CALLS``: the ``!kcfi_type`` hashes and the ``"kcfi"`` operand bundles of the call
sites), drop-in-place, and ``tests/ui/sanitizer/cfi`` files that are plain signatures
(``ui/...``).  ``REFUSED_MESSAGES``: refusals checked against the tool's message;
``DIFFERENT``: real encoding differences, recorded and expected to differ.
"""

from __future__ import annotations


def _thrice(types: list[str], start: int = 1) -> list[str]:
    """``fn fooN(_: T)``, ``(_: T, _: T)``, ``(_: T, _: T, _: T)`` for each type."""
    out, n = [], start
    for t in types:
        for k in (1, 2, 3):
            out.append(f"pub fn foo{n}({', '.join(['_: ' + t] * k)})")
            n += 1
    return out


def _pairs(first: str, second: str, start: int) -> list[str]:
    """``(_: A)``, ``(_: A, _: B)``, ``(_: A, _: B, _: B)``, as the pointer-types file does."""
    return [f"pub fn foo{start}(_: {first})", f"pub fn foo{start + 1}(_: {first}, _: {second})",
            f"pub fn foo{start + 2}(_: {first}, _: {second}, _: {second})"]


PRIMITIVE = _thrice(["bool", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32",
                     "u64", "u128", "usize", "f32", "f64", "char", "&str", "f16", "f128"], 10) + [
    "pub fn foo1(_: ())", "pub fn foo2(_: (), _: c_void)", "pub fn foo3(_: (), _: c_void, _: c_void)",
    "pub fn foo4(_: *mut ())", "pub fn foo5(_: *mut (), _: *mut c_void)",
    "pub fn foo6(_: *mut (), _: *mut c_void, _: *mut c_void)", "pub fn foo7(_: *const ())",
    "pub fn foo8(_: *const (), _: *const c_void)",
    "pub fn foo9(_: *const (), _: *const c_void, _: *const c_void)",
]

TRAIT_ITEMS = """\
pub trait Trait1 { fn foo(&self); }
#[derive(Clone, Copy)] pub struct Type1;
impl Trait1 for Type1 { fn foo(&self) {} }
pub trait Trait2<T> { fn bar(&self); }
pub struct Type2;
impl Trait2<i32> for Type2 { fn bar(&self) {} }
pub trait Trait3<T> { fn baz(&self, _: &T); }
pub struct Type3;
impl<T, U> Trait3<U> for T { fn baz(&self, _: &U) {} }
pub trait Trait4<'a, T> { type Output: 'a; fn qux(&self, _: &T) -> Self::Output; }
pub struct Type4;
impl<'a, T, U> Trait4<'a, U> for T { type Output = &'a i32; fn qux(&self, _: &U) -> Self::Output { &0 } }
pub trait Trait5<T, const N: usize> { fn quux(&self, _: &[T; N]); }
#[derive(Copy, Clone)] pub struct Type5;
impl<T, U, const N: usize> Trait5<U, N> for T { fn quux(&self, _: &[U; N]) {} }
"""
#: the generic functions of the trait-types file, at the instantiation its bar16..18 make
TRAIT_GENERIC = {
    "pub fn foo16<T>(_: &dyn Trait2<T>)": "foo16::<i32>",
    "pub fn foo17<T>(_: &dyn Trait2<T>, _: &dyn Trait2<T>)": "foo17::<i32>",
    "pub fn foo18<T>(_: &dyn Trait2<T>, _: &dyn Trait2<T>, _: &dyn Trait2<T>)": "foo18::<i32>",
}

SUITE: dict[str, tuple[str, list[str]]] = {
    "cfi/emit-type-metadata-id-itanium-cxx-abi-primitive-types.rs": (
        "use core::ffi::c_void;\n", PRIMITIVE),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-pointer-types.rs": ("", [
        *_pairs("&mut i32", "&i32", 1), *_pairs("&i32", "&mut i32", 4),
        *_pairs("*mut i32", "*const i32", 7), *_pairs("*const i32", "*mut i32", 10),
        *_thrice(["fn(i32) -> i32"], 13)]),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-function-types.rs": ("", _thrice(
        ["fn(i32) -> i32", "&dyn Fn(i32) -> i32", "&dyn FnMut(i32) -> i32",
         "&dyn FnOnce(i32) -> i32"])),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-sequence-types.rs": ("", _thrice(
        ["(i32, i32)", "[i32; 32]", "&[i32]"])),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-user-defined-types.rs": (
        "pub struct Struct1<T> { member1: T }\npub enum Enum1<T> { Variant1(T) }\n"
        "pub union Union1<T> { member1: std::mem::ManuallyDrop<T> }\n"
        'extern "C" { pub type type1; }\n',
        _thrice(["&Struct1<i32>", "&Enum1<i32>", "&Union1<i32>", "*mut type1"])),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-repr-transparent-types.rs": (
        "use core::ffi::*;\nuse std::marker::PhantomData;\nstruct Foo(i32);\n"
        "#[repr(transparent)] pub struct Type1 { member1: (), member2: PhantomData<i32>, "
        "member3: Foo }\n"
        "#[repr(transparent)] pub struct Type2<'a> { member1: (), member2: PhantomData<i32>, "
        "member3: &'a Type2<'a> }\n"
        "pub struct Bar(i32);\n#[repr(transparent)] pub struct Type3<T>(T);\n"
        "#[repr(transparent)] pub struct Type4(Type4Helper<Type4>);\n"
        "#[repr(transparent)] pub struct Type4Helper<T>(*mut T);\n",
        _thrice(["Type1", "Type2", "Type3<Bar>", "Type4"])),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-trait-types.rs": (TRAIT_ITEMS, [
        *_thrice(["&dyn Send"]), *_thrice(["&(dyn Send + Sync)"], 4)[:1],
        "pub fn foo5(_: &(dyn Send + Sync), _: &(dyn Sync + Send))",
        "pub fn foo6(_: &(dyn Send + Sync), _: &(dyn Sync + Send), _: &(dyn Sync + Send))",
        *_thrice(["&(dyn Trait1 + Send)"], 7),
        "pub fn foo10(_: &(dyn Trait1 + Send + Sync))",
        "pub fn foo11(_: &(dyn Trait1 + Send + Sync), _: &(dyn Trait1 + Sync + Send))",
        "pub fn foo12(_: &(dyn Trait1 + Send + Sync), _: &(dyn Trait1 + Sync + Send), "
        "_: &(dyn Trait1 + Sync + Send))",
        *_thrice(["&dyn Trait1"], 13), *TRAIT_GENERIC,
        *_thrice(["&dyn Trait3<Type3>"], 19),
        *[c.replace("pub fn foo2", "pub fn foo2", 1).replace("(_:", "<'a>(_:", 1)
          for c in _thrice(["&dyn Trait4<'a, Type4, Output = &'a i32>"], 22)],
        *_thrice(["&dyn Trait5<Type5, 32>"], 25)]),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-const-generics.rs": (
        "pub struct BoolHolder<const B: bool>;\npub struct IntHolder<const I: i32>;\n"
        "pub struct CharHolder<const C: char>;\n", [
            "pub fn foo4(_: &BoolHolder<true>)", "pub fn foo5(_: &IntHolder<-1>)",
            "pub fn foo6(_: &CharHolder<'x'>)"]),
    "cfi/emit-type-metadata-id-itanium-cxx-abi-method-secondary-typeid.rs": (
        "pub trait Trait1 { fn foo(&self); }\npub struct Type1;\n", [
            "impl Trait1 for Type1 { fn foo(&self) {} }", "trait Trait1 { fn foo(&self); }"]),
}

#: ``foo``/``bar``/``baz`` of the generalized / normalized files (each takes an ``fn`` pointer of
#: 1..3 ``i32``), plus the pointee signatures their ``llvm.type.test`` / ``"kcfi"`` call sites
#: check (``callee1..3``): the same cases serve every option variant, since rustc emits all
#: four ids per function (and the KCFI test picks the id its flags select).
FN_POINTER_CASES = [
    "pub fn foo(f: fn(i32) -> i32, arg: i32) -> i32",
    "pub fn bar(f: fn(i32, i32) -> i32, arg1: i32, arg2: i32) -> i32",
    "pub fn baz(f: fn(i32, i32, i32) -> i32, arg1: i32, arg2: i32, arg3: i32) -> i32",
    "pub fn callee1(_: i32) -> i32", "pub fn callee2(_: i32, _: i32) -> i32",
    "pub fn callee3(_: i32, _: i32, _: i32) -> i32",
]

CFI_ENCODING_ITEMS = """\
#[cfi_encoding = "3Foo"] pub struct Type1(i32);
extern "C" { #[cfi_encoding = "3Bar"] type Type2; }
#[cfi_encoding = "3Baz"] #[repr(transparent)] pub struct Type3(i32);
#[cfi_encoding = "i"] pub struct Type4(i32);
#[cfi_encoding = "j"] #[repr(transparent)] pub struct Type5(u32);
"""

SUITE.update({
    "cfi/emit-type-metadata-attr-cfi-encoding.rs": (CFI_ENCODING_ITEMS, _thrice(
        ["Type1", "*mut Type2", "*mut Type3", "Type4", "Type5"], 0)),
    "cfi/emit-type-metadata-itanium-cxx-abi-generalized.rs": ("", FN_POINTER_CASES),
    "cfi/emit-type-metadata-itanium-cxx-abi-normalized.rs": ("", FN_POINTER_CASES),
    "cfi/emit-type-metadata-itanium-cxx-abi-normalized-generalized.rs": ("", FN_POINTER_CASES),
})

#: rustc's KCFI files: prelude, cases, and the flags (normalize integers, generalize
#: pointers) the file compiles with; the ``!kcfi_type`` hash of each case and every
#: ``"kcfi"`` operand bundle in the IR are compared with the hash of the id those flags select.
KCFI_SUITE: dict[str, tuple[str, list[str], bool, bool]] = {
    "kcfi/emit-kcfi-operand-bundle-itanium-cxx-abi.rs": ("", FN_POINTER_CASES, False, False),
    "kcfi/emit-kcfi-operand-bundle-itanium-cxx-abi-normalized.rs": (
        "", FN_POINTER_CASES, True, False),
    "kcfi/emit-kcfi-operand-bundle-itanium-cxx-abi-generalized.rs": (
        "", FN_POINTER_CASES, False, True),
    "kcfi/emit-kcfi-operand-bundle-itanium-cxx-abi-normalized-generalized.rs": (
        "", FN_POINTER_CASES, True, True),
}

#: The drop-in-place file: a type with drop glue cast to ``Box<dyn Send>`` in a function
#: body; the glue's id is that of ``fn(&mut dyn Drop)`` (compared in its own test).
DROP_IN_PLACE_ITEMS = """\
pub struct PresentDrop;
impl Drop for PresentDrop { fn drop(&mut self) {} }
pub fn make() -> Box<dyn Send> { Box::new(PresentDrop) }
"""

#: ``tests/ui/sanitizer/cfi`` files whose functions are plain signatures (our own items).
SELF_REF_ITEMS = """\
use std::marker::PhantomData;
pub struct X<T> { _x: u8, p: PhantomData<T> }
#[repr(transparent)] pub struct Y(X<Y>);
pub trait Fooable { fn foo(&self, y: Y); }
pub struct Bar;
"""
SUITE.update({
    "ui/transparent-has-regions.rs": (
        "pub trait Trait {}\nimpl Trait for i32 {}\n"
        "#[repr(transparent)] pub struct BoxedTrait(Box<dyn Trait + 'static>);\n",
        ["pub fn hello(x: BoxedTrait)"]),
    "ui/self-ref.rs": (SELF_REF_ITEMS, [
        "pub fn takes_y(_: Y)", "impl Fooable for Bar { fn foo(&self, _: Y) {} }",
        "trait Fooable { fn foo(&self, y: Y); }"]),
})

FN_PTR_ITEMS = """\
pub trait Foo { fn foo(&self); fn bar(&self); }
pub struct S;
pub struct S2 { f: fn(&S) }
pub trait Trait1 { fn foo(&self); }
pub struct Type1;
"""
SUPERTRAIT_ITEMS = """\
pub trait Parent1 { type P1; fn p1(&self) -> Self::P1; fn d(&self) -> i32 { 42 } }
pub trait Parent2 { type P2; fn p2(&self) -> Self::P2; }
pub trait Child: Parent1 + Parent2 { type C; fn c(&self) -> Self::C; }
pub struct Foo;
"""
RECEIVER_ITEMS = """\
use std::sync::Arc;
pub trait Foo { fn foo(self: Arc<Self>); }
pub struct FooImpl;
pub trait Bar { type T; fn bar(&self) -> Self::T; }
pub struct BarImpl;
"""
SUITE.update({
    "ui/fn-ptr.rs": (FN_PTR_ITEMS, [
        "impl Foo for S { fn foo(&self) {} #[track_caller] fn bar(&self) {} }",
        "impl S2 { pub fn foo(&self, s: &S) {} }",
        "impl Trait1 for Type1 { fn foo(&self) {} }",
        "trait Trait1 { fn foo(&self); }",
        "pub fn takes_fn(_: fn(&S))"]),
    "ui/supertraits.rs": (SUPERTRAIT_ITEMS, [
        "impl Parent1 for Foo { type P1 = u16; fn p1(&self) -> Self::P1 { 1 } }",
        "impl Parent2 for Foo { type P2 = u32; fn p2(&self) -> Self::P2 { 2 } }",
        "impl Child for Foo { type C = u8; fn c(&self) -> Self::C { 0 } }",
        "pub fn takes_child(_: &dyn Child<C = u8, P1 = u16, P2 = u32>)",
        "pub fn takes_parent(_: &dyn Parent1<P1 = u16>)"]),
    "ui/complex-receiver.rs": (RECEIVER_ITEMS, [
        "impl Foo for FooImpl { fn foo(self: Arc<Self>) {} }",
        "trait Foo { fn foo(self: Arc<Self>); }",
        "impl Bar for BarImpl { type T = i32; fn bar(&self) -> Self::T { 7 } }",
        "pub fn takes_bar(_: &dyn Bar<T = i32>)"]),
})

SIZED_ASSOC_ITEMS = """\
pub trait Foo { type Bar<'a> where Self: Sized; fn test(&self); }
"""
SUITE["ui/sized-associated-ty.rs"] = (SIZED_ASSOC_ITEMS, [
    "impl Foo for () { type Bar<'a> = () where Self: Sized; fn test(&self) {} }",
    "trait Foo { type Bar<'a> where Self: Sized; fn test(&self); }",
    "pub fn takes_foo(x: &dyn Foo)"])

#: ``#[track_caller]`` (ours, after ui/fn-ptr.rs's ``bar``): the caller's ``&Location`` is a
#: hidden last argument of free functions, inherent and trait methods; a trait's declaration
#: passes the attribute to its impls and to calls through ``dyn`` (rustc E0737 refuses it on
#: any ABI but Rust's, used or not: ``test_rust_methods.py``).
TRACK_CALLER_ITEMS = """\
pub trait Tc { #[track_caller] fn req(&self, _: u8); }
pub trait Td { fn prov(&self) {} }
pub trait Te { #[track_caller] fn tprov(&self) -> &str { "" } }
pub struct TcS; pub struct TdS; pub struct TeS;
impl Te for TeS {}
"""
SUITE["track_caller (ours)"] = (TRACK_CALLER_ITEMS, [
    "#[track_caller] pub fn tc_free(_: i32, _: &str) -> u8",
    "#[track_caller] pub unsafe extern \"Rust\" fn tc_rust(_: *const u8, _: &u8)",
    "impl TcS { #[track_caller] pub fn tc_inherent(&self, _: u64) {} }",
    "impl Tc for TcS { fn req(&self, _: u8) {} }",
    "trait Tc { #[track_caller] fn req(&self, _: u8); }",
    "impl Td for TdS { #[track_caller] fn prov(&self) {} }",
    "trait Td { fn prov(&self) {} }",
    "trait Te { #[track_caller] fn tprov(&self) -> &str { \"\" } }"])

#: ``Self::X`` in an impl's methods (ours, after ui/supertraits.rs): the impl's ``type X``.
ASSOC_ITEMS = """\
pub trait Ax { type A; type B: Copy; fn g(&self, _: fn(Self::A) -> Self::A, _: &[Self::B]); }
pub trait Bx { type A; fn f(self, _: Self::A) -> Option<Self::A> where Self: Sized; }
pub struct AxS; pub struct BxS;
"""
SUITE["associated types (ours)"] = (ASSOC_ITEMS, [
    "impl Ax for AxS { type A = &'static str; type B = (u8, u16); "
    "fn g(&self, _: fn(Self::A) -> Self::A, _: &[Self::B]) {} }",
    "impl Bx for BxS { type A = *const [Self; 2] where Self: Sized; "
    "fn f(self, _: Self::A) -> Option<Self::A> { loop {} } }"])

#: alloc's ``Arc<T, A = Global>`` and ``Rc<T, A = Global>`` (ours, after ui/complex-receiver.rs).
SMART_ITEMS = """\
use std::sync::Arc;
use std::rc::Rc;
pub trait Ro { fn roo(self: Rc<Self>, _: u8); }
pub struct RoS;
"""
SUITE["Arc and Rc (ours)"] = (SMART_ITEMS, [
    "pub fn arcs(_: Arc<u8>, _: Arc<dyn Ro>, _: Rc<i32>)",
    "pub fn nested(_: Box<Arc<[u8]>>, _: &Rc<str>, _: Option<Arc<Rc<u8>>>)",
    "impl Ro for RoS { fn roo(self: Rc<Self>, _: u8) {} }",
    "trait Ro { fn roo(self: Rc<Self>, _: u8); }"])

#: The KCFI trait-objects file: a method called through a trait object checks the hash of the
#: method's id with ``Self`` as ``dyn Trait``.  Each case (the trait block, asked for through
#: ``dyn``) with the caller rustc compiles (our own, one per trait of ``TRAIT_ITEMS``).
KCFI_DYN_CALLS = {
    "trait Trait1 { fn foo(&self); }": "pub fn call1(a: &dyn Trait1) { a.foo() }",
    "trait Trait2<T> { fn bar(&self); }": "pub fn call2(a: &dyn Trait2<i32>) { a.bar() }",
    "trait Trait3<T> { fn baz(&self, _: &T); }":
        "pub fn call3(a: &dyn Trait3<Type3>) { a.baz(&Type3) }",
    "trait Trait4<'a, T> { type Output: 'a; fn qux(&self, _: &T) -> Self::Output; }":
        "pub fn call4<'a>(a: &dyn Trait4<'a, Type4, Output = &'a i32>) { a.qux(&Type4); }",
    "trait Trait5<T, const N: usize> { fn quux(&self, _: &[T; N]); }":
        "pub fn call5(a: &dyn Trait5<Type5, 32>) { a.quux(&[Type5; 32]) }",
}

#: What stays refused, and why (checked to be refused by the tests).
REFUSED = {
    "pub fn foo6(_: &CharHolder<'x'>)": "rustc 1.95's encoder panics on a char const argument "
                                        "(the file's pattern Lu4char120E is a later rustc's)",
}
#: Files whose cases name things only a function body defines (type_alias_impl_trait's
#: hidden types, closures, items inside fn bodies), ``adt_const_params`` values, or test
#: compiler flags rather than ids: reported, not compared.
NOT_ENCODABLE = {
    "cfi/emit-type-metadata-id-itanium-cxx-abi-lifetimes.rs":
        "Type1 = impl Send: the hidden type (a struct inside a fn body) is defined by a body",
    "cfi/emit-type-metadata-id-itanium-cxx-abi-paths.rs":
        "types of extern blocks, closures, consts and impls inside fn bodies (impl Send)",
    "cfi/emit-type-metadata-id-itanium-cxx-abi-const-generics.rs (foo1-3, foo7-11)":
        "impl Send hidden types; &'static str, struct, enum, array and tuple const "
        "arguments (adt_const_params)",
}

#: Refusals whose message must say this (checked); each is also in ``REFUSED``.
REFUSED_MESSAGES = {
    # through dyn, a generic trait's method has one id per instantiation of the trait, which
    # only the dyn type at the call site gives (a trait block alone cannot say which)
    **{case: "is generic: its methods have one type id per instantiation"
       for case in list(KCFI_DYN_CALLS)[1:]},
    "pub fn takes_child(_: &dyn Child<C = u8, P1 = u16, P2 = u32>)":
        "by their def-path hashes, which only rustc computes",
}
# (ui/sized-associated-ty.rs: an associated type bounded ``where Self: Sized`` is not part of
# ``dyn Foo``, so ``&dyn Foo`` needs no binding (no E0191) and is
# ``_ZTSFvu3refIu3dynIu25NtCs.._5probe3Foou6regionEEE``; a ``where`` clause may follow an
# associated type's value.  Answered now, like ui/supertraits.rs's ``Self::P1`` returns, which
# resolve through the impl's ``type P1 = u16;``.)
REFUSED.update(REFUSED_MESSAGES)

#: Cases where this tool answers with ids that differ from rustc's: real encoding differences,
#: recorded (not fixed in this round).  The test requires them to still differ, so a fix shows.
#: (The ``#[track_caller]`` method of ui/fn-ptr.rs was one: rustc gives it the ids of
#: ``fn(&S, &core::panic::Location<'_>)``, the hidden caller-location argument appended, and
#: this tool now does too.)
DIFFERENT: dict[str, str] = {}

#: cfi/emit-type-metadata-trait-objects.rs: its callers (the file's own functions), each of
#: whose calls through a trait object checks (``llvm.type.test``) the id of the trait's method
#: with ``Self`` as the trait object; the ask giving that id here (the trait block through
#: dyn; for the traits with generics or associated types, whose blocks alone are refused, the
#: block followed by the trait object the call goes through, ``dyn Trait2<i32>``).  The file's fooN get their own ids compared too.
CFI_DYN_CALLERS = """\
pub fn foo1(a: &dyn Trait1) { a.foo(); }
pub fn bar1() { let a = Type1; let b = &a as &dyn Trait1; b.foo(); }
pub fn foo2<T>(a: &dyn Trait2<T>) { a.bar(); }
pub fn bar2() { let a = Type2; foo2(&a); let b = &a as &dyn Trait2<i32>; b.bar(); }
pub fn foo3(a: &dyn Trait3<Type3>) { let b = Type3; a.baz(&b); }
pub fn bar3() { let a = Type3; foo3(&a); let b = &a as &dyn Trait3<Type3>; b.baz(&a); }
pub fn foo4<'a>(a: &dyn Trait4<'a, Type4, Output = &'a i32>) { let b = Type4; a.qux(&b); }
pub fn bar4<'a>() {
    let a = Type4; foo4(&a); let b = &a as &dyn Trait4<'a, Type4, Output = &'a i32>; b.qux(&a);
}
pub fn foo5(a: &dyn Trait5<Type5, 32>) { let b = &[Type5; 32]; a.quux(&b); }
pub fn bar5() { let a = &[Type5; 32]; foo5(&a); let b = &a as &dyn Trait5<Type5, 32>; b.quux(&a); }
"""
_DYN_ASKS = {
    "1": "trait Trait1 { fn foo(&self); }",
    "2": "trait Trait2<T> { fn bar(&self); } dyn Trait2<i32>",
    "3": "trait Trait3<T> { fn baz(&self, _: &T); } dyn Trait3<Type3>",
    "4": "trait Trait4<'a, T> { type Output: 'a; fn qux(&self, _: &T) -> Self::Output; } "
         "dyn Trait4<'static, Type4, Output = &'static i32>",
    "5": "trait Trait5<T, const N: usize> { fn quux(&self, _: &[T; N]); } dyn Trait5<Type5, 32>",
}
#: caller -> what is asked of this tool for its call's id
CFI_DYN_CALL_ASKS = {f"{kind}{n}": ask for n, ask in _DYN_ASKS.items() for kind in ("foo", "bar")}
#: the file's fooN themselves (foo2 as bar2 instantiates it)
CFI_DYN_OWN = {
    "foo1": "pub fn foo1(a: &dyn Trait1)",
    "foo2": "pub fn foo2<T>(a: &dyn Trait2<T>) {} foo2::<i32>",
    "foo3": "pub fn foo3(a: &dyn Trait3<Type3>)",
    "foo4": "pub fn foo4<'a>(a: &dyn Trait4<'a, Type4, Output = &'a i32>)",
    "foo5": "pub fn foo5(a: &dyn Trait5<Type5, 32>)",
}

#: kcfi/emit-kcfi-operand-bundle.rs: ``foo`` calls its ``fn(i32) -> i32`` on the file's two
#: targets (without core, as the file: minicore's lang items); the bundle is the hash of the
#: pointer's id, ``foo``'s ``!kcfi_type`` the hash of its own.
KCFI_BUNDLE_TARGETS = ("x86_64-unknown-none", "aarch64-unknown-none")
KCFI_BUNDLE_SOURCE = """\
#![feature(no_core, lang_items)]
#![no_core]
#![allow(internal_features)]
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[lang = "copy"] pub trait Copy {}
impl Copy for i32 {}
pub fn foo(f: fn(i32) -> i32, arg: i32) -> i32 { f(arg) }
"""
#: the KCFI trait-objects file's refused trait blocks, asked with the trait object after them
KCFI_DYN_EQUIVALENT = dict(zip(KCFI_DYN_CALLS, _DYN_ASKS.values()))
