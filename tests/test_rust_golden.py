"""Golden cases for the rustc quirks, as data: ``tests/golden/rust.jsonl``.

Each line holds a prelude, a declaration, the target, the crate map, and the six fields rustc
1.95 gave (``"rustc"`` names the compiler they were read from).  The first test checks our
answers against those recorded ones; the second, when rustc is installed, compiles every case
again and compares with what it says now, reading the crate disambiguators from its IR (so a
newer rustc, whose disambiguators differ, still checks everything else).

``python tests/test_rust_golden.py --regenerate`` rewrites the recorded fields from the local
rustc (after adding a line).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cfi_typeid import api  # noqa: E402
from cfi_typeid.rust.crates import disambiguators_from_ir  # noqa: E402
from conftest import needs_rustc  # noqa: E402
from rust_strategies import (  # noqa: E402
    FEATURES, NO_CORE, NO_CORE_ATTRS, SIX, cfi_module, rustc_typeids,
)

GOLDEN = Path(__file__).parent / "golden" / "rust.jsonl"
DEFAULT_TARGET = "x86_64-unknown-linux-gnu"


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


def ours(case: dict[str, Any], crates: dict[str, str]) -> dict[str, str]:
    return api.typeids(case["decl"], lang="rust", prelude=case.get("prelude", ""),
                       target=case.get("target", DEFAULT_TARGET),
                       crate=case.get("crate"), crates=crates).to_json()


@pytest.mark.parametrize("case", load(), ids=lambda c: c["name"])
def test_golden_matches_recorded_rustc(case: dict[str, Any]) -> None:
    assert ours(case, case["crates"]) == case["typeids"], case["why"]


def rustc_source(case: dict[str, Any], cfi: str) -> str:
    """The crate rustc compiles for one golden case (the function is ``f``)."""
    no_core = case.get("target", DEFAULT_TARGET) != DEFAULT_TARGET
    marker = ("pub struct CfiTypeidMarker;\n#[no_mangle] pub fn cfi_typeid_marker("
              "_: &CfiTypeidMarker) {}\n")
    if not no_core:
        marker += "#[no_mangle] pub fn cfi_typeid_core(_: Option<&u8>) {}\n"
    fn = case.get("rustc_fn", case["decl"])
    body = f"{case.get('prelude', '')}\n{marker}#[no_mangle] {fn} {{ loop {{}} }}\n"
    head = (NO_CORE_ATTRS if no_core else "") + f"#![feature({', '.join(FEATURES)})]\n"
    head += "#![allow(warnings, internal_features)]\n" + (NO_CORE if no_core else "")
    if "core::ffi::cfi::" in body:
        head += cfi_module(cfi, cfi == "cfi_plain") + "\n"
        body = body.replace("core::ffi::cfi::", f"crate::{cfi}::")
    return head + body


def rustc_answer(case: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The six fields rustc gives the case now, and the crate disambiguators it used."""
    fields, plain_ir = rustc_typeids(rustc_source(case, "cfi_plain"),
                                     rustc_source(case, "cfi_norm"), ["f"],
                                     case.get("target", DEFAULT_TARGET))
    return fields["f"], disambiguators_from_ir(plain_ir)


@needs_rustc
@pytest.mark.rustc
def test_golden_still_matches_rustc() -> None:
    cases = load()
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(rustc_answer, cases))
    bad = []
    for case, (fields, crates) in zip(cases, answers):
        mine = ours(case, {k: v for k, v in crates.items() if k in ("probe", "core")})
        if mine != fields:
            bad.append(f"{case['name']}: rustc {fields}\n  ours {mine}")
        elif crates.get("probe") == case["crates"]["probe"] and fields != case["typeids"]:
            bad.append(f"{case['name']}: the recorded fields are not rustc's")
    assert not bad, "\n".join(bad)


def regenerate() -> None:
    """Rewrite the recorded fields (and crate map) from the local rustc."""
    import subprocess
    version = subprocess.run(["rustc", "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    lines = []
    for case in load():
        fields, crates = rustc_answer(case)
        case["crates"] = {k: v for k, v in crates.items() if k in ("probe", "core")}
        case["typeids"] = {k: fields[k] for k in SIX}
        case["rustc"] = version
        lines.append(json.dumps(case))
    GOLDEN.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/test_rust_golden.py --regenerate")
    regenerate()
