"""Every fix a remedy suggests is one that works: applied to the Rust side and compiled.

Each case below is a C prototype and the Rust declaration bindgen (or a person) writes for it.
For every option set the remedy either offers edits (the test renders the rewritten Rust
function, compiles both sides with clang-19 and rustc, and requires equal ids under that set)
or says no Rust change works (the test requires that the compilers do give different ids to the
original pair).  Every kind of edit the rewriter knows appears in some case (checked at the end).
All cases share one C file and one Rust crate per compiler run: four runs in all.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from cfi_typeid.api import parse_function
from cfi_typeid.crosscheck.check import OPTION_SETS
from cfi_typeid.crosscheck.remedy import CFI_TYPES_MODULE, Remedy, remedy, rust_text
from cfi_typeid.rust.crates import probe_disambiguators
from cfi_typeid.targets import get_target
from conftest import needs_clang, needs_rustc
from oracles import clang_ids, ids_by_option_set, ids_from_ir, rustc_ir

TARGET = "x86_64-unknown-linux-gnu"
RAW = "::std::os::raw::"

#: name, C prelude, C prototype, Rust prelude, Rust parameters and return type.
CASES: list[dict[str, Any]] = [
    dict(name="busy_handler", c_prelude="typedef struct sqlite3 sqlite3;",
         c="int busy_handler(sqlite3 *, int (*)(void *, int), void *);",
         rust_prelude="#[repr(C)] pub struct sqlite3 { _unused: [u8; 0] }",
         rust=f"arg1: *mut sqlite3, arg2: ::std::option::Option<unsafe extern \"C\" fn(arg1: "
              f"*mut {RAW}c_void, arg2: {RAW}c_int) -> {RAW}c_int>, arg3: *mut {RAW}c_void) "
              f"-> {RAW}c_int"),
    dict(name="my_signal", c="void (*my_signal(int, void (*)(int)))(int);",
         rust=f"sig: {RAW}c_int, h: ::std::option::Option<unsafe extern \"C\" fn(arg1: "
              f"{RAW}c_int)>) -> ::std::option::Option<unsafe extern \"C\" fn(arg1: "
              f"{RAW}c_int)>"),
    dict(name="two_callbacks", c="void two_callbacks(void (*)(int), void (*)(int));",
         rust="a: unsafe extern \"C\" fn(core::ffi::c_int), "
              "b: unsafe extern \"C\" fn(core::ffi::c_int)"),
    dict(name="enum_ret", c_prelude="enum rc_enum { RC_OK, RC_AGAIN };",
         c="enum rc_enum enum_ret(const char *, long, unsigned char);",
         rust=f"a: *mut {RAW}c_char, b: i32, c: u8) -> {RAW}c_uint"),
    dict(name="jmp_ret", c_prelude="struct jtag { long x[8]; }; typedef struct jtag jbuf[1];",
         c="jbuf *jmp_ret(int);", rust_prelude="#[repr(C)] pub struct jtag { x: [i64; 8] }",
         rust=f"a: {RAW}c_int) -> *mut [jtag; 1]"),
    dict(name="decayed", c_prelude="struct dtag { long x; }; typedef struct dtag dbuf[1];",
         c="int decayed(dbuf, unsigned long);",
         rust_prelude="#[repr(C)] pub struct dtag { x: i64 }",
         rust="a: *mut [dtag; 1], n: usize) -> i32"),
    dict(name="by_ref", c="void by_ref(const int *, int *);",
         rust="a: &i32, b: &mut i32"),
    dict(name="mut_p", c="void mut_p(int *, const char *);", rust="a: *const i32, b: *const i8"),
    dict(name="never_ret", c="void never_ret(long long);", rust="a: i64) -> !"),
    dict(name="half1", c="void half1(_Float16, int);", rust="a: f16, b: i32"),
    dict(name="half", c="_Float16 half(_Float16, _Float16);", rust="a: f16, b: f16) -> f16"),
    dict(name="volatile_p", c="void volatile_p(volatile int *);", rust="a: *mut i32"),
]


def _rust_decl(case: dict[str, Any]) -> str:
    rust = case["rust"]
    params, _, ret = rust.partition(") -> ") if ") -> " in rust else (rust, "", "")
    tail = f" -> {ret}" if ret else ""
    return f'pub extern "C" fn {case["name"]}({params}){tail}'


@functools.cache
def _crates() -> dict[str, str]:
    return probe_disambiguators("probe")


@functools.cache
def _remedies() -> dict[str, dict[str, Remedy]]:
    t = get_target(TARGET)
    out: dict[str, dict[str, Remedy]] = {}
    for case in CASES:
        c_fn = parse_function(case["c"], target=TARGET, prelude=case.get("c_prelude", ""))
        r_fn = parse_function(_rust_decl(case), lang="rust", target=TARGET,
                              prelude=case.get("rust_prelude", ""), crates=_crates())
        out[case["name"]] = {
            name: remedy(c_fn, r_fn, t, normalize_integers=s.normalize_integers,
                         generalize_pointers=s.generalize_pointers)
            for name, s in OPTION_SETS.items()}
    return out


def _fixed_fn_text(name: str, r: Remedy) -> str:
    fn = r.function
    assert fn is not None
    params = [f"a{i}: {rust_text(p)}" for i, p in enumerate(fn.params)]
    ret = "" if rust_text(fn.returns) == "core::ffi::c_void" else f" -> {rust_text(fn.returns)}"
    return f'#[no_mangle] pub extern "C" fn {name}({", ".join(params)}){ret} {{ loop {{}} }}\n'


def _rust_crate(original: bool) -> str:
    """Every case in a module of its own: the original declarations (``original``) or, for each
    option set whose remedy works, the fixed one (named ``<case>__<set>``)."""
    src = ["#![feature(cfi_encoding, cfg_sanitizer_cfi, never_type, f16)]\n"
           "#![allow(non_camel_case_types, improper_ctypes_definitions, dead_code, "
           "unused_variables)]\n", CFI_TYPES_MODULE]
    for case in CASES:
        body = [case.get("rust_prelude", "")]
        if original:
            body.append(f"#[no_mangle] {_rust_decl(case)} {{ loop {{}} }}\n")
        else:
            newtypes: dict[str, str] = {}
            for set_name, r in _remedies()[case["name"]].items():
                if r.works:
                    newtypes.update(r.newtypes)
                    body.append(_fixed_fn_text(f"{case['name']}__{_ident(set_name)}", r))
            body.extend(newtypes.values())
        src.append(f"pub mod m_{case['name']} {{\n use super::cfi_types;\n"
                   + "\n".join(body) + "\n}\n")
    return "".join(src)


def _ident(set_name: str) -> str:
    return set_name.replace("+", "_")



@functools.cache
def _compiled() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Function name → option set → id, for C and for Rust (original and fixed functions)."""
    c_src = "\n".join(f"{c.get('c_prelude', '')}\n{c['c']}" for c in CASES)
    c_src += "\nvoid *tab[] = {" + ", ".join(f"(void *){c['name']}" for c in CASES) + "};\n"
    plain, norm = clang_ids(c_src, TARGET), clang_ids(c_src, TARGET, normalize=True)
    c_ids = {n: ids_by_option_set(plain[n] + [i for i in norm[n] if ".normalized" in i])
             for n in plain}
    r_ids: dict[str, dict[str, str]] = {}
    for original in (True, False):
        src = _rust_crate(original)
        without = ids_from_ir(rustc_ir(src, normalize=False))
        with_ = ids_from_ir(rustc_ir(src))
        for n in without:
            ids = [i for i in without[n] if ".normalized" not in i]
            ids += [i for i in with_.get(n, []) if ".normalized" in i]
            r_ids[n] = ids_by_option_set(ids)
    return c_ids, r_ids


@needs_clang
@needs_rustc
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_suggested_fix_works(case: dict[str, Any]) -> None:
    c_ids, r_ids = _compiled()
    name = case["name"]
    for set_name, r in _remedies()[name].items():
        if r.works:
            fixed = r_ids[f"{name}__{_ident(set_name)}"][set_name]
            assert fixed == c_ids[name][set_name], (set_name, r.describe())
        else:
            assert r_ids[name][set_name] != c_ids[name][set_name], set_name
            assert "no Rust change matches" in r.note


def test_expected_verdicts() -> None:
    rem = _remedies()
    bh = rem["busy_handler"]
    assert bh["normalized"].works and "drop the Option" in bh["normalized"].edits[0].labels
    assert bh["normalized"].assumption == "the callback is never null"
    assert "-Zsanitizer-cfi-generalize-pointers" in bh["normalized"].note
    assert not bh["normalized"].newtypes  # never a cfi_encoding newtype for a callback
    assert bh["generalized"].works
    assert rust_text(bh["generalized"].edits[-1].new) == "*mut core::ffi::c_void"
    two = rem["two_callbacks"]
    assert not two["plain"].works and not two["normalized"].works
    assert two["generalized"].works
    assert not rem["volatile_p"]["plain"].works
    assert rem["half1"]["plain"].works and not rem["half"]["plain"].works
    assert rem["jmp_ret"]["plain"].newtypes[0][1].startswith(
        '#[cfi_encoding = "A1_4jtag"]')


def test_every_kind_of_edit_is_exercised() -> None:
    seen = {label.split(" newtype")[0] for by_set in _remedies().values()
            for r in by_set.values() for e in r.edits for label in e.labels}
    assert seen >= {"drop the Option", "Option callback as *mut c_void",
                    "fn pointer as *mut c_void", "cfi_types integer", "integer of the C size",
                    "#[cfi_encoding]", "point to the element", "*const", "*mut",
                    "raw pointer for the reference", "no '-> !'"}, seen
