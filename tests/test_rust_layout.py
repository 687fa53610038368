"""The one set of Rust layout rules (cfi_typeid/rust/layout.py) against rustc: primitive
alignments against every target's data layout as rustc prints it, and the layouts constants
ask for (size_of/align_of in array lengths) against rustc's ids.  The CMSE side is asked in
tests/test_rust_signature_rules.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import cast

import pytest

from cfi_typeid.model import FixedInt, Scalar
from cfi_typeid.rust.layout import Layouts
from cfi_typeid.rust.resolve import Resolver
from cfi_typeid.rust.types import RInt, RScalar, RTy
from cfi_typeid.sources.rust_file import scan_rust
from cfi_typeid.targets import TARGETS, Target

from conftest import needs_rustc
from oracles import RUSTC
from test_rust_file import agree


class _Bare:
    """What a layout of a primitive asks of a resolver: its target."""

    def __init__(self, target: Target) -> None:
        self.target = target


def _rustc_aligns(triple: str) -> dict[str, int] | None:
    """ABI alignments (bytes) of i64, i128, f64 and f128 as rustc reads the target's data
    layout: defaults i64 4, f64 8, f128 16; i128 that of the largest i{64..128} given."""
    proc = subprocess.run([RUSTC, "-Z", "unstable-options", "--print", "target-spec-json",
                           "--target", triple], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, RUSTC_BOOTSTRAP="1"))
    if proc.returncode != 0:
        return None
    aligns = {"i64": 4, "i128": 4, "f64": 8, "f128": 16}
    i128_source = 64
    for spec in json.loads(proc.stdout)["data-layout"].split("-"):
        m = re.fullmatch(r"([if])(\d+):(\d+)(?::\d+)?", spec)
        if not m:
            continue
        kind, bits, align = m.group(1), int(m.group(2)), int(m.group(3)) // 8
        if f"{kind}{bits}" in aligns:
            aligns[f"{kind}{bits}"] = align
        if kind == "i" and i128_source <= bits <= 128:
            i128_source, aligns["i128"] = bits, align
    return aligns


@needs_rustc
@pytest.mark.parametrize("triple", list(TARGETS))
def test_primitive_alignments_are_the_data_layouts(triple: str) -> None:
    expected = _rustc_aligns(triple)
    if expected is None:
        pytest.skip(f"rustc does not know the target {triple}")
    layouts = Layouts(cast(Resolver, _Bare(TARGETS[triple])))
    types: dict[str, RTy] = {"i64": RInt(FixedInt.I64), "i128": RInt(FixedInt.U128),
                             "f64": RScalar(Scalar.DOUBLE), "f128": RScalar(Scalar.FLOAT128)}
    assert {k: layouts.of(t).align for k, t in types.items()} == expected


LAYOUTS = [
    "core::mem::size_of::<Option<&u8>>()", "core::mem::size_of::<Option<fn()>>()",
    "core::mem::size_of::<Tag>()", "core::mem::size_of::<Packed2>()",
    "core::mem::align_of::<Packed2>()", "core::mem::size_of::<CPacked2>()",
    "core::mem::size_of::<Aligned>()", "core::mem::align_of::<u128>()",
    "core::mem::size_of::<(u8, Transparent, u16)>()", "core::mem::size_of::<f64>()",
]
_PRELUDE = """
#[repr(C)] pub enum Tag { A, B = 1000 }
#[repr(packed(2))] pub struct Packed2 { pub a: u8, pub b: u32, pub c: u8 }
#[repr(C, packed(2))] pub struct CPacked2 { pub a: u8, pub b: u32, pub c: u8 }
#[repr(C, align(8))] pub struct Aligned { pub a: u16, pub b: u8 }
#[repr(transparent)] pub struct Transparent(pub u32);
"""


@needs_rustc
def test_layouts_in_constants_against_rustc() -> None:
    text = _PRELUDE + 'extern "C" {\n' + "".join(
        f"    pub fn len{i}(a: *const [u8; {e}]);\n" for i, e in enumerate(LAYOUTS)) + "}\n"
    assert agree(text)["answered"] == len(LAYOUTS)


def test_an_enum_without_repr_is_not_sized_in_constants() -> None:
    """A written discriminant decides its size (``B = 1000``: 2 bytes) and the syntax tree
    drops it, so a constant refuses rather than guess; the CMSE checks count the variants."""
    scan = scan_rust("pub enum E { A = 0, B = 1000 }\n"
                     'extern "C" { pub fn f(a: *const [u8; core::mem::size_of::<E>()]); }\n')
    assert not scan.declarations
    assert "enum 'E' has no repr" in scan.diagnostics[0].message, scan.diagnostics[0].message
