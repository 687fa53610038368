"""Expressions whose *type* a constant expression needs, against clang-19: ``__typeof__`` of
an integer constant expression (the kernel's ``ALIGN()``, fixmap.h's ``__ALIGN_KERNEL``
casts to ``(__typeof__(x))``), ``sizeof`` of a pointer-typed expression (``GENMASK()``'s
``__is_constexpr()``, ``sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8))``) and the
kinds the usual arithmetic conversions give (``1UL + 1LL`` is ``unsigned long long`` on
LP64, of one width and sign with ``unsigned long``).  Each text is read by
:func:`cfi_typeid.sources.c_header.scan_c` and compiled by clang-19 with every function's
address taken (``tests/test_c_headers.check_text``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from oracles import CLANG  # noqa: E402
from test_c_headers import check_text  # noqa: E402

from cfi_typeid.sources import c_header  # noqa: E402

needs_clang = pytest.mark.skipif(CLANG is None, reason="needs clang-19")

#: The three declarations of Linux 6.1 that were skipped, as its headers expand them.
KERNEL = """\
enum fixed_addresses { VSYSCALL_PAGE = (((((((-10UL << 20) + ((1UL) << 12))-1) | ((__typeof__((-10UL << 20) + ((1UL) << 12)))((1<<21)-1)))+1) - ((1UL) << 12)) - (-10UL << 20)) >> 12, FIX_DBGP_BASE };
struct neighbour { unsigned char ha[((((32)) + ((__typeof__((32)))((sizeof(unsigned long))) - 1)) & ~((__typeof__((32)))((sizeof(unsigned long))) - 1))] __attribute__((__aligned__(8))); int (*output)(struct neighbour *); };
enum { NVME_CMD_EFFECTS_CSE_MASK = ((((int)(sizeof(struct { int:(-!!(__builtin_choose_expr( (sizeof(int) == sizeof(*(8 ? ((void *)((long)((16) > (18)) * 0l)) : (int *)8))), (16) > (18), 0))); })))) + (((~(((0UL)))) - ((((1UL))) << (16)) + 1) & (~(((0UL))) >> (64 - 1 - (18))))), NVME_NEXT };
void kernel(int (*)[VSYSCALL_PAGE], int (*)[FIX_DBGP_BASE], int (*)[NVME_CMD_EFFECTS_CSE_MASK],
            int (*)[NVME_NEXT], int (*)[sizeof(struct neighbour)]);
"""

#: ``__typeof__`` of integer constant expressions: the kind, not only the width and sign.
KINDS = """\
void literals(__typeof__(1ULL), __typeof__(1UL), __typeof__(1LL), __typeof__(1L),
              __typeof__(1U), __typeof__(1), __typeof__(0x80000000), __typeof__(4294967296));
void conversions(__typeof__(1UL + 1LL), __typeof__(1U + 1L), __typeof__(1LL + 1U),
                 __typeof__(1L - 1LL), __typeof__(1ULL * 1L), __typeof__(1 ? 1L : 1LL));
void others(__typeof__('a'), __typeof__((char)1), __typeof__((short)1 + (char)1),
            __typeof__(-(unsigned char)1), __typeof__(1UL << 3), __typeof__(1 << 3UL),
            __typeof__(1ULL < 2), __typeof__(!1UL), __typeof__(sizeof(int)),
            __typeof__(_Alignof(long)), __typeof__((signed char)1));
enum small { SMALL = 1 };
void enumerators(__typeof__(SMALL), __typeof__(SMALL + 1UL));
void casts(int (*)[(__typeof__(1U))-1 > 0], int (*)[(__typeof__(1))-1 < 0 ? 2 : 3],
           int (*)[(__typeof__((char)0))300], int (*)[(unsigned)(__typeof__(1ULL))-1 >> 30]);
"""

#: ``sizeof`` of pointers and what they point to, ``?:`` of pointers (C17 6.5.15p6).
POINTERS = """\
int table[7];
struct s { short m[3]; long n; } object;
void sizes(int (*)[sizeof(*(1 ? (void *)0 : (int *)8))],
           int (*)[sizeof(*(1 ? (void *)1 : (int *)8))],
           int (*)[sizeof(*(0 ? (int *)8 : (void *)0))],
           int (*)[sizeof(*(1 ? (void *)(1 - 1) : (long *)8))],
           int (*)[sizeof(*(1 ? (const void *)0 : (long *)8))],
           int (*)[sizeof(*(1 ? 0 : (long *)8))],
           int (*)[sizeof((char *)0)], int (*)[sizeof(*(char *)0)],
           int (*)[sizeof(table)], int (*)[sizeof(*table)], int (*)[sizeof(&table)],
           int (*)[sizeof(object.m)], int (*)[sizeof((&object)->n)],
           int (*)[sizeof(object.m[1])], int (*)[sizeof(*(1 ? table : (int *)0))]);
void types(__typeof__(1 ? (const int *)0 : (volatile int *)0),
           __typeof__(1 ? (const int *)1 : (void *)1), __typeof__(&object.n),
           __typeof__(*table) *, __typeof__(1 ? (long *)0 : 0));
"""

#: An enumerator's type: within its enum's body ``int`` when its value fits, else its
#: initializer's (or, counted on from the one before, a wider type's); after the closing
#: brace, one that does not fit ``int`` has the enum's type (``enum E``'s ``unsigned long``).
ENUMS = """\
enum E { A = 1, B = 0x100000000, C, D = sizeof(A), D2 = sizeof(B) };
void e1(int (*)[sizeof(A)], int (*)[sizeof(B)], int (*)[sizeof(C)], int (*)[D], int (*)[D2]);
void e2(__typeof__(A), __typeof__(B), __typeof__(C), __typeof__(D));
enum U { UA = 1u, UB = 0xffffffffu, UC = -1 };
void e3(__typeof__(UA), __typeof__(UB), __typeof__(UC), int (*)[sizeof(UB)]);
enum V { VA = 0xffffffffu, VB };
void e4(__typeof__(VA), __typeof__(VB), int (*)[sizeof(VA)]);
enum W { WA = 0x80000000, WB = sizeof(WA) };
void e5(__typeof__(WA), int (*)[WB], int (*)[sizeof(WA)], int (*)[(WA < 0) + 1],
        int (*)[(VA > 0) + 1], int (*)[(UB > 0) + 1]);
enum X { XA = 1ULL, XB = 0x100000000LL, XC = sizeof(XB), XD = sizeof(XA) };
void e6(__typeof__(XA), __typeof__(XB), int (*)[XC], int (*)[XD]);
enum Y { YA = -1, YB = 0x80000000 };
void e7(__typeof__(YA), __typeof__(YB), int (*)[sizeof(YB)], int (*)[(YB > 0) + 1]);
enum P { P1 = 0x100000000, P2, P3 = sizeof(P2) };
enum Q { Q1 = 0x7fffffff, Q2, Q3 = sizeof(Q2), Q4 = (Q2 < 0) + 1 };
enum S { S1 = -2147483648, S2 = sizeof(S1) };
void e8(int (*)[P3], int (*)[Q3], int (*)[Q4], int (*)[S2], __typeof__(S1), __typeof__(Q2),
        __typeof__(P2), int (*)[sizeof(enum Y)], int (*)[sizeof(enum V)]);
"""

#: ``aligned(...)`` arguments, folded by the same folder (cfi_typeid/c/layout.py): in C's
#: types (``-1u`` wraps, ``-8 / 3`` is -2), with sizes, alignments, casts and enumerators.
ALIGNED = """\
enum { SHIFT = 5 };
struct a1 { char c; } __attribute__((aligned((1 << (6)))));
struct a2 { char c; } __attribute__((__aligned__(sizeof(long) * 2)));
struct a3 { char c; } __attribute__((aligned(-1u / 2147483648u * 4)));
struct a4 { char c __attribute__((aligned(-8 / 3 + 6))); char d; };
struct a5 { char c; } __attribute__((aligned((char)264), packed));
struct a6 { char c; } __attribute__((aligned(1 << SHIFT)));
struct a7 { long long c __attribute__((aligned(__alignof__(long long)))); char d; };
struct a8 { char c; } __attribute__((aligned(sizeof(struct a4) + _Alignof(struct a4))));
typedef int wide_int __attribute__((aligned(0x20u >> 1)));
struct a9 { char c; wide_int w; };
void aligned(int (*)[sizeof(struct a1)], int (*)[sizeof(struct a2)], int (*)[sizeof(struct a3)],
             int (*)[sizeof(struct a4)], int (*)[sizeof(struct a5)], int (*)[sizeof(struct a6)],
             int (*)[sizeof(struct a7)], int (*)[_Alignof(struct a7)],
             int (*)[sizeof(struct a8)], int (*)[sizeof(struct a9)]);
"""


@needs_clang
@pytest.mark.parametrize("text", [KERNEL, KINDS, POINTERS, ENUMS, ALIGNED],
                         ids=["kernel", "kinds", "pointers", "enums", "aligned"])
@pytest.mark.parametrize("target", ["x86_64-unknown-linux-gnu", "i686-unknown-linux-gnu",
                                    "aarch64-unknown-linux-gnu"])
def test_typed_expressions_are_clangs(text: str, target: str) -> None:
    if text is KERNEL and target.startswith("i686"):
        pytest.skip("the kernel's expansion is x86_64's (64 - 1 - 18 bits of a long)")
    result = check_text(text, target=target)
    assert not result.skipped, result.skipped
    assert not result.wrong, result.wrong
    assert result.right_functions == result.clang_functions == result.functions


@needs_clang
@pytest.mark.parametrize("text, reason", [
    ("long v;\nvoid f(__typeof__(v + 1));", "__typeof__ of this expression is not supported"),
    ("int x;\nvoid f(int (*)[x]);", "reads a function, a variable or a pointer"),
    ("void f(int (*)[(void *)0 == 0]);", "reads a function, a variable or a pointer"),
    ("int x;\nenum { E = x };\nvoid f(int);", "E's value is not a constant"),
    ("int x;\nvoid f(int (*)[sizeof(-x)]);", "sizeof of an expression"),
    ("void f(int (*)[sizeof(*(1 ? (int *)0 : (long *)0))]);", "sizeof of an expression"),
])
def test_what_has_no_known_type_is_refused(text: str, reason: str) -> None:
    """Refused, never guessed (clang gives ``int (*)[x]`` variable length, ``PA_i``, and
    the ``?:`` of mismatched pointers ``void *``, with a warning)."""
    if "enum" in text:  # (clang refuses it too: an error, no ids to compare)
        scan = c_header.scan_c(text)
        assert [d for d in scan.diagnostics if reason in d.message], scan.diagnostics
        return
    result = check_text(text)
    assert [why for why in result.skipped if reason in why], result.skipped
    assert not [w for w in result.wrong if not w.endswith("we give nothing")], result.wrong
