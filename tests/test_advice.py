"""The advice says the right thing where it matters most (the compilers' ids for these pairs
are checked in ``test_check.py``, from ``golden/check_pairs.jsonl``)."""

from __future__ import annotations

import subprocess
import sys

from cfi_typeid.crosscheck.check import Difference, check

CRATES = {"core": "sgEmfK2I1SDT_", "std": "sjrHSEGnQ3la_"}
BUSY_C = "int busy(sqlite3 *, int (*)(void *, int), void *);"
BUSY_RUST = ('pub unsafe extern "C" fn busy(a: *mut sqlite3, b: ::std::option::Option<unsafe '
             'extern "C" fn(*mut core::ffi::c_void, core::ffi::c_int) -> core::ffi::c_int>, '
             "c: *mut core::ffi::c_void) -> core::ffi::c_int")


def _differences(c: str, rust: str, c_prelude: str = "", rust_prelude: str = ""
                 ) -> dict[str, Difference | None]:
    result = check(c, rust, c_prelude=c_prelude, rust_prelude=rust_prelude, crates=CRATES)
    return {comp.name: comp.difference for comp in result.comparisons}


def test_option_callback_names_the_option_and_never_a_newtype() -> None:
    diffs = _differences(BUSY_C, BUSY_RUST, "typedef struct sqlite3 sqlite3;",
                         "#[repr(C)] pub struct sqlite3 { _unused: [u8; 0] }")
    d = diffs["normalized"]
    assert d is not None and d.where == "parameter 2"
    assert "Option wrapper" in d.cause and "core::option::Option" in d.cause
    assert "drop the Option" in d.fix and "never null" in d.fix
    assert "-Zsanitizer-cfi-generalize-pointers" in d.fix
    assert "cfi_encoding" not in d.fix
    g = diffs["normalized+generalized"]
    assert g is not None and "*mut core::ffi::c_void" in g.fix


def test_array_cause_shows_rustcs_encoding() -> None:
    diffs = _differences("jbuf *jr(int);", 'pub extern "C" fn jr(a: core::ffi::cfi::c_int) -> '
                         "*mut [__jmp_buf_tag; 1]",
                         "struct __jmp_buf_tag { long x[8]; }; typedef struct __jmp_buf_tag "
                         "jbuf[1];", "#[repr(C)] pub struct __jmp_buf_tag { x: [i64; 8] }")
    d = diffs["plain"]
    assert d is not None
    assert d.rust_code == "A113__jmp_buf_tag" and d.c_code == "A1_13__jmp_buf_tag"
    assert "Rust 'A113__jmp_buf_tag'" in d.cause
    assert "A1_13__jmp_buf_tag', Rust 'A1_13" not in d.cause


def _suggest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", "suggest-encoding", *args],
                          capture_output=True, text=True, timeout=120)


def test_suggest_encoding_refuses_names_rust_cannot_take() -> None:
    for args in (["--c", "long", "--name", ""], ["--c", "long", "--name", "1abc"],
                 ["--c", "long", "--name", "fn"], ["--c", "struct { int x; }"],
                 ["--c", "union { int x; }"]):
        out = _suggest(*args)
        assert out.returncode == 2, (args, out.stdout)
        assert out.stdout == "" and "Traceback" not in out.stderr, args
    ok = _suggest("--c", "long", "--name", "CLong")
    assert ok.returncode == 0 and "pub struct CLong(pub i64);" in ok.stdout
