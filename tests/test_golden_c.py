"""Golden C cases (``tests/golden/c.jsonl``): the rules that are easy to get wrong, one line each,
with the six fields clang-19 gives.  Every line is checked against our answer, and, when clang-19
is installed, the expected values are checked against clang itself, so no golden value is ours
alone.  Lines with ``"error"`` are inputs we must refuse with a CfiTypeidError (and clang must
refuse too when ``"clang_rejects"``; an anonymous struct is the one thing clang accepts and we
refuse on purpose).

Each case is its own C file (preludes clash), but one clang run compiles all files of a target:
20 runs for the whole set.  ``python tests/test_golden_c.py --regenerate`` refills the expected
values from clang after a case is added.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import cfi_typeid
from cfi_typeid.errors import CfiTypeidError

from conftest import needs_clang
from oracles import CLANG
from strategies import CLANG_TYPEDEFS
from test_differential_c import COMPILES, FIELDS, six_fields

GOLDEN = Path(__file__).parent / "golden" / "c.jsonl"
CASES: list[dict[str, Any]] = [json.loads(line) for line in GOLDEN.read_text().splitlines()
                               if line.strip()]

#: Typedefs clang lacks as macros, as glibc defines them.
CLANG_HEADER = CLANG_TYPEDEFS + """\
typedef __builtin_va_list __gnuc_va_list;
#if __SIZEOF_POINTER__ == 8
typedef long ssize_t;
#else
typedef int ssize_t;
#endif
"""


def case_id(case: dict[str, Any]) -> str:
    return f"{case['target'].split('-')[0]}: {case['note']}"


def c_source(case: dict[str, Any]) -> str:
    """The translation unit clang compiles for ``case``: the function's address is taken."""
    decl = case.get("clang", case["decl"]).rstrip().rstrip(";")
    name = case.get("name", "f")
    return (f"{CLANG_HEADER}{case['prelude']}\n{decl};\n"
            f"void *cfi_golden_tab[] = {{ (void *){name} }};\n")


def compile_all(cases: list[dict[str, Any]], triple: str, normalize: bool,
                kcfi: bool) -> list[str | None]:
    """IR of each case (None where clang refused it), from ONE clang run over many files.
    The flags are those of ``oracles.clang_ir``."""
    assert CLANG is not None
    flags = ["-fsanitize=kcfi"] if kcfi else ["-fsanitize=cfi-icall", "-flto",
                                             "-fvisibility=hidden"]
    if normalize:
        flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
    with tempfile.TemporaryDirectory() as d:
        names = [f"case{i}.c" for i in range(len(cases))]
        for name, case in zip(names, cases):
            (Path(d) / name).write_text(c_source(case))
        subprocess.run([CLANG, "-target", triple, *flags, "-S", "-emit-llvm", "-O0", "-w",
                        "-std=gnu17", *names], cwd=d, capture_output=True, timeout=600)
        out: list[str | None] = []
        for name in names:
            found = [p for p in (Path(d) / name.replace(".c", ".ll"),
                                 Path(d) / name.replace(".c", ".s")) if p.exists()]
            out.append(found[0].read_text() if found else None)
        return out


def clang_answers(cases: list[dict[str, Any]]) -> list[dict[str, str] | None]:
    """The six fields clang gives each case (None where it refused to compile it)."""
    answers: list[dict[str, str] | None] = [None] * len(cases)
    for triple in sorted({c["target"] for c in cases}):
        index = [i for i, c in enumerate(cases) if c["target"] == triple]
        group = [cases[i] for i in index]
        irs = [compile_all(group, triple, normalize, kcfi) for normalize, kcfi in COMPILES]
        for k, i in enumerate(index):
            per_compile = [ir[k] for ir in irs]
            if any(ir is None for ir in per_compile):
                continue
            fields = six_fields(*(ir for ir in per_compile if ir is not None))
            answers[i] = fields.get(cases[i].get("name", "f"), {})
    return answers


def ours(case: dict[str, Any]) -> dict[str, str]:
    return cfi_typeid.typeids(case["decl"], target=case["target"],
                              prelude=case["prelude"]).to_json()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_golden_case(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(CfiTypeidError) as excinfo:
            ours(case)
        assert case["error"] in str(excinfo.value)
    else:
        assert ours(case) == case["expected"]


@needs_clang
@pytest.mark.clang
def test_golden_values_are_clangs() -> None:
    answers = clang_answers(CASES)
    wrong = []
    for case, clang in zip(CASES, answers):
        if "error" in case:
            if (clang is None) != case["clang_rejects"]:
                wrong.append(f"{case_id(case)}: clang {'refused' if clang is None else 'accepted'}"
                             f" {case['decl']!r}")
        elif clang != case["expected"]:
            wrong.append(f"{case_id(case)}: {case['decl']!r}\n  golden: {case['expected']}\n"
                         f"  clang:  {clang}")
    assert not wrong, "\n".join(wrong)


def test_golden_file_is_well_formed() -> None:
    for case in CASES:
        assert {"note", "target", "prelude", "decl"} <= set(case)
        assert ("expected" in case) != ("error" in case)
        if "expected" in case:
            assert set(case["expected"]) == set(FIELDS)


def regenerate() -> None:
    """Fill each non-error case's ``expected`` from clang-19 (never from our own answers)."""
    answers = clang_answers(CASES)
    lines = []
    for case, clang in zip(CASES, answers):
        if "error" not in case:
            if clang is None or set(clang) != set(FIELDS):
                raise SystemExit(f"clang refused or gave no ids for {case_id(case)}: "
                                 f"{c_source(case)}")
            case["expected"] = {f: clang[f] for f in FIELDS}
        lines.append(json.dumps(case) + "\n")
    GOLDEN.write_text("".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        raise SystemExit("usage: python tests/test_golden_c.py --regenerate")
    regenerate()
