"""C's integer types in Rust: ``std::ffi::c_long`` is an alias, ``core::ffi::cfi::c_long`` is
C's ``long``.

On every target the alias encodes as the fixed-width integer it stands for (``u3i64`` on LP64,
``u3i32`` on ILP32), so ``extern "C" fn(c_long)`` does not match C's ``void(long)``
(``_ZTSFvlE``) unless integers are normalised; ``core::ffi::cfi::c_long`` (the ``cfi_types``
RFC, and the ``cfi-types`` crate's newtype) matches it with and without normalisation.  Each
side is checked against its compiler where the compiler can build for the target.
"""

from __future__ import annotations

import re

import pytest

from cfi_typeid import api
from cfi_typeid.rust.items import core_source
from cfi_typeid.targets import get_target
from conftest import needs_clang, needs_rustc
from oracles import clang_ids
from rust_strategies import FEATURES, NO_CORE, NO_CORE_ATTRS, cfi_module, rustc_typeids

LP64, ILP32 = "x86_64-unknown-linux-gnu", "i686-unknown-linux-gnu"
TARGETS = [LP64, "aarch64-unknown-linux-gnu", ILP32, "armv7-unknown-linux-gnueabihf",
           "riscv64-unknown-linux-gnu"]
#: (Rust C-integer name, C spelling)
PAIRS = [("c_char", "char"), ("c_schar", "signed char"), ("c_uchar", "unsigned char"),
         ("c_short", "short"), ("c_ushort", "unsigned short"), ("c_int", "int"),
         ("c_uint", "unsigned int"), ("c_long", "long"), ("c_ulong", "unsigned long"),
         ("c_longlong", "long long"), ("c_ulonglong", "unsigned long long")]


def rust(decl: str, target: str) -> api.TypeIds:
    return api.typeids(decl, lang="rust", target=target)


def c(decl: str, target: str) -> api.TypeIds:
    return api.typeids(decl, lang="c", target=target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name,c_type", PAIRS)
def test_alias_differs_from_c_and_cfi_type_matches(target: str, name: str, c_type: str) -> None:
    alias = rust(f'extern "C" fn f(a: std::ffi::{name})', target)
    cfi = rust(f'extern "C" fn f(a: core::ffi::cfi::{name})', target)
    c_ids = c(f"void f({c_type});", target)
    assert alias.plain != c_ids.plain  # an alias is a Rust integer: u3i64, never l
    assert cfi.plain == c_ids.plain and cfi.generalized == c_ids.generalized
    # normalised, every integer is its size: all three agree
    assert alias.normalized == c_ids.normalized == cfi.normalized
    assert alias.normalized_generalized == c_ids.normalized_generalized


def test_c_long_by_data_model() -> None:
    assert rust('extern "C" fn f(a: std::ffi::c_long)', LP64).plain == "_ZTSFvu3i64E"
    assert rust('extern "C" fn f(a: std::ffi::c_long)', ILP32).plain == "_ZTSFvu3i32E"
    for target, size in ((LP64, "u3i64"), (ILP32, "u3i32")):
        ids = rust('extern "C" fn f(a: core::ffi::cfi::c_long)', target)
        assert (ids.plain, ids.normalized) == ("_ZTSFvlE", f"_ZTSFv{size}E.normalized")
        assert c("void f(long);", target).normalized == ids.normalized


def test_c_char_signedness_by_target() -> None:
    assert rust("fn f(a: core::ffi::c_char)", LP64).plain == "_ZTSFvu2i8E"
    assert rust("fn f(a: core::ffi::c_char)", "aarch64-unknown-linux-gnu").plain == "_ZTSFvu2u8E"
    assert rust("fn f(a: core::ffi::cfi::c_char)", "aarch64-unknown-linux-gnu").normalized \
        == "_ZTSFvu2u8E.normalized"


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("target", [LP64, ILP32])
def test_c_side_is_clangs(target: str) -> None:
    source = "".join(f"void f_{n}({t} a) {{}} void *p_{n} = (void *)f_{n};\n" for n, t in PAIRS)
    plain = clang_ids(source, target)
    normalized = clang_ids(source, target, normalize=True)
    for n, t in PAIRS:
        ours = c(f"void f({t});", target)
        assert plain[f"f_{n}"][:2] == [ours.plain, ours.generalized]
        assert ours.normalized in normalized[f"f_{n}"]


def _rust_crate(target: str, cfi: str) -> str:
    """Every C-integer name as a parameter: the ``std::ffi`` aliases on x86_64 (the only
    target whose ``core`` is installed); elsewhere, in a crate without ``core``, the aliases
    as our ``core`` defines them for the target (``c_long = i32`` on ILP32, ``c_char = u8``
    on ARM), which ``core``'s ``ffi/primitives.rs`` was read to write."""
    lines = [f"#![feature({', '.join(FEATURES)})]", "#![allow(warnings, internal_features)]"]
    newtypes = cfi_module(cfi, cfi == "cfi_plain")
    alias = "std::ffi"
    if target != LP64:
        aliases = re.findall(r"pub type c_\w+ = \w+;", core_source(get_target(target)))
        lines = [NO_CORE_ATTRS, *lines, NO_CORE, "pub mod ffi { " + " ".join(aliases) + " }"]
        newtypes, alias = newtypes.replace("core::ffi::", "crate::ffi::"), "crate::ffi"
    lines.append(newtypes)
    for n, _ in PAIRS:
        lines.append(f'#[no_mangle] pub extern "C" fn a_{n}(a: {alias}::{n}) {{ loop {{}} }}')
        lines.append(f'#[no_mangle] pub extern "C" fn k_{n}(a: crate::{cfi}::{n}) {{ loop {{}} }}')
    return "\n".join(lines) + "\n"


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("target", TARGETS)
def test_rust_side_is_rustcs(target: str) -> None:
    names = [f"{k}_{n}" for n, _ in PAIRS for k in "ak"]
    fields, _ = rustc_typeids(_rust_crate(target, "cfi_plain"), _rust_crate(target, "cfi_norm"),
                              names, target)
    for n, _ in PAIRS:
        assert fields[f"a_{n}"] == rust(f'extern "C" fn f(a: std::ffi::{n})', target).to_json()
        assert fields[f"k_{n}"] == rust(f'extern "C" fn f(a: core::ffi::cfi::{n})',
                                        target).to_json()
