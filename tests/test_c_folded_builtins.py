"""``sizeof(expr)``, ``__builtin_constant_p`` and the bit-counting builtins in constant
expressions, folded as clang-19 folds them (the kernel's ``ilog2()`` in ``kernfs.h``'s
``open_file_mutex[]`` length), against clang-19; a call of any other function is no constant,
allowed only in a branch of ``?:`` not taken."""

from __future__ import annotations

import pytest

from conftest import needs_clang
from oracles import clang_ids
from cfi_typeid.sources.c_header import scan_c

TARGETS = ["x86_64-unknown-linux-gnu", "i686-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]

#: ``ILOG2(x)`` as the kernel's ilog2() expands for a constant (x86_64's 64-bit form).
ILOG2 = ("(__builtin_constant_p(X) ? ((X) < 2 ? 0 : 63 - __builtin_clzll(X)) : "
         "(sizeof(X) <= 4) ? g(X) : g(X))")

CASES = [
    "void NAME(int (*)[sizeof(8192 < 32 ? 8192 : 32)]);",
    "void NAME(int (*)[sizeof((char)1)], int (*)[sizeof(1L)], int (*)[sizeof(1ULL + 1)]);",
    "void NAME(int (*)[sizeof('a')], int (*)[sizeof((_Bool)3)], int (*)[sizeof((short)1 + 1)]);",
    "void NAME(int (*)[__builtin_clzll(32)], int (*)[__builtin_clz(1)], int (*)[__builtin_clzl(1)]);",
    "void NAME(int (*)[__builtin_ctzl(8)], int (*)[__builtin_ctz(-2)], int (*)[__builtin_ctzll(1ULL << 40)]);",
    "void NAME(int (*)[__builtin_popcount(-1)], int (*)[__builtin_popcountl(-1)], int (*)[__builtin_popcountll(5)]);",
    "void NAME(int (*)[__builtin_constant_p(3) ? 2 : g(3)]);",
    "void NAME(int n, int (*)[__builtin_constant_p(n) ? 2 : 3]);",
    "void NAME(int (*)[__builtin_choose_expr(1, 5, 6)], int (*)[__builtin_choose_expr(0, 5, 6)]);",
    "void NAME(int (*)[__builtin_expect(7, 1)]);",
    f"void NAME(int (*)[{ILOG2.replace('X', '8192 < 32 ? 8192 : 32')}]);",
    "void NAME(int (*)[sizeof(struct K) / sizeof(struct mutex)]);",
    # an enumerator whose value fits is an int, whatever its initializer's type (C; clang)
    "void NAME(int (*)[-1 < EU_A], int (*)[-1 < EU_B], int (*)[-1 < EU_C]);",
    "void NAME(int (*)[sizeof(EL_A)], int (*)[sizeof(EL_B)], int (*)[EL_C]);",
]

PRELUDE = f"""\
int g(int);
struct mutex {{ int x; }};
struct K {{ struct mutex m[1 << (2 * {ILOG2.replace('X', '8192 < 32 ? 8192 : 32')})]; }};
enum EU {{ EU_A = 1u, EU_B, EU_C = 0x80000000u }};
enum EL {{ EL_A = 5ul, EL_B = (char)3, EL_C = 1 + (-1 < EL_A) }};
"""


def _source() -> str:
    lines = [PRELUDE, *(c.replace("NAME", f"f{i}") for i, c in enumerate(CASES))]
    lines.append("void *t[] = {" + ", ".join(f"(void *)f{i}" for i in range(len(CASES))) + "};")
    return "\n".join(lines) + "\n"


@needs_clang
@pytest.mark.parametrize("target", TARGETS)
def test_folded_as_clang_folds(target: str) -> None:
    truth = clang_ids(_source(), target)
    scan = scan_c(_source(), target=target)
    assert scan.diagnostics == ()
    found = {d.name: [d.typeids.plain, d.typeids.generalized] for d in scan.declarations}
    for i, case in enumerate(CASES):
        assert found[f"f{i}"] == truth[f"f{i}"], case


@pytest.mark.parametrize("decl, reason", [
    ("void f(int (*)[g(3)]);", "calls a function"),
    ("void f(int (*)[__builtin_clz(0)]);", "not a constant"),
    ("void f(int n, int (*)[sizeof(n)]);", "not an integer constant"),
    ("void f(int (*)[__builtin_clz(1, 2)]);", "takes 1 argument"),
    ("struct T { int a[g(1)]; };", "calls a function"),
])
def test_what_is_not_folded_is_refused(decl: str, reason: str) -> None:
    scan = scan_c("int g(int);\n" + decl + "\n")
    assert len(scan.diagnostics) == 1 and reason in scan.diagnostics[0].message
