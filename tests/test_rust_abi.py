"""The ABI table (:mod:`cfi_typeid.rust.abi`) against rustc, on every target: which ABI strings
rustc accepts, which spell ``repr(C)`` types by name in a function's own signature and in a fn
pointer, and which leave zero-sized parameters out."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from cfi_typeid import api
from cfi_typeid.errors import ParseError
from cfi_typeid.rust.abi import (
    ALL_ABIS, check_abi, check_item_abi, function_spells_repr_c_by_name, pointer_spells_repr_c_by_name,
    skips_zero_sized_params,
)
from cfi_typeid.rust.crates import disambiguators_from_ir
from cfi_typeid.targets import Target, get_target
from conftest import needs_rustc
from oracles import RUSTC, ids_from_ir
from rust_strategies import NO_CORE, NO_CORE_ATTRS, RUSTC_TARGETS, target_args, target_ir

TARGETS = list(RUSTC_TARGETS)
ABI_FEATURES = ("abi_x86_interrupt, rust_cold_cc, abi_unadjusted, unboxed_closures, "
                "abi_vectorcall, rust_preserve_none_cc, abi_riscv_interrupt, "
                "abi_cmse_nonsecure_call, cmse_nonsecure_entry, abi_ptx, abi_msp430_interrupt, "
                "abi_avr_interrupt, abi_gpu_kernel, abi_custom")
#: ABIs whose functions need a special signature (interrupt handlers, naked, tuple args):
#: checked as fn pointers only.
SPECIAL = {"x86-interrupt", "riscv-interrupt-m", "riscv-interrupt-s", "cmse-nonsecure-call",
           "cmse-nonsecure-entry", "ptx-kernel", "gpu-kernel", "msp430-interrupt",
           "avr-interrupt", "avr-non-blocking-interrupt", "rust-call", "custom"}


def _crate(body: str) -> str:
    return (NO_CORE_ATTRS + f"#![feature({ABI_FEATURES})]\n#![allow(warnings, internal_features)]\n"
            + NO_CORE + "#[repr(C)] pub struct Pt { x: i32 }\npub struct Z;\n" + body)


def _rejected(source: str, target: str) -> set[str]:
    """The ABI strings rustc rejects in ``source`` for ``target`` (E0570)."""
    assert RUSTC is not None
    rustc_target, extra = target_args(target)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "abis.rs"
        path.write_text(source)
        args = [RUSTC, "--crate-type=lib", "--emit=metadata", "-o", str(Path(d) / "out"),
                *extra, str(path)]
        if rustc_target:
            args.append(f"--target={rustc_target}")
        proc = subprocess.run(args, capture_output=True, text=True,
                              env=dict(os.environ, RUSTC_BOOTSTRAP="1"), timeout=300)
    return set(re.findall(r'error\[E0570\]: "([^"]+)" is not a supported ABI', proc.stderr))


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("target", TARGETS)
def test_accepted_abis_are_rustcs(target: str) -> None:
    body = "".join(f'pub fn f{i}(b: extern "{abi}" fn(Pt)) {{}}\n'
                   for i, abi in enumerate(ALL_ABIS))
    rejected = _rejected(_crate(body), target)
    for abi in ALL_ABIS:
        try:
            check_abi(abi, get_target(target), "", 0)
            ours = True
        except ParseError:
            ours = False
        assert ours == (abi not in rejected), (target, abi)


def _item_ok(abi: str, t: Target) -> bool:
    try:
        check_item_abi(abi, t, "", 0)
        return True
    except ParseError:
        return False


@needs_rustc
@pytest.mark.rustc
def test_vectorcall_items_need_sse2() -> None:
    """rustc refuses a vectorcall function definition on x86_64-unknown-none (soft-float)."""
    source = _crate('#[no_mangle] pub extern "vectorcall" fn f(a: u8) {}\n')
    with pytest.raises(RuntimeError, match="requires the `sse2` target feature"):
        target_ir(source, "x86_64-unknown-none")
    assert not _item_ok("vectorcall", get_target("x86_64-unknown-none"))
    assert _item_ok("vectorcall", get_target("x86_64-unknown-linux-gnu"))


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("target", TARGETS)
def test_repr_c_spelling_and_zero_sized_params_are_rustcs(target: str) -> None:
    t = get_target(target)
    abis = []
    for abi in ALL_ABIS:
        try:
            check_abi(abi, t, "", 0)
            abis.append(abi)
        except ParseError:
            pass
    items = [abi for abi in abis if abi not in SPECIAL and _item_ok(abi, t)]
    body = "".join(f'#[no_mangle] pub extern "{abi}" fn f{i}(a: &Pt, z: Z) {{}}\n'
                   for i, abi in enumerate(items))
    body += "".join(f'#[no_mangle] pub fn g{i}(b: extern "{abi}" fn(Pt)) {{}}\n'
                    for i, abi in enumerate(abis))
    ir = target_ir(_crate(body), target)
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    for i, abi in enumerate(items):
        plain = ids[f"f{i}"][0]
        assert ("I2PtE" in plain) == function_spells_repr_c_by_name(abi, t), (target, abi)
        assert ("1ZE" not in plain) == skips_zero_sized_params(abi, t), (target, abi, plain)
        ours = api.typeid(f'extern "{abi}" fn f(a: &Pt, z: Z)', lang="rust", target=target,
                          prelude="#[repr(C)] pub struct Pt { x: i32 }\npub struct Z;",
                          crates=crates)
        assert ours == plain, (target, abi)
    for i, abi in enumerate(abis):
        assert ("PFv2PtE" in ids[f"g{i}"][0]) == pointer_spells_repr_c_by_name(abi), abi
