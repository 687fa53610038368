"""Objects compiled with KCFI for the tests: clang-19 and rustc, with their IR alongside, so
that every tag read from the object can be compared with the compiler's ``!kcfi_type`` and
every call site with the ``[ "kcfi"(i32 N) ]`` of an indirect call."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path
import tempfile
import atexit
import shutil

from oracles import CLANG, RUSTC, kcfi_from_ir

_CALL_BUNDLE = re.compile(r'\[ "kcfi"\(i32 (-?\d+)\) \]')

C_SOURCE = """\
struct S { int a; };
typedef int (*binop)(int, long);
typedef void (*void_fn)(void);
typedef long long (*walker)(struct S *);
int target(int a, long b) { return a + (int)b; }
static int st(int a, long b) { return a - (int)b; }
extern void ext(long);
extern int ext2(const char *, ...);
binop get(void) { return st; }
int call(binop fp, int x) { return fp(x, 2) + 1; }
void call2(void (*g)(long)) { g(3); }
void *take(void) { return (void *)ext; }
void *take2(void) { return (void *)ext2; }
unsigned char many(unsigned char c, short s, struct S *p, void_fn cb) { cb(); return c; }
long long walk(struct S *p, walker f) { return f(p) + f(p + 1); }
"""

NO_CORE_HEAD = """\
#![feature(no_core, lang_items)]
#![no_core]
#![allow(internal_features, unused)]
#[lang = "pointee_sized"] pub trait PointeeSized {}
#[lang = "meta_sized"] pub trait MetaSized: PointeeSized {}
#[lang = "sized"] pub trait Sized: MetaSized {}
#[lang = "copy"] pub trait Copy {}
impl Copy for i32 {} impl Copy for i64 {} impl Copy for u8 {} impl Copy for i16 {}
impl<T: ?Sized> Copy for *const T {}
"""

#: Without core (only x86_64 has one installed, and KCFI would need it rebuilt).
RUST_SOURCE = NO_CORE_HEAD + """\
#[repr(C)] pub struct S { a: i32 }
#[no_mangle] pub extern "C" fn target(a: i32, b: i64) -> i32 { a }
#[no_mangle] pub extern "C" fn zero() -> i32 { 7 }
#[no_mangle] pub extern "C" fn three(a: i32, b: i32, c: i32) -> i32 { c }
#[no_mangle] pub extern "C" fn many(c: u8, s: i16, p: *const S, cb: extern "C" fn()) -> u8 {
    cb(); c }
#[no_mangle] pub fn call(f: extern "C" fn(i32, i64) -> i32, x: i32) -> i32 { f(x, 2) }
#[no_mangle] pub extern "C" fn walk(p: *const S, f: extern "C" fn(*const S) -> i64) -> i64 {
    f(p) }
"""

_DIR = tempfile.mkdtemp(prefix="cfi_typeid_kcfi_")
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)


_DEFINE = re.compile(r'^define\b[^@]*@"?([\w.$]+)"?\(', re.M)


def defined_tags(ir: str) -> dict[str, int]:
    """``!kcfi_type`` of the functions ``ir`` defines (declarations left out)."""
    tags = kcfi_from_ir(ir)
    return {n: tags[n] for n in _DEFINE.findall(ir) if n in tags}


def call_hashes(ir: str) -> set[int]:
    """The expected hashes of the indirect calls in ``ir`` (unsigned)."""
    return {int(v) & 0xFFFFFFFF for v in _CALL_BUNDLE.findall(ir)}


@cache
def clang_object(target: str, flags: tuple[str, ...] = (),
                 source: str = C_SOURCE) -> tuple[str, str]:
    """(path of the object, its IR) for ``clang-19 -O2 -fsanitize=kcfi``."""
    assert CLANG is not None
    stem = Path(_DIR) / f"c{abs(hash((target, flags, source)))}"
    src = stem.with_suffix(".c")
    src.write_text(source)
    base = [CLANG, "-target", target, "-O2", "-fsanitize=kcfi", "-w", *flags, str(src)]
    subprocess.run([*base, "-c", "-o", f"{stem}.o"], check=True, capture_output=True)
    ir = subprocess.run([*base, "-S", "-emit-llvm", "-o", "-"], check=True,
                        capture_output=True, text=True).stdout
    return f"{stem}.o", ir


@cache
def rustc_object(target: str | None, flags: tuple[str, ...] = ()) -> tuple[str, str]:
    """(path of the object, its IR) for ``rustc -Zsanitizer=kcfi -Copt-level=2``."""
    assert RUSTC is not None
    stem = Path(_DIR) / f"r{abs(hash((target, flags)))}"
    stem.mkdir()
    src = stem / "probe.rs"
    src.write_text(RUST_SOURCE)
    base = [RUSTC, "--edition=2021", "--crate-type=lib", "--crate-name=probe",
            "-Zsanitizer=kcfi", "-Cpanic=abort", "-Copt-level=2", "-Awarnings",
            *(["--target", target] if target else []), *flags, str(src)]
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    subprocess.run([*base, "--emit=obj,llvm-ir", "--out-dir", str(stem)], check=True,
                   capture_output=True, env=env)
    return str(stem / "probe.o"), (stem / "probe.ll").read_text()


__all__ = ["C_SOURCE", "RUST_SOURCE", "call_hashes", "clang_object", "defined_tags", "kcfi_from_ir",
           "rustc_object"]
