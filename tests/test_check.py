"""``check`` agrees with the compilers on every pair and option set, and names the component.

Each pair in ``golden/check_pairs.jsonl`` is compiled with clang-19 (with and without integer
normalisation) and rustc; the compilers' ids decide match or mismatch, and ``check`` must say
the same and point at the expected component.  ``core::ffi::cfi::*`` (not in rustc 1.95) is
compiled as the cfi-types crate defines it: a ``#[repr(transparent)]`` newtype whose
``#[cfi_encoding]`` applies only without integer normalization, so plain and generalized ids
come from a rustc run without ``-Zsanitizer-cfi-normalize-integers`` and the normalized ones from
a run with it.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cfi_typeid.crosscheck.check import OPTION_SETS, check
from cfi_typeid.rust.crates import probe_disambiguators
from conftest import needs_clang, needs_rustc
from oracles import clang_ids, ids_by_option_set, ids_from_ir, rustc_ir

PAIRS = [json.loads(line) for line in
         (Path(__file__).parent / "golden" / "check_pairs.jsonl").read_text().splitlines()
         if line.strip()]
TARGET = "x86_64-unknown-linux-gnu"

_CFI_MODULE = "pub mod cfi {\n" + "".join(
    f'    #[cfg_attr(not(sanitizer_cfi_normalize_integers), cfi_encoding = "{code}")]\n'
    f'    #[repr(transparent)] pub struct {name}(pub core::ffi::{name});\n'
    for name, code in [("c_char", "c"), ("c_schar", "a"), ("c_uchar", "h"), ("c_short", "s"),
                       ("c_ushort", "t"), ("c_int", "i"), ("c_uint", "j"), ("c_long", "l"),
                       ("c_ulong", "m"), ("c_longlong", "x"), ("c_ulonglong", "y")]) + "}\n"


def _rust_source(pair: dict[str, Any]) -> str:
    body = pair["rust"].replace("core::ffi::cfi::", "crate::cfi::")
    return ("#![feature(cfi_encoding, cfg_sanitizer_cfi, never_type, f16, c_variadic, "
            "extern_types)]\n"
            "#![allow(non_camel_case_types, improper_ctypes_definitions, dead_code)]\n"
            + _CFI_MODULE + pair.get("rust_prelude", "") + "\n#[no_mangle]\n" + body
            + " { loop {} }\n")


def _c_source(pair: dict[str, Any]) -> str:
    name = re.search(r"(\w+)\s*\(", pair["c"].split("(")[0] + "(").group(1)  # type: ignore[union-attr]
    return f"{pair.get('c_prelude', '')}\n{pair['c']}\nvoid *tab[] = {{ (void *){name} }};\n"


def _function_name(pair: dict[str, Any]) -> str:
    return re.search(r"fn\s+(\w+)", pair["rust"]).group(1)  # type: ignore[union-attr]


@functools.cache
def _crates() -> dict[str, str]:
    """The disambiguators of this rustc's crates, read from rustc itself."""
    return probe_disambiguators("probe")


def _compiler_ids(pair: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    name = _function_name(pair)
    c_src = _c_source(pair)
    c_all = clang_ids(c_src, TARGET)[name] + clang_ids(c_src, TARGET, normalize=True)[name]
    r_src = _rust_source(pair)
    r_all = [i for i in ids_from_ir(rustc_ir(r_src, normalize=False))[name]
             if ".normalized" not in i]
    r_all += [i for i in ids_from_ir(rustc_ir(r_src))[name] if ".normalized" in i]
    return ids_by_option_set(c_all), ids_by_option_set(r_all)


@needs_clang
@needs_rustc
@pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
def test_check_agrees_with_compilers(pair: dict[str, Any]) -> None:
    c_ids, r_ids = _compiler_ids(pair)
    result = check(pair["c"], pair["rust"], target=TARGET, c_prelude=pair.get("c_prelude", ""),
                   rust_prelude=pair.get("rust_prelude", ""), crates=_crates())
    for comp in result.comparisons:
        name = comp.name
        assert comp.c_typeid == c_ids[name], f"C id under {name}"
        assert comp.rust_typeid == r_ids[name], f"Rust id under {name}"
        assert comp.matches == (c_ids[name] == r_ids[name])
        expected_where = pair["where"].get(name)
        if expected_where is None:
            assert comp.matches, f"{name}: expected a match, got {comp.difference}"
        else:
            assert comp.difference is not None and comp.difference.where == expected_where


def test_mixed_settings_never_match() -> None:
    result = check("void f(void);", 'pub extern "C" fn f()', c_options=["normalized"],
                   rust_options=["plain"])
    (comp,) = result.comparisons
    assert not comp.matches
    assert comp.difference is not None and comp.difference.where == "compiler flags"
    assert "only the C side normalizes integers" in comp.difference.cause


def test_all_option_sets_by_default() -> None:
    result = check("void f(long);", 'pub extern "C" fn f(x: core::ffi::cfi::c_long)')
    assert [c.name for c in result.comparisons] == list(OPTION_SETS)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_exit_status_and_fix_first() -> None:
    ok = _cli("check", "--c", "void f(long);", "--rust",
              'extern "C" fn f(x: core::ffi::cfi::c_long)')
    assert ok.returncode == 0 and ok.stdout.startswith("MATCH")
    bad = _cli("check", "--c", "void f(long);", "--rust",
               'extern "C" fn f(x: core::ffi::c_long)')
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[0].startswith("MISMATCH under plain, generalized")
    assert lines[2].startswith("Fix (plain, generalized): use core::ffi::cfi::c_long")
    assert len(lines) <= 25  # one screen
    worse = _cli("check", "--c", "void f(long", "--rust", 'extern "C" fn f()')
    assert worse.returncode == 2 and "Traceback" not in worse.stderr


def test_suggest_encoding_for_enum() -> None:
    out = _cli("suggest-encoding", "--c", "enum handler_return")
    assert out.returncode == 0
    assert 'cfi_encoding: 14handler_return' in out.stdout
    assert '#[cfi_encoding = "14handler_return"]' in out.stdout
    assert "pub struct handler_return(pub core::ffi::c_uint);" in out.stdout
