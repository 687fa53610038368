"""ELF reading against the compilers: every tag read equals the ``!kcfi_type`` of its function,
every call site's expected hash is one of the IR's ``"kcfi"`` bundles, the prefix found from the
nops is the one the flags asked for."""

from __future__ import annotations

import pytest

from cfi_typeid.errors import UsageError
from cfi_typeid.sources.elf import read_elf
from kcfi_objects import call_hashes, clang_object, defined_tags, kcfi_from_ir, rustc_object
from oracles import CLANG, RUSTC

needs_clang = pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
needs_rustc = pytest.mark.skipif(RUSTC is None, reason="rustc is not installed")

#: (clang target, prefix N of -fpatchable-function-entry=M,N, bytes per nop, call sites read)
C_CASES = [
    ("x86_64-linux-gnu", None, 1, True), ("x86_64-linux-gnu", (4, 2), 1, True),
    ("x86_64-linux-gnu", (11, 11), 1, True), ("x86_64-linux-gnu", (16, 16), 1, True),
    ("aarch64-linux-gnu", None, 4, True), ("aarch64-linux-gnu", (4, 2), 4, True),
    ("aarch64-linux-gnu", (16, 16), 4, True),
    ("riscv64-linux-gnu", None, 2, True), ("riscv64-linux-gnu", (4, 2), 2, True),
    ("armv7-linux-gnueabihf", None, 4, False), ("thumbv7-linux-gnueabihf", None, 4, False),
    ("i686-linux-gnu", None, 1, False),
]


def _check(path: str, ir: str, prefix: int, step: int, calls: bool) -> None:
    obj = read_elf(path)
    expected = defined_tags(ir)
    tags = {f.name: f for f in obj.functions}
    for name in expected:
        assert name in tags, f"{name}: no tag read"
        assert tags[name].tag == expected[name], name
        assert tags[name].prefix_nops == prefix and tags[name].offset == -4 - step * prefix
    assert set(tags) <= set(expected)
    assert not obj.notes, obj.notes  # e.g. .kcfi_traps and the call sites found agree
    if calls:
        assert {c.expected for c in obj.call_sites} == call_hashes(ir)
        assert all(c.prefix_nops == prefix and c.function for c in obj.call_sites)


@needs_clang
@pytest.mark.parametrize("target,patch,step,calls", C_CASES)
def test_clang_tags_and_call_sites(target: str, patch: tuple[int, int] | None, step: int,
                                   calls: bool) -> None:
    flags = (f"-fpatchable-function-entry={patch[0]},{patch[1]}",) if patch else ()
    path, ir = clang_object(target, flags)
    _check(path, ir, patch[1] if patch else 0, step, calls)
    assert read_elf(path).compiler == "clang"


@needs_clang
def test_clang_cf_protection_keeps_the_tag() -> None:
    path, ir = clang_object("x86_64-linux-gnu", ("-fcf-protection=branch",
                                                 "-fpatchable-function-entry=11,11"))
    _check(path, ir, 11, 1, True)


@needs_clang
def test_typeid_symbols_are_the_declarations_hashes() -> None:
    path, ir = clang_object("x86_64-linux-gnu")
    symbols = {t.function: t.value for t in read_elf(path).typeid_symbols}
    assert symbols == {"ext": kcfi_from_ir(ir)["ext"], "ext2": kcfi_from_ir(ir)["ext2"]}


@needs_clang
def test_linked_shared_library(tmp_path: object) -> None:
    import subprocess
    from pathlib import Path
    path, ir = clang_object("x86_64-linux-gnu")
    lib = Path(str(tmp_path)) / "lib.so"
    subprocess.run([CLANG, "-shared", "-nostdlib", path, "-o", str(lib)], check=True)
    obj = read_elf(str(lib))
    assert obj.elf_type == "shared"
    assert {f.name: f.tag for f in obj.functions} == defined_tags(ir)
    subprocess.run(["strip", str(lib)], check=True)
    stripped = read_elf(str(lib))  # .dynsym only: the tags are found from the code
    assert {f.name: f.tag for f in stripped.functions}.items() <= {
        f.name: f.tag for f in obj.functions}.items()
    assert stripped.functions


#: rustc: (target, extra flags, prefix N, bytes per nop)
RUST_CASES = [
    (None, (), 0, 1), (None, ("-Zpatchable-function-entry=4,2",), 2, 1),
    (None, ("-Zpatchable-function-entry=16,16",), 16, 1), (None, ("-Zsanitizer-kcfi-arity",), 0, 1),
    ("aarch64-unknown-linux-gnu", (), 0, 4),
    ("aarch64-unknown-linux-gnu", ("-Zpatchable-function-entry=4,2",), 2, 4),
]


@needs_rustc
@pytest.mark.parametrize("target,flags,prefix,step", RUST_CASES)
def test_rustc_tags_and_call_sites(target: str | None, flags: tuple[str, ...], prefix: int,
                                   step: int) -> None:
    path, ir = rustc_object(target, flags)
    _check(path, ir, prefix, step, True)
    obj = read_elf(path)
    assert obj.compiler == "rustc"
    arities = {f.name: f.arity for f in obj.functions}
    if "-Zsanitizer-kcfi-arity" in flags:
        assert arities["zero"] == 0 and arities["call"] == 2
    else:
        assert set(arities.values()) == {None}


def test_not_elf(tmp_path: object) -> None:
    from pathlib import Path
    p = Path(str(tmp_path)) / "x.o"
    p.write_bytes(b"not an object")
    with pytest.raises(UsageError, match="not an ELF"):
        read_elf(str(p))
    with pytest.raises(UsageError, match="cannot read"):
        read_elf(str(p) + ".missing")


@needs_clang
def test_archives_plain_and_thin(tmp_path: object) -> None:
    import shutil
    import subprocess
    from pathlib import Path
    from cfi_typeid.sources.elf import read_elf_files
    ar = shutil.which("ar") or shutil.which("llvm-ar-19")
    if ar is None:
        pytest.skip("no ar")
    folder = Path(str(tmp_path))
    x86, ir = clang_object("x86_64-linux-gnu")
    a64, _ = clang_object("aarch64-linux-gnu", ("-fpatchable-function-entry=4,2",))
    long_name = folder / "a_member_name_longer_than_sixteen_bytes.o"
    shutil.copy(x86, long_name)
    shutil.copy(a64, folder / "b.o")
    subprocess.run([ar, "rcs", str(folder / "lib.a"), str(long_name), str(folder / "b.o")],
                   check=True)
    subprocess.run([ar, "rcsT", str(folder / "thin.a"), str(long_name)], check=True, cwd=folder)
    objs = read_elf_files([str(folder / "lib.a"), str(folder / "thin.a")])
    assert [o.file.rsplit("/", 1)[-1] for o in objs] == [
        f"lib.a({long_name.name})", "lib.a(b.o)", long_name.name]
    assert {f.name: f.tag for f in objs[0].functions} == defined_tags(ir)
    assert {f.prefix_nops for f in objs[1].functions} == {2}
