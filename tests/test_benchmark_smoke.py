"""The benchmark script runs and prints its table.  It asserts nothing about speed: the benchmark
itself is the judge of that (``python benchmarks/run.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_prints_every_section() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["measure", "ours"])
    table = lines[header + 1:]
    for section in ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)"):
        assert any(line.startswith(section) for line in table), (section, out.stdout)
    assert "ids equal to clang-19's" in out.stdout or "clang-19 not installed" in out.stdout
