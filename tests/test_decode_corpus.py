"""``encode(render(decode(s))) == s`` for ids the compilers themselves emitted.

clang-19 compiles C function types drawn by ``tests/strategies.py`` on every target (with
normalisation on, so each function gets all four ids); rustc compiles a corpus of Rust
signatures written here.  Every id is decoded, rendered in the language of the compiler that
wrote it, and the rendering is compiled again by that compiler and encoded by our encoder
(C front end; the Rust front end when it is wired into ``api``): all must give the id back.
"""

from __future__ import annotations

import re
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfi_typeid import api
from cfi_typeid.itanium.decoded import DecodedTypeId, decode_typeid
from cfi_typeid.errors import CfiTypeidError, NotExpressibleError, UsageError
from cfi_typeid.model import FunctionType
from cfi_typeid.c.render import render_c_declaration
from cfi_typeid.itanium.render_decoded import reencoded, render_as_c, render_as_rust
from cfi_typeid.targets import TARGETS
from cfi_typeid.transform import generalize, normalize
from cfi_typeid.flavours import CLANG
from conftest import needs_clang, needs_rustc
from oracles import clang_ids, ids_from_ir, rustc_ir
from strategies import SHARED_PRELUDE, TRIPLES, function_types
from test_decode_laws import without_origins

#: Ids round-tripped so far in this run, per compiler (printed with ``pytest -s``).
ROUND_TRIPS = {"clang": 0, "rustc": 0}

VARIANTS = ("plain", "generalized", "normalized", "normalized_generalized")


def _variant(typeid: str) -> str:
    normalized, generalized = ".normalized" in typeid, typeid.endswith(".generalized")
    return VARIANTS[2 * normalized + generalized]


def _expected(fn: FunctionType, triple: str, variant: str) -> FunctionType:
    t = normalize(fn, TARGETS[triple], CLANG) if variant.startswith("normalized") else fn
    t = generalize(t, CLANG) if variant.endswith("generalized") else t
    assert isinstance(t, FunctionType)
    return t


def _c_source(prelude: str, decls: dict[str, str]) -> str:
    lines = [prelude, *(f"{d.rstrip(';')};" for d in decls.values())]
    lines.append("void *tab[] = {" + ", ".join(f"(void *){n}" for n in decls) + "};")
    return "\n".join(lines) + "\n"


@needs_clang
@pytest.mark.clang
@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_clang_ids_round_trip(data: st.DataObject) -> None:
    for triple in TRIPLES:
        fns = data.draw(st.lists(function_types(triple), min_size=40, max_size=40))
        _clang_round_trip(triple, fns)


def _clang_round_trip(triple: str, fns: list[FunctionType]) -> None:
    """Compile ``fns`` (plain, then normalised), decode every id, render it as C, encode the
    rendering with our encoder and recompile it with clang: each must give the id back."""
    decls = {f"f{i}": render_c_declaration(fn, f"f{i}")[1] for i, fn in enumerate(fns)}
    for normalized in (False, True):
        emitted = clang_ids(_c_source(SHARED_PRELUDE, decls), triple, normalize=normalized)
        rendered: dict[str, str] = {}
        preludes: dict[str, None] = {}
        wanted: dict[str, str] = {}
        for name in decls:
            for typeid in emitted[name]:
                decoded = decode_typeid(typeid)
                variant = _variant(typeid)
                assert without_origins(decoded.function) == without_origins(
                    _expected(fns[int(name[1:])], triple, variant)), typeid
                c = render_as_c(decoded, name=f"{name}_{variant}")
                assert c.note is None
                assert api.typeid(c.decl, prelude=c.prelude, target=triple,
                                  normalize_integers=decoded.normalized,
                                  generalize_pointers=decoded.generalized) == typeid
                rendered[f"{name}_{variant}"] = c.decl
                preludes.update(dict.fromkeys(c.prelude.splitlines()))
                wanted[f"{name}_{variant}"] = typeid
        again = clang_ids(_c_source("\n".join(preludes), rendered), triple,
                          normalize=normalized)
        for name, typeid in wanted.items():
            assert typeid in again[name], (name, typeid, again[name])
        ROUND_TRIPS["clang"] += len(wanted)
        print(f"clang {triple}{' normalized' if normalized else ''}: {len(wanted)} ids "
              f"round-trip ({ROUND_TRIPS['clang']} so far)")


# ---- rustc -----------------------------------------------------------------------------------

RUST_CORPUS = """\
#![feature(c_variadic, cfi_encoding, extern_types, never_type)]
#![allow(improper_ctypes_definitions, dead_code, non_camel_case_types)]
use core::ffi::{c_char, c_int, c_long, c_void};
#[repr(C)] pub struct Pt { x: i32, y: i32 }
pub struct Opaque(u8);
pub mod m { pub struct Node<T>(pub T); pub struct Wrap<'a>(pub &'a u8); }
#[cfi_encoding = "l"] #[repr(transparent)] pub struct CLong(c_long);
#[cfi_encoding = "3Foo"] #[repr(transparent)] pub struct Foo(u32);
extern "C" { pub type Ext; }
pub trait Tr {}
#[no_mangle] pub extern "C" fn r01(_: c_long) {}
#[no_mangle] pub extern "C" fn r02(_: i8, _: i16, _: i32, _: i64, _: i128, _: isize) {}
#[no_mangle] pub extern "C" fn r03(_: u8, _: u16, _: u32, _: u64, _: u128, _: usize) -> bool { loop {} }
#[no_mangle] pub extern "C" fn r04(_: f32, _: f64, _: char) -> f64 { loop {} }
#[no_mangle] pub extern "C" fn r05(_: &str, _: &[u8], _: &mut [u16]) {}
#[no_mangle] pub extern "C" fn r06(_: *const c_char, _: *mut c_void, _: *const *mut i32) {}
#[no_mangle] pub extern "C" fn r07(_: (i32, u8), _: &(u8, (char, bool))) {}
#[no_mangle] pub extern "C" fn r08(_: *const [i32; 4], _: [u8; 16], _: &[[u8; 2]; 3]) {}
#[no_mangle] pub extern "C" fn r09(_: extern "C" fn(i32) -> i32, _: extern "C" fn(i32) -> i32) {}
#[no_mangle] pub extern "C" fn r10(_: fn(&u8, &u8), _: fn(&u8) -> &u8) {}
#[no_mangle] pub extern "C" fn r11(_: Pt, _: *const Pt, _: &mut Pt) -> Pt { loop {} }
#[no_mangle] pub fn r12(_: Pt, _: Opaque, _: &Opaque) {}
#[no_mangle] pub extern "C" fn r13(_: Option<&Pt>, _: Option<&mut i32>) {}
#[no_mangle] pub extern "C" fn r14(_: m::Node<i32>, _: &m::Node<&str>, _: m::Wrap<'static>) {}
#[no_mangle] pub extern "C" fn r15(_: CLong, _: CLong, _: Foo, _: Foo) -> CLong { loop {} }
#[no_mangle] pub extern "C" fn r16(_: *mut Ext, _: *const Ext) {}
#[no_mangle] pub unsafe extern "C" fn r17(_: i32, _args: ...) -> ! { loop {} }
#[no_mangle] pub extern "C" fn r18(_: &&u8, _: &mut &mut u8, _: *mut *mut u8) {}
#[no_mangle] pub extern "C" fn r19(_: extern "C" fn(), _: fn(), _: unsafe extern "C" fn()) {}
#[no_mangle] pub extern "C" fn r20(_: c_int, _: [*const c_char; 2], _: *mut [u64; 0]) {}
#[no_mangle] pub extern "C" fn r21(_: Option<extern "C" fn(*mut Pt) -> c_int>) {}
#[no_mangle] pub extern "C" fn r22(_: &u8, _: &u8, _: &mut u8) -> &'static u8 { loop {} }
#[no_mangle] pub extern "C" fn r23(_: Box<u8>, _: Option<Box<Pt>>) {}
#[no_mangle] pub extern "C" fn r24(_: for<'a> fn(&'a u8, &'a u8) -> &'a u8) {}
#[no_mangle] pub extern "C" fn r25(_: &[Pt; 3], _: [Pt; 12]) {}
"""


def _rust_ids() -> dict[str, list[str]]:
    ir = rustc_ir(RUST_CORPUS)
    return {k: v for k, v in ids_from_ir(ir).items() if re.fullmatch(r"r\d\d", k)}


def _rust_round_trip(name: str, decoded: DecodedTypeId) -> tuple[bool, str]:
    """Render ``decoded`` as Rust, compile that with rustc: (id given back?, why not)."""
    rust, note = render_as_rust(decoded)
    assert note is None
    ir = rustc_ir(rust.prelude + "\n" + rust.item(name), crate=rust.crate)
    got = ids_from_ir(ir)[name]
    return decoded.typeid in got, f"{rust.decl} gave {got}"


def rust_cases() -> Iterator[tuple[str, str]]:
    for name, ids in sorted(_rust_ids().items()):
        for typeid in ids:
            yield name, typeid


@needs_rustc
@pytest.mark.rustc
def test_rustc_ids_round_trip() -> None:
    total, failures, front_end_failures = 0, [], []
    for name, typeid in rust_cases():
        total += 1
        decoded = decode_typeid(typeid)
        assert decoded.flavour.name == "rustc" or ".normalized" in typeid \
            or ".generalized" in typeid or not _has_rust_marker(typeid), typeid
        try:
            ok, why = _rust_round_trip(name, decoded)
        except Exception as e:  # noqa: BLE001 - collected below, with the id
            ok, why = False, f"{type(e).__name__}: {e}"
        if not ok:
            failures.append((typeid, why))
        problem = _check_front_end(decoded)
        if problem and "cannot find type 'std::" in problem:
            continue  # the Rust front end does not know alloc's items (Box) yet
        if problem:
            front_end_failures.append((typeid, problem))
    ROUND_TRIPS["rustc"] += total - len(failures)
    print(f"rustc: {total - len(failures)}/{total} ids round-trip")
    assert not failures, f"{total - len(failures)}/{total} round-trip through rustc: {failures}"
    assert not front_end_failures, (f"{total - len(front_end_failures)}/{total} through our Rust "
                                    f"front end: {front_end_failures}")


def _has_rust_marker(typeid: str) -> bool:
    return any(m in typeid for m in ("u3ref", "u5slice", "u5tuple", "U3mut", "u4char"))


def _check_front_end(decoded: DecodedTypeId) -> str | None:
    """Our own Rust front end, once ``api`` has it: the rendering encodes to the id."""
    rust, _ = render_as_rust(decoded)
    try:
        got = api.typeid(rust.decl, lang="rust", prelude=rust.prelude, crate=rust.crate,
                         crates=dict(rust.crates),
                         normalize_integers=decoded.normalized,
                         generalize_pointers=decoded.generalized, salt=decoded.salt)
    except UsageError as e:
        if "not available" in e.message:
            return None
        return str(e)
    except CfiTypeidError as e:
        return str(e)
    return None if got == decoded.typeid else f"{rust.decl} encodes as {got}"


# ---- rustc, on the Rust front end's random signatures ------------------------------------------

@needs_rustc
@pytest.mark.rustc
def test_random_rust_signatures_round_trip() -> None:
    """Ids rustc gives the signatures of ``tests/rust_strategies.py``: decoded, rendered as
    Rust and compiled again, they come back (renderings without items of the local crate are
    compiled together, one module each)."""
    from test_rust_differential import generate, rustc_fields
    cases = generate(25)
    fields, _ = rustc_fields(cases, "x86_64-unknown-linux-gnu")
    together: list[tuple[str, DecodedTypeId]] = []
    alone: list[tuple[str, DecodedTypeId]] = []
    unrendered = 0
    for case_fields in fields.values():
        for key in VARIANTS:
            decoded = decode_typeid(case_fields[key])
            # every id decodes, and the reading encodes back to it
            assert reencoded(decoded, decoded.flavour) == decoded.typeid, decoded.typeid
            try:
                rust, note = render_as_rust(decoded)
            except NotExpressibleError as e:
                # a trait object whose trait has no known public path (or is used two
                # ways): decoded and re-encoded only
                assert "u3dyn" in decoded.typeid and "trait" in e.message, e.message
                unrendered += 1
                continue
            assert note is None, decoded.typeid
            (alone if "crate::" in rust.prelude + rust.decl else together).append(
                (f"d{len(together) + len(alone)}", decoded))
    failures = [(d.typeid, why) for name, d in alone
                for ok, why in [_rust_round_trip(name, d)] if not ok]
    features: set[str] = set()
    modules = []
    for name, d in together:
        rust, _ = render_as_rust(d)
        lines = rust.prelude.splitlines()
        for line in lines:
            if line.startswith("#![feature("):
                features.update(f.strip() for f in line[11:-2].split(","))
        body = [line for line in lines if not line.startswith("#![")]
        modules.append(f"pub mod m_{name} {{\n" + "\n".join([*body, rust.item(name)]) + "\n}")
    head = f"#![feature({', '.join(sorted(features))})]\n" if features else ""
    got = ids_from_ir(rustc_ir(head + "\n".join(modules)))
    failures += [(d.typeid, got[name]) for name, d in together if d.typeid not in got[name]]
    total = len(together) + len(alone)
    ROUND_TRIPS["rustc"] += total - len(failures)
    print(f"rustc random signatures: {total - len(failures)}/{total} ids round-trip through "
          f"Rust, {unrendered} more (trait objects) through the decoder and encoder only")
    assert not failures, failures
