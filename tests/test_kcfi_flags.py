"""flags: what a C and a Rust command line set, and the compilers building with them agree."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from cfi_typeid.errors import UsageError
from cfi_typeid.hashes import kcfi_hash
from cfi_typeid.kcfi.flags import (c_flags_from_compile_commands, compare_flags, parse_c_flags,
                                   parse_rust_flags)
from cfi_typeid.sources.elf import read_elf
from kcfi_objects import clang_object, rustc_object
from kcfi_records import c_declarations, rust_declarations
from oracles import CLANG, RUSTC

KERNEL_C = ("-O2 -fsanitize=kcfi -fsanitize-cfi-icall-experimental-normalize-integers "
            "-fpatchable-function-entry=16,16 -mretpoline-external-thunk -fcf-protection=branch")
KERNEL_RUST = ("-Zsanitizer=kcfi -Zsanitizer-cfi-normalize-integers "
               "-Zpatchable-function-entry=16,16 -Zretpoline-external-thunk -Zcf-protection=branch")


def test_spellings() -> None:
    c = parse_c_flags(KERNEL_C + " -target aarch64-linux-gnu -ffixed-x18")
    assert (c.kcfi, c.normalize_integers, c.patchable_entry, c.retpoline, c.target,
            c.fixed_x18) == (True, True, (16, 16), "external-thunk", "aarch64-linux-gnu", True)
    assert parse_c_flags("-fsanitize=cfi -fno-sanitize=cfi-vcall").sanitizers[0] == "cfi-icall"
    assert parse_c_flags("-fsanitize-kcfi-hash=FNV-1a").kcfi_hash == "fnv1a"
    for spelling in ("-Zsanitizer=kcfi", "-Z sanitizer=kcfi", "-Csanitize=kcfi",
                     "-C sanitize=kcfi"):
        assert parse_rust_flags(spelling).kcfi, spelling
    r = parse_rust_flags("rustc --edition=2021 --target x86_64-unknown-none -Zregparm=3 "
                         "-Z reg-struct-return -Zsanitizer-cfi-normalize-integers=no lib.rs")
    assert (r.target, r.regparm, r.reg_struct_return, r.normalize_integers) == (
        "x86_64-unknown-none", 3, True, False)
    with pytest.raises(UsageError):
        parse_c_flags("-fpatchable-function-entry=2,4")


def test_kernel_flags_agree_and_mismatches_say_what_breaks() -> None:
    rows = compare_flags(parse_c_flags(KERNEL_C), parse_rust_flags(KERNEL_RUST))
    assert all(r.agree for r in rows), [r for r in rows if not r.agree]
    rows = {r.setting: r for r in compare_flags(parse_c_flags(KERNEL_C),
                                                parse_rust_flags("-Zsanitizer=kcfi"))}
    assert not rows["integer normalization"].agree
    assert "-Zpatchable-function-entry=16,16" in rows["patchable-function-entry prefix"].note
    assert rows["sanitizer kind"].agree


def test_compile_commands(tmp_path: Path) -> None:
    db = tmp_path / "compile_commands.json"
    db.write_text(json.dumps([{"file": "a.c", "arguments": ["clang", *shlex.split(KERNEL_C)]},
                              {"file": "b.c", "command": "clang -fsanitize=kcfi -c b.c"}]))
    got = c_flags_from_compile_commands(str(db))
    assert [f for f, _ in got] == ["a.c", "b.c"]
    assert got[0][1].patchable_entry == (16, 16) and got[1][1].patchable_entry == (0, 0)
    db.write_text("{")
    with pytest.raises(UsageError, match="not JSON"):
        c_flags_from_compile_commands(str(db))


@pytest.mark.skipif(CLANG is None or RUSTC is None, reason="needs clang-19 and rustc")
@pytest.mark.parametrize("c_flags,rust_flags", [
    ("-fpatchable-function-entry=16,16", "-Zpatchable-function-entry=16,16"),
    ("-fpatchable-function-entry=16,16", ""),
    ("-fsanitize-cfi-icall-experimental-normalize-integers",
     "-Zsanitizer-cfi-normalize-integers"),
    ("-fsanitize-cfi-icall-experimental-normalize-integers", ""),
])
def test_the_compilers_do_what_the_flags_say(c_flags: str, rust_flags: str) -> None:
    c, rust = parse_c_flags(c_flags), parse_rust_flags(rust_flags)
    c_obj = read_elf(clang_object("x86_64-linux-gnu", tuple(shlex.split(c_flags)))[0])
    r_obj = read_elf(rustc_object(None, tuple(shlex.split(rust_flags)))[0])
    assert {f.prefix_nops for f in c_obj.functions} == {c.patchable_entry[1]}
    assert {f.prefix_nops for f in r_obj.functions} == {rust.patchable_entry[1]}
    for obj, decls, flags in ((c_obj, c_declarations(), c), (r_obj, rust_declarations(), rust)):
        ids = {d.name: d.typeids for d in decls}
        attr = "normalized" if flags.normalize_integers else "plain"
        for fn in obj.functions:
            assert fn.tag == kcfi_hash(getattr(ids[fn.name], attr)), fn.name
    rows = {r.setting: r.agree for r in compare_flags(c, rust)}
    assert rows["patchable-function-entry prefix"] == (
        {f.prefix_nops for f in c_obj.functions} == {f.prefix_nops for f in r_obj.functions})
