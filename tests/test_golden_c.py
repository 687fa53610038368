"""Golden C cases (``tests/golden/c.jsonl``): the rules that are easy to get wrong, one line each,
with the six fields clang-19 gives.  Every line is checked against our answer, and, when clang-19
is installed, the expected values are checked against clang itself, so no golden value is ours
alone.  Lines with ``"error"`` are inputs we must refuse with a CfiTypeidError (and clang must
refuse too when ``"clang_rejects"``; an anonymous struct is the one thing clang accepts and we
refuse on purpose).

Cases without a prelude share one C file per target, the others get a file each (preludes
clash), and one clang run compiles all files of a target: 20 runs for the whole set.  ``python tests/test_golden_c.py --regenerate`` refills the expected
values from clang after a case is added.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
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


def c_declaration(case: dict[str, Any], index: int) -> str:
    """The case's declaration, its function renamed ``cfi_case<index>`` by the preprocessor so
    that cases without a prelude can share one file."""
    decl = case.get("clang", case["decl"]).rstrip().rstrip(";")
    name = case.get("name", "f")
    return f"#define {name} cfi_case{index}\n{decl};\n#undef {name}\n"


def c_units(cases: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """Translation units for ``cases`` (all on one target) and the cases each holds: one unit
    for every case without a prelude, one per case with a prelude (preludes may clash) or
    expected to fail.  Every function has its address taken."""
    shared = [i for i, c in enumerate(cases) if not c["prelude"] and "error" not in c]
    alone = [[i] for i in range(len(cases)) if i not in shared]
    units = []
    for group in ([shared] if shared else []) + alone:
        prelude = cases[group[0]]["prelude"] if len(group) == 1 else ""
        decls = "".join(c_declaration(cases[i], i) for i in group)
        table = ", ".join(f"(void *)cfi_case{i}" for i in group)
        units.append((f"{CLANG_HEADER}{prelude}\n{decls}"
                      f"void *cfi_golden_tab[] = {{ {table} }};\n", group))
    return units


def compile_all(sources: list[str], triple: str, normalize: bool,
                kcfi: bool) -> list[str | None]:
    """IR of each source (None where clang refused it), from ONE clang run over many files.
    The flags are those of ``oracles.clang_ir``."""
    assert CLANG is not None
    flags = ["-fsanitize=kcfi"] if kcfi else ["-fsanitize=cfi-icall", "-flto",
                                             "-fvisibility=hidden"]
    if normalize:
        flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
    with tempfile.TemporaryDirectory() as d:
        names = [f"unit{i}.c" for i in range(len(sources))]
        for name, source in zip(names, sources):
            (Path(d) / name).write_text(source)
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
    triples = sorted({c["target"] for c in cases})
    index = {t: [i for i, c in enumerate(cases) if c["target"] == t] for t in triples}
    units = {t: c_units([cases[i] for i in index[t]]) for t in triples}
    jobs = [(t, flags) for t in triples for flags in COMPILES]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = dict(zip(jobs, pool.map(
            lambda job: compile_all([src for src, _ in units[job[0]]], job[0], *job[1]),
            jobs)))
    for triple in triples:
        for u, (_, group) in enumerate(units[triple]):
            irs = [done[triple, flags][u] for flags in COMPILES]
            if any(ir is None for ir in irs):
                continue
            fields = six_fields(*(ir for ir in irs if ir is not None))
            for k in group:
                answers[index[triple][k]] = fields.get(f"cfi_case{k}", {})
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
                                 f"{case['prelude']} {case['decl']}")
            case["expected"] = {f: clang[f] for f in FIELDS}
        lines.append(json.dumps(case) + "\n")
    GOLDEN.write_text("".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        raise SystemExit("usage: python tests/test_golden_c.py --regenerate")
    regenerate()
