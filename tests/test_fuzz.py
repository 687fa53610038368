"""The fuzzing harness users run (``python -m cfi_typeid fuzz``), bounded for CI.

``CFI_TYPEID_FUZZ_EXAMPLES=N`` draws more (default: a few seconds' worth); a long run is
``python -m cfi_typeid fuzz --examples 100000 [--lang rust] [--adversarial]``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from cfi_typeid.cli.fuzz import drawn
from cfi_typeid.cli.fuzz_adversarial import adversarial_failures, run_adversarial
from cfi_typeid.cli.fuzz_differential import run_differential
from cfi_typeid.strategies import FIELDS, c_cases, c_mutants, rust_cases

from conftest import needs_clang, needs_rustc

EXAMPLES = int(os.environ.get("CFI_TYPEID_FUZZ_EXAMPLES", "0"))


def test_drawing_is_reproducible_by_seed() -> None:
    first = [c.decl for c in drawn(c_cases(), 20, seed=5)]
    assert first == [c.decl for c in drawn(c_cases(), 20, seed=5)]
    assert first != [c.decl for c in drawn(c_cases(), 20, seed=6)]


def test_drawn_cases_carry_target_prelude_and_our_ids() -> None:
    for case in drawn(c_cases("i686-unknown-linux-gnu"), 10, seed=1):
        assert case.target == "i686-unknown-linux-gnu" and "struct Node" in case.prelude
        ids = case.typeids()
        assert isinstance(ids, dict) and set(ids) == set(FIELDS)
    for rust in drawn(rust_cases("x86_64-unknown-linux-gnu"), 5, seed=1):
        assert rust.decl.startswith("use c::*;") and rust.prelude.startswith("pub mod c")


@needs_clang
@pytest.mark.clang
def test_bounded_c_fuzz_finds_no_difference() -> None:
    out = io.StringIO()
    assert run_differential("c", EXAMPLES or 150, 20261201, None, None, FIELDS, 20, out) == 0, \
        out.getvalue()


@needs_rustc
@pytest.mark.rustc
def test_bounded_rust_fuzz_finds_no_difference() -> None:
    out = io.StringIO()
    assert run_differential("rust", EXAMPLES or 60, 20261201, None, None, FIELDS, 10,
                            out) == 0, out.getvalue()


@needs_clang
@pytest.mark.clang
def test_a_difference_is_shrunk_into_a_reproducer() -> None:
    """A compiler that reads ``short`` as ``int`` (a template with ``-Dshort=int``) differs
    from us on every ``short``: the reproducer names the field and is shrunk to a
    prototype with one parameter or none."""
    template = ("clang-19 -target {target} {flags} -S -emit-llvm -O0 -w -std=gnu17 "
                "-Dshort=int {src} -o {out}")
    out = io.StringIO()
    status = run_differential("c", 40, 3, "x86_64-unknown-linux-gnu", template,
                              ("plain",), 40, out)
    text = out.getvalue()
    assert status == 1 and "plain: ours" in text and "cat > case.c" in text
    assert "python -m cfi_typeid batch" in text
    decls = [line for line in text.splitlines() if line.startswith('{"decl"')]
    assert decls and all("short" in d and d.count(",") <= 4 for d in decls), text


#: Failures of issue 17 that other helpers fix in their own branches (h13: Rust numbers over
#: 4,300 digits): tolerated here until the merge, then this tuple is emptied.
#: Failures another part of the code owns, tolerated here until it is fixed (none left: the Rust
#: lexer now refuses literals over 128 bits before any conversion).
FIXED_ELSEWHERE: tuple[str, ...] = ()


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_bounded_adversarial_fuzz_lets_only_typed_errors_out() -> None:
    found = adversarial_failures(EXAMPLES or 120, 20261201)
    report = [f"{t.name}: {where}: {t.call.format(input=t.failures[where][0])[:300]}\n"
              f"{t.failures[where][1][-1500:]}" for t, where in found]
    unexpected = [r for (t, where), r in zip(found, report)
                  if not (t.name == "Rust parser" and FIXED_ELSEWHERE
                          and where.startswith(FIXED_ELSEWHERE)
                          and "4300 digits" in t.failures[where][1])]
    assert not unexpected, "\n".join(unexpected)


def test_the_cli_reports_adversarial_failures() -> None:
    out = io.StringIO()
    assert run_adversarial(20, 1, out) in (0, 1) and "CLI: 20 inputs" in out.getvalue()


def test_fuzz_command_is_registered_and_checks_its_options() -> None:
    run = [sys.executable, "-m", "cfi_typeid", "fuzz"]
    help_text = subprocess.run([*run, "--help"], capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0 and "--compiler" in help_text.stdout
    bad = subprocess.run([*run, "--fields", "nope"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "unknown field" in bad.stderr
    missing = subprocess.run([*run, "--examples", "3", "--compiler",
                              "/nonexistent/cc {src} {out}"], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and "cannot run" in missing.stderr
    assert "Traceback" not in bad.stderr + missing.stderr


@pytest.mark.skipif(not os.environ.get("CFI_TYPEID_ATHERIS"), reason="set CFI_TYPEID_ATHERIS=1 "
                    "(and pip install atheris) for the coverage-guided run (~30 s)")
def test_atheris_engine_finds_nothing() -> None:
    pytest.importorskip("atheris")
    out = subprocess.run([sys.executable, "-m", "cfi_typeid", "fuzz", "--adversarial",
                          "--engine", "atheris", "--examples", str(EXAMPLES or 2000),
                          "--seed", "4"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "Done" in out.stderr, out.stderr[-3000:]


def test_a_case_the_compiler_refuses_must_be_refused_by_us() -> None:
    """A compiler that refuses everything: each case we answer (without a warning about its
    prelude) is a difference, reported once per refusal message, and the drawn mutants are
    what the compiler may refuse."""
    out = io.StringIO()
    status = run_differential("c", 6, 9, "x86_64-unknown-linux-gnu",
                              "sh -c 'echo \"case.c:1:2: error: no\" >&2; exit 1' {src} {out}",
                              ("plain",), 0, out, mutants=False)
    text = out.getvalue()
    assert status == 1 and "compiles: ours accepted, compiler refused (error: no)" in text
    mutants = drawn(c_mutants("x86_64-unknown-linux-gnu"), 30, seed=2)
    assert all(m.mutated for m in mutants)
    assert {m.decl for m in mutants} != {m.decl for m in drawn(c_cases(
        "x86_64-unknown-linux-gnu"), 30, seed=2)}
