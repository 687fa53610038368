"""Object verdicts against declarations, on objects the compilers build in the test."""

from __future__ import annotations

import pytest


from cfi_typeid.kcfi.lookup import HashTable
from cfi_typeid.kcfi.objects import analyse
from cfi_typeid.sources.elf import read_elf
from kcfi_objects import clang_object, defined_tags, rustc_object
from kcfi_records import c_declarations, declaration, rust_declarations
from oracles import CLANG, RUSTC

needs_both = pytest.mark.skipif(CLANG is None or RUSTC is None,
                                reason="needs clang-19 and rustc")
NORMALIZE = "-fsanitize-cfi-icall-experimental-normalize-integers"


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
@pytest.mark.parametrize("target,triple", [("x86_64-linux-gnu", "x86_64-unknown-linux-gnu"),
                                           ("aarch64-linux-gnu", "aarch64-unknown-linux-gnu")])
def test_each_tag_and_call_site_back_to_its_declaration(target: str, triple: str) -> None:
    path, ir = clang_object(target)
    obj = read_elf(path)
    result = analyse([obj], HashTable(c_declarations(triple)))
    for fn in obj.functions:
        names = {m.name for m in result.function_matches[(obj.file, fn.name, fn.address)]
                 if m.option_set == "plain"}
        assert fn.name in names
    for c in obj.call_sites:
        assert result.call_matches[(obj.file, c.address)]
    assert {v.kind for v in result.verdicts} <= {"no-function-carries"}
    assert len(defined_tags(ir)) == len(obj.functions)


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
def test_a_unit_built_with_normalization() -> None:
    plain = read_elf(clang_object("x86_64-linux-gnu")[0])
    normalized = read_elf(clang_object("x86_64-linux-gnu", ("-fpatchable-function-entry=0",
                                                             NORMALIZE))[0])
    decls = c_declarations("x86_64-unknown-linux-gnu")
    verdicts = analyse([plain, normalized], HashTable(decls)).verdicts
    kinds = {(v.kind, v.file) for v in verdicts}
    assert ("option-set-mismatch", normalized.file) in kinds
    flagged = {v.function for v in verdicts if v.kind == "other-option-set"}
    assert {"target", "call", "many"} <= flagged
    assert all("normalize" in v.fix for v in verdicts if v.kind == "other-option-set")


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
def test_wrong_prototype_and_unknown_tag() -> None:
    obj = read_elf(clang_object("x86_64-linux-gnu")[0])
    decls = [declaration("target", "int target(int a, int b)"),
             declaration("other", "int other(int, long)")]
    verdicts = {v.function: v for v in analyse([obj], HashTable(decls)).verdicts
                if v.kind in ("prototype-mismatch", "tag-matches-nothing")}
    assert "other" in verdicts["target"].message  # the tag is int(int, long)'s
    assert verdicts["take"].kind == "tag-matches-nothing"


@needs_both
@pytest.mark.parametrize("c_patch,rust_flags,arch", [
    ("-fpatchable-function-entry=16,16", (), None),
    ("-fpatchable-function-entry=4,2", ("-Zpatchable-function-entry=4,0",),
     None),
    ("-fpatchable-function-entry=4,2", (), "aarch64-unknown-linux-gnu"),
])
def test_patchable_entry_mismatch_between_c_and_rust(c_patch: str, rust_flags: tuple[str, ...],
                                                    arch: str | None) -> None:
    c_target = "aarch64-linux-gnu" if arch else "x86_64-linux-gnu"
    c_obj = read_elf(clang_object(c_target, (c_patch,))[0])
    r_obj = read_elf(rustc_object(arch, rust_flags)[0])
    decls = c_declarations(arch or "x86_64-unknown-linux-gnu") + rust_declarations(
        arch or "x86_64-unknown-linux-gnu")
    verdicts = [v for v in analyse([c_obj, r_obj], HashTable(decls)).verdicts
                if v.kind == "patchable-entry-mismatch"]
    assert {v.file for v in verdicts} == {c_obj.file, r_obj.file}
    n = int(c_patch.split(",")[1])
    from_rust = next(v for v in verdicts if v.file == r_obj.file)
    assert f"-Zpatchable-function-entry=M,{n}" in from_rust.fix or \
        f"-fpatchable-function-entry" in from_rust.fix
    from_c = next(v for v in verdicts if v.file == c_obj.file)
    assert f"build {r_obj.file} (rustc) with -Zpatchable-function-entry=M,{n}" in from_c.fix
    assert any(f.endswith(":target") for f in from_c.functions)  # C's call(fp) → Rust target
    assert from_c.call_sites


@needs_both
def test_agreeing_c_and_rust_units() -> None:
    c_obj = read_elf(clang_object("x86_64-linux-gnu", ("-fpatchable-function-entry=16,16",))[0])
    r_obj = read_elf(rustc_object(None, ("-Zpatchable-function-entry=16,16",))[0])
    verdicts = analyse([c_obj, r_obj], HashTable(c_declarations() + rust_declarations())
                       ).verdicts
    assert not [v for v in verdicts if v.severity == "error"], verdicts


RUST_FILE = """\
use core::ffi::{c_char, c_int, c_long, c_void};
#[repr(C)] pub struct Pt { x: i32, y: i32 }
pub type Cb = unsafe extern "C" fn(*mut c_void, c_long) -> c_int;
#[no_mangle] pub extern "C" fn pt_len(p: *const Pt, n: usize) -> u64 { let _ = p; n as u64 }
#[no_mangle] pub extern "C" fn name_of(s: *const c_char, flags: u32) -> *const c_char {
    let _ = flags; s }
#[no_mangle] pub unsafe extern "C" fn run_cb(cb: Cb, data: *mut c_void) -> c_int {
    cb(data, 3) }
#[no_mangle] pub extern "C" fn take_slice(p: &[u8], b: bool) -> i64 { p.len() as i64 + b as i64 }
"""


@pytest.mark.skipif(RUSTC is None, reason="rustc is not installed")
def test_rust_reader_records_match_rustc_tags(tmp_path: object) -> None:
    rust_file = pytest.importorskip("cfi_typeid.sources.rust_file")
    import os
    import subprocess
    from pathlib import Path
    folder = Path(str(tmp_path))
    src = folder / "probe.rs"
    src.write_text(RUST_FILE)
    subprocess.run([RUSTC, "--edition=2021", "--crate-type=lib", "--crate-name=probe",
                    "-Zsanitizer=kcfi", "-Cunsafe-allow-abi-mismatch=sanitizer",
                    "-Cpanic=abort", "-Copt-level=2", "-Awarnings", "--emit=obj,llvm-ir",
                    "--out-dir", str(folder), str(src)], check=True, capture_output=True,
                   env=dict(os.environ, RUSTC_BOOTSTRAP="1"))
    obj = read_elf(str(folder / "probe.o"))
    scan = rust_file.read_rust_files([str(src)])
    result = analyse([obj], HashTable(scan.declarations))
    tags = defined_tags((folder / "probe.ll").read_text())
    for fn in obj.functions:
        if fn.name not in tags:
            continue  # core's functions inlined into this unit
        assert fn.tag == tags[fn.name]
        names = {m.name for m in result.function_matches[(obj.file, fn.name, fn.address)]}
        assert fn.name in names, fn.name
    (site,) = obj.call_sites
    assert "Cb" in {m.name for m in result.call_matches[(obj.file, site.address)]}
