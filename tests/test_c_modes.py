"""``__attribute__((mode(M)))`` on every target against clang-19: the type a mode selects is
what clang encodes (``mode(word)`` int is ``long`` on x86_64), and what clang refuses (a float
mode on an int, ``XF`` where long double is not x87) we refuse; vector modes (``V4SI``)
make vector types, which we do not model, and refuse."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from cfi_typeid import typeids
from cfi_typeid.errors import CfiTypeidError
from cfi_typeid.strategies.c import TRIPLES  # the five targets the C front end is built on
from oracles import CLANG, ids_from_ir

MODES = ["QI", "HI", "SI", "DI", "TI", "word", "pointer", "byte", "unwind_word",
         "__QI__", "__word__", "SF", "DF", "XF", "TF", "KF", "HF", "SC", "DC", "XC", "TC",
         "V4SI"]
BASES = ["int", "unsigned", "char", "signed char", "unsigned long long", "long", "float",
         "double", "_Complex float", "_Complex double"]
CASES = [(m, b) for m in MODES for b in BASES]


def _source(cases: list[int]) -> str:
    lines = []
    for i in cases:
        mode, base = CASES[i]
        lines.append(f"typedef {base} __attribute__((mode({mode}))) t{i}; void f{i}(t{i});")
    lines.append("void *tab[] = {" + "".join(f"(void*)f{i}," for i in cases) + "};")
    return "\n".join(lines) + "\n"


def _clang(triple: str, normalize: bool) -> tuple[dict[str, list[str]], set[int]]:
    """clang's ids of every case it accepts, and the cases it refuses."""
    assert CLANG is not None
    kept = list(range(len(CASES)))
    refused: set[int] = set()
    flags = ["-fsanitize=cfi-icall", "-flto", "-fvisibility=hidden"]
    if normalize:
        flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "modes.c"
        for _ in range(6):
            path.write_text(_source(kept))
            done = subprocess.run([CLANG, "-target", triple, *flags, "-S", "-emit-llvm", "-w",
                                   "-ferror-limit=0", str(path), "-o", "-"],
                                  capture_output=True, text=True)
            if done.returncode == 0:
                return ids_from_ir(done.stdout), refused
            lines = {int(n) for n in re.findall(r"modes\.c:(\d+):\d+: error", done.stderr)}
            bad = {kept[n - 1] for n in lines if n - 1 < len(kept)}
            assert bad, done.stderr[:2000]
            refused |= bad
            kept = [i for i in kept if i not in bad]
    raise AssertionError("clang kept refusing")


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
@pytest.mark.parametrize("triple", TRIPLES)
def test_modes_select_the_type_clang_selects(triple: str) -> None:
    plain, refused = _clang(triple, False)
    normalized, _ = _clang(triple, True)
    for i, (mode, base) in enumerate(CASES):
        prelude = f"typedef {base} __attribute__((mode({mode}))) t{i};"
        if i in refused or mode.startswith("V"):  # vector modes: not modelled, refused
            with pytest.raises(CfiTypeidError):
                typeids(f"void f(t{i})", prelude=prelude, target=triple)
            continue
        ids = typeids(f"void f(t{i})", prelude=prelude, target=triple)
        expected = set(plain[f"f{i}"]) | set(normalized[f"f{i}"])
        assert {ids.plain, ids.generalized, ids.normalized,
                ids.normalized_generalized} == expected, (mode, base)
