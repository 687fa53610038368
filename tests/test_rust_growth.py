"""Growth of the Rust front end's work with input size, for the families that were
exponential or super-linear (issue 17): CPU time at three sizes, at most n^1.2 (with generous
constants: the best of three runs, and a factor 1.5 of slack for a busy machine)."""

from __future__ import annotations

import math
import time
from typing import Callable

import pytest

from cfi_typeid.errors import CfiTypeidError
from cfi_typeid.sources.rust_file import scan_rust

EXPONENT = 1.2
SLACK = 1.5


def _cpu(make: Callable[[int], str], n: int) -> float:
    text = make(n)
    best = math.inf
    for _ in range(3):
        start = time.process_time()
        scan_rust(text)
        best = min(best, time.process_time() - start)
    return max(best, 1e-3)


def _grows_at_most(make: Callable[[int], str], sizes: tuple[int, int, int]) -> None:
    times = [_cpu(make, n) for n in sizes]
    for (n0, t0), (n1, t1) in zip(zip(sizes, times), list(zip(sizes, times))[1:]):
        allowed = (n1 / n0) ** EXPONENT * SLACK
        assert t1 / t0 <= allowed or t1 < 0.05, (sizes, times)


FAMILIES: dict[str, Callable[[int], str]] = {
    "parameters": lambda n: 'extern "C" { fn f(' + ", ".join(
        f"a{i}: u8" for i in range(n)) + "); }",
    "wide tuple": lambda n: 'extern "C" { fn f(a: *const (' + ", ".join(
        ["u8"] * n) + ")); }",
    "alias chain": lambda n: "type A0 = u8;\n" + "".join(
        f"type A{i + 1} = A{i};\n" for i in range(n)) + f'extern "C" {{ fn f(a: A{n}); }}',
    "constant chain": lambda n: "const N0: usize = 1;\n" + "".join(
        f"const N{i + 1}: usize = N{i} + 1;\n" for i in range(n))
        + f'extern "C" {{ fn f(a: *const [u8; N{n}]); }}',
    "functions": lambda n: 'extern "C" {\n' + "".join(
        f"    pub fn f{i}(a: *const i32, b: u{8 << (i % 4)}) -> i64;\n" for i in range(n))
        + "}\n",
    "items with bodies": lambda n: "".join(
        f'pub fn f{i}(a: u8) -> u8 {{ let s = "}}"; if a > 0 {{ a }} else {{ {i} }} }}\n'
        for i in range(n)),
    "nested modules": lambda n: "".join(f"mod m{i} {{ " for i in range(n))
        + 'extern "C" { fn f(a: u8); }' + "}" * n,
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_linear_growth(family: str) -> None:
    sizes = (40, 80, 120) if family == "nested modules" else (500, 1000, 2000)
    _grows_at_most(FAMILIES[family], sizes)


def test_doubling_aliases_are_shared_not_expanded() -> None:
    """``type A{i+1} = (A{i}, A{i});``: 2**n parts written out; expanded once per alias, and
    refused past the size bound without writing them out."""
    def make(n: int) -> str:
        return "type A0 = u8;\n" + "".join(f"type A{i + 1} = (A{i}, A{i});\n"
                                           for i in range(n)) + \
            f'extern "C" {{ fn f(a: *const A{n}); }}'
    times = [_cpu(make, n) for n in (20, 40, 80)]
    assert max(times) < 2.0, times
    scan = scan_rust(make(40))
    assert not scan.declarations and "parts" in scan.diagnostics[0].message


def test_squaring_constants_overflow_at_once() -> None:
    """``const N{i+1}: usize = N{i} * N{i};`` 22 deep: rustc reports the overflow at once."""
    text = "const N0: usize = 2;\n" + "".join(
        f"const N{i + 1}: usize = N{i} * N{i};\n" for i in range(22)) + \
        'extern "C" { fn f(a: *const [u8; N22]); }'
    start = time.process_time()
    scan = scan_rust(text)
    assert time.process_time() - start < 1.0
    assert "in constant 'N6'" in scan.diagnostics[0].message
    assert "overflow usize" in scan.diagnostics[0].message


@pytest.mark.parametrize("length", ["18446744073709551616", "9" * 5000, "0x" + "f" * 5000,
                                    "1" + "_0" * 4400])
def test_huge_lengths_are_refused(length: str) -> None:
    scan = scan_rust(f'extern "C" {{ fn f(a: *const [i32; {length}]); }}')
    assert not scan.declarations and scan.diagnostics
    from cfi_typeid import typeid
    with pytest.raises(CfiTypeidError):
        typeid(f"fn f(a: [i32; {length}])", lang="rust")


def test_deep_modules_are_refused_before_the_work() -> None:
    scan = scan_rust("".join(f"mod m{i} {{ " for i in range(5000)) + "}" * 5000)
    assert "modules nested more than 128 deep" in scan.diagnostics[0].message
