"""Differential test against clang-19: thousands of generated C prototypes, five targets, all six
id fields (plain, generalized, normalized, normalized_generalized, kcfi, kcfi_normalized), and
nothing short of 100% agreement.

The prototypes come from ``tests/strategies.py`` (models drawn within what clang accepts on each
target, then spelled in a drawn C spelling).  Drawing is derandomised, so a run is reproducible.
All prototypes of a target go into ONE C file, each with its address taken, and clang compiles
it four times (``-fsanitize=cfi-icall`` with and without the normalisation flag, since clang then
emits only the ``.normalized`` ids; ``-fsanitize=kcfi`` likewise): 20 clang runs in all.

``CFI_TYPEID_DIFF_EXAMPLES`` (default 2000) sets the number of prototypes.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cfi_typeid
from cfi_typeid.hashes import kcfi_hash
from cfi_typeid.model import FunctionType

from conftest import needs_clang
from oracles import clang_ir, ids_from_ir, kcfi_from_ir
from strategies import CLANG_TYPEDEFS, SHARED_PRELUDE, TRIPLES, function_types, spelled

EXAMPLES = int(os.environ.get("CFI_TYPEID_DIFF_EXAMPLES", "2000"))
FIELDS = ("plain", "generalized", "normalized", "normalized_generalized", "kcfi",
          "kcfi_normalized")
_PLACEHOLDER = "cfi_case_fn"


@dataclass(frozen=True)
class Case:
    name: str
    decl: str  # a C prototype declaring `name`, without the `;`


def generate(triple: str, count: int) -> list[Case]:
    """``count`` distinct prototypes for ``triple``, the same ones on every run."""
    texts: dict[str, None] = {}

    @settings(max_examples=count * 3 // 2 + 50, derandomize=True, database=None,
              phases=[Phase.generate], deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        fn = data.draw(function_types(triple))
        texts[data.draw(spelled(triple, fn, _PLACEHOLDER))] = None

    collect()
    assert len(texts) >= count, f"only {len(texts)} distinct prototypes for {triple}"
    return [Case(f"f{i}", re.sub(rf"\b{_PLACEHOLDER}\b", f"f{i}", text))
            for i, text in enumerate(list(texts)[:count])]


def c_file(cases: list[Case]) -> str:
    """One translation unit declaring every case and taking every address."""
    decls = "".join(f"{c.decl};\n" for c in cases)
    table = ", ".join(f"(void *){c.name}" for c in cases)
    return f"{CLANG_TYPEDEFS}{SHARED_PRELUDE}{decls}void *cfi_case_table[] = {{ {table} }};\n"


#: The four compiles that give the six fields: (normalize, kcfi) flags.
COMPILES = ((False, False), (True, False), (False, True), (True, True))


def clang_fields(source: str, triple: str) -> dict[str, dict[str, str]]:
    """Function name → the six fields as clang-19 writes them, from four compiles."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        irs = list(pool.map(
            lambda flags: clang_ir(source, triple, normalize=flags[0], kcfi=flags[1]),
            COMPILES))
    return six_fields(*irs)


def six_fields(plain: str, normalized: str, kcfi: str,
               kcfi_normalized: str) -> dict[str, dict[str, str]]:
    """Function name → six fields, from the IR of the four COMPILES."""
    out: dict[str, dict[str, str]] = {}
    for ir, suffix in ((plain, ""), (normalized, "normalized")):
        for name, ids in ids_from_ir(ir).items():
            for typeid in ids:
                field = "generalized" if typeid.endswith(".generalized") else "plain"
                if suffix:
                    field = "normalized" if field == "plain" else "normalized_generalized"
                out.setdefault(name, {})[field] = typeid
    for ir, field in ((kcfi, "kcfi"), (kcfi_normalized, "kcfi_normalized")):
        for name, value in kcfi_from_ir(ir).items():
            out.setdefault(name, {})[field] = f"0x{value:08x}"
    return out


def drawn_prototypes(triple: str, count: int, part: st.SearchStrategy[Any]) -> list[str]:
    """``count`` distinct prototypes (``f0``...) whose return and parameter types are drawn
    from ``part``, in drawn spellings; the same each run (the sweeps of one kind of type:
    tests/test_c_atomic.py, tests/test_c_vectors.py)."""
    texts: dict[str, None] = {}

    @settings(max_examples=count * 2, derandomize=True, database=None,
              phases=[Phase.generate], deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        fn = FunctionType(data.draw(part), tuple(data.draw(st.lists(part, max_size=4))))
        texts[data.draw(spelled(triple, fn, _PLACEHOLDER))] = None

    collect()
    return [t.replace(_PLACEHOLDER, f"f{i}") for i, t in enumerate(list(texts)[:count])]


def mismatches_with_clang(decls: list[str], triple: str) -> list[str]:
    """Where our six fields of each prototype (``f0``...) differ from clang-19's."""
    theirs = clang_fields(c_file([Case(f"f{i}", d) for i, d in enumerate(decls)]), triple)
    mismatches = []
    for i, decl in enumerate(decls):
        ours = cfi_typeid.typeids(decl, target=triple, prelude=SHARED_PRELUDE).to_json()
        for field in FIELDS:
            if ours[field] != theirs.get(f"f{i}", {}).get(field):
                mismatches.append(f"{field}: {decl}: ours {ours[field]}, clang "
                                  f"{theirs.get(f'f{i}', {}).get(field)}")
    return mismatches


def our_fields(case: Case, triple: str) -> dict[str, str]:
    ids = cfi_typeid.typeids(case.decl, target=triple, prelude=SHARED_PRELUDE)
    return ids.to_json()


def _quota(triple: str) -> int:
    index = TRIPLES.index(triple)
    return EXAMPLES // len(TRIPLES) + (1 if index < EXAMPLES % len(TRIPLES) else 0)


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("triple", TRIPLES)
def test_generated_prototypes_match_clang(triple: str) -> None:
    cases = generate(triple, _quota(triple))
    theirs = clang_fields(c_file(cases), triple)
    mismatches: list[str] = []
    for case in cases:
        ours = our_fields(case, triple)
        clang = theirs.get(case.name, {})
        for field in FIELDS:
            if ours[field] != clang.get(field):
                mismatches.append(f"{field}: {case.decl};\n    ours:  {ours[field]}\n"
                                  f"    clang: {clang.get(field)}")
    matched = len(cases) * len(FIELDS) - len(mismatches)
    print(f"{triple}: {len(cases)} prototypes x {len(FIELDS)} fields, {matched} equal")
    assert not mismatches, (f"{len(mismatches)} mismatches on {triple}:\n"
                            + "\n".join(mismatches[:40]))


def test_kcfi_field_is_the_hash_of_the_id() -> None:
    """The kcfi fields are hashes of the plain/normalized ids (the law the diff relies on)."""
    ids = cfi_typeid.typeids("void f(long)")
    assert ids.to_json()["kcfi"] == f"0x{kcfi_hash(ids.plain):08x}" == "0xbde2bfc8"
