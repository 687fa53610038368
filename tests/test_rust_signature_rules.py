"""The signature rules of the interrupt and CMSE ABIs (:mod:`cfi_typeid.rust.signature_rules`)
against rustc 1.95: each case is one line of a crate, rustc's errors are read by line, and
every case must be refused by both or by neither; the ids of those accepted must be rustc's.
CMSE cases are compiled for ``thumbv8m.main-none-eabi`` (a custom copy of its spec with the
CFI sanitizers, as for the other targets), without ``core``."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from cfi_typeid import api
from cfi_typeid.errors import ParseError
from cfi_typeid.rust.crates import disambiguators_from_ir
from conftest import needs_rustc
from oracles import RUSTC, ids_from_ir
from rust_strategies import NO_CORE, NO_CORE_ATTRS, target_args, target_ir

pytestmark = [needs_rustc, pytest.mark.rustc]

FEATURES = ("abi_x86_interrupt, abi_riscv_interrupt, abi_cmse_nonsecure_call, "
            "cmse_nonsecure_entry, never_type")
ITEMS = """\
#[repr(C)] pub struct Pair { pub a: u32, pub b: u32 }
#[repr(C)] pub struct Frame { pub ip: u64, pub cs: u64 }
pub struct Small(pub u8, pub u16);
#[repr(transparent)] pub struct Wide(pub u64);
#[repr(C)] pub struct Three { pub a: u8, pub b: u32, pub c: u8 }
pub struct Reordered { pub a: u8, pub b: u32, pub c: u8 }
#[repr(u8)] pub enum Tag { A, B }
pub enum Plain { A, B, C }
pub union U { pub a: u32, pub b: [u8; 6] }
#[repr(C, packed)] pub struct Packed { pub a: u8, pub b: u32 }
#[repr(C, align(8))] pub struct Aligned { pub a: u8 }
pub trait Tr {}
"""
E = 'extern "cmse-nonsecure-entry" fn'
C = 'extern "cmse-nonsecure-call" fn'
CMSE_CASES = [
    f"{E} e0(a: u32, b: u32, c: u32, d: u32)",
    f"{E} e1(a: u32, b: u32, c: u32, d: u32, e: u32)",
    f"{E} e2(a: u32, b: u64, c: u32)",
    f"{E} e3(a: u64, b: u64)",
    f"{E} e4(a: u32, b: u64, c: u64)",
    f"{E} e5(a: u8, b: u8, c: u8, d: u8, e: u8)",
    f"{E} e6(a: u16, b: u16, c: u16, d: u16)",
    f"{E} e7(a: Pair, b: Pair)",
    f"{E} e8(a: Pair, b: Pair, c: u8)",
    f"{E} e9(a: [u8; 16])",
    f"{E} e10(a: [u8; 17])",
    f"{E} e11(a: &[u8], b: &[u8])",
    f"{E} e12(a: &[u8], b: &[u8], c: bool)",
    f"{E} e13(a: (u8, u32, u8), b: Three)",
    f"{E} e14(a: Three, b: Three)",
    f"{E} e15(a: Reordered, b: Reordered)",
    f"{E} e16(a: Reordered, b: Reordered, c: Reordered)",
    f"{E} e17(a: Small, b: Tag, c: Plain, d: U)",
    f"{E} e18(a: U, b: U, c: U)",
    f"{E} e19(a: f64, b: f64)",
    f"{E} e20(a: f64, b: f64, c: f32)",
    f"{E} e21(a: u128)",
    f"{E} e22(a: u32, b: u128)",
    f"{E} e23(a: char, b: &str, c: *const u8)",
    f"{E} e24() -> u32",
    f"{E} e25() -> u64",
    f"{E} e26() -> i64",
    f"{E} e27() -> f64",
    f"{E} e28() -> Wide",
    f"{E} e29() -> Pair",
    f"{E} e30() -> (u16, u16)",
    f"{E} e31() -> [u8; 4]",
    f"{E} e32() -> [u8; 8]",
    f"{E} e33() -> u128",
    f"{E} e34() -> &'static [u8]",
    f"{E} e35() -> Small",
    f"{E} e36() -> !",
    f"{E} e37(a: u8) -> U",
    f"{E} e38<T: Copy>(a: T)",
    f"{E} e50(a: Packed, b: Packed)",
    f"{E} e51(a: Packed, b: Packed, c: Packed)",
    f"{E} e52(a: Aligned, b: Aligned)",
    f"{E} e53(a: Aligned, b: Aligned, c: u8)",
    f"{E} e55(a: &dyn Tr, b: u64)",
    f"{E} e39(a: ())",
    f"{C} c0(a: u32)",
    f"fn c1(f: {C[:-3]} fn(u32, u32, u32, u32))",
    f"fn c2(f: {C[:-3]} fn(u32, u32, u32, u32, u32))",
    f"fn c3(f: {C[:-3]} fn(u32, u32, u32, u16, u16))",
    f"fn c4(f: {C[:-3]} fn(u32) -> u64)",
    f"fn c5(f: {C[:-3]} fn(u32) -> Pair)",
    f"fn c6(f: {C[:-3]} fn(u32, u64) -> Wide)",
    f"fn c7(f: {C[:-3]} fn(u32, u64, u64))",
    f"fn c8(f: {C[:-3]} fn(&[u8], &str))",
]
X86_CASES = [
    'extern "x86-interrupt" fn x0()',
    'extern "x86-interrupt" fn x1(f: Frame)',
    'extern "x86-interrupt" fn x2(f: Frame, e: u64)',
    'extern "x86-interrupt" fn x3(f: Frame, e: u64, x: u64)',
    'extern "x86-interrupt" fn x4(f: *const Frame)',
    'extern "x86-interrupt" fn x5(f: Frame) -> u8',
    'extern "x86-interrupt" fn x6(f: Frame) -> !',
    'extern "x86-interrupt" fn x7(f: &Frame, e: usize) -> ()',
    'unsafe extern "x86-interrupt" fn x8(f: Frame)',
    'fn x9(f: extern "x86-interrupt" fn(u8, u8, u8) -> u8)',
]
RISCV_CASES = [
    'extern "riscv-interrupt-m" fn r0()',
    'extern "riscv-interrupt-m" fn r1(a: u8)',
    'extern "riscv-interrupt-s" fn r2() -> u8',
    'extern "riscv-interrupt-s" fn r3() -> !',
    'extern "riscv-interrupt-s" fn r4() -> ()',
    'fn r5(f: extern "riscv-interrupt-m" fn(u8) -> u8)',
]
TARGETS = {"thumbv8m.main-none-eabi": CMSE_CASES, "x86_64-unknown-linux-gnu": X86_CASES,
           "riscv64-unknown-linux-gnu": RISCV_CASES}


def _crate(cases: list[str]) -> tuple[str, int]:
    head = (NO_CORE_ATTRS + f"#![feature({FEATURES})]\n#![allow(warnings, internal_features)]\n"
            + NO_CORE + ITEMS)
    body = "".join(f"#[no_mangle] pub {c} {{ loop {{}} }}\n" for c in cases)
    return head + body, head.count("\n") + 1


def _rejected(source: str, first_line: int, cases: list[str], target: str) -> set[int]:
    """The indices of the cases rustc reports an error on."""
    assert RUSTC is not None
    rustc_target, extra = target_args(target)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "rules.rs"
        path.write_text(source)
        args = [RUSTC, "--crate-type=lib", "--emit=metadata", "-o", str(Path(d) / "out"),
                *extra, str(path)] + ([f"--target={rustc_target}"] if rustc_target else [])
        proc = subprocess.run(args, capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, RUSTC_BOOTSTRAP="1"))
    lines = {int(n) for n in re.findall(r"^error.*\n\s*--> [^:]+:(\d+):", proc.stderr, re.M)}
    return {line - first_line for line in lines if 0 <= line - first_line < len(cases)}


@pytest.mark.parametrize("target", list(TARGETS))
def test_signature_rules_are_rustcs(target: str) -> None:
    cases = TARGETS[target]
    source, first = _crate(cases)
    rejected = _rejected(source, first, cases, target)
    ours: set[int] = set()
    for i, c in enumerate(cases):
        try:
            api.typeid(c, lang="rust", prelude=ITEMS, target=target,
                       crates={"probe": "x"})
        except ParseError:
            ours.add(i)
    assert {cases[i] for i in ours} == {cases[i] for i in rejected}
    accepted = [c for i, c in enumerate(cases) if i not in rejected]
    ir = target_ir(_crate(accepted)[0], target)
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    for c in accepted:
        name = re.search(r"fn (\w+)", c).group(1)  # type: ignore[union-attr]
        assert api.typeid(c, lang="rust", prelude=ITEMS, target=target,
                          crates=crates) == ids[name][0], c


def test_cmse_is_only_on_armv8m() -> None:
    with pytest.raises(ParseError, match="not a supported ABI for thumbv7em-none-eabihf"):
        api.typeid(f"{E} f(a: u32)", lang="rust", target="thumbv7em-none-eabihf")
    assert api.typeid(f"{E} f(a: u32) -> u32", lang="rust",
                      target="thumbv8m.main-none-eabi") == api.typeid(
        'extern "C" fn f(a: u32) -> u32', lang="rust", target="thumbv8m.main-none-eabi")
