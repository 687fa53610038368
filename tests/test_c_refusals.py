"""Declarations clang-19 refuses are refused by us, at the line and column clang names; the
shapes around them that clang accepts get clang's ids (issue 17's C mutants: a parameter
named twice, ``inline`` or ``_Noreturn`` on what is not a function, a tag defined twice or
used with another kind, ``sizeof`` of ``void`` and of function types).

Each case is one line declaring ``f`` last; clang compiles it with ``f``'s address taken.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

import cfi_typeid
from cfi_typeid.api import prelude_warnings
from cfi_typeid.errors import ParseError

from conftest import needs_clang
from oracles import CLANG, ids_from_ir

TARGET = "x86_64-unknown-linux-gnu"

CASES = (
    # a parameter named twice in one list (clang: "redefinition of parameter")
    "void f(int a, int b, int a)",
    "void f(int a, void (*a)(void))",
    "void f(int a, int (a))",
    "void f(int a, int (*a(int b)))",
    "void f(int a, void (*g)(int a, int a))",
    "typedef int T; void f(T a, T b, T a)",
    "void f(int x, int x, ...)",
    "void f(int a, void (*g)(int a))",
    "void f(int a, int (*fp(int a)))",
    "void f(long n, char s[n], int m)",
    "void f(int __attribute__((mode(QI))) a, int __attribute__((mode(QI))) b)",
    "struct S; void f(struct S *S, struct S *T)",
    "void g(int a, int b); void f(int a, int b)",
    "void f(int a /* a, a */, int b)",
    "void f(int a[sizeof(int[2])], int b)",
    # function specifiers belong to functions
    "void f(inline int)",
    "void f(_Noreturn int x)",
    "void f(int (*)(inline int))",
    "inline int x; void f(void)",
    "typedef inline int T; void f(void)",
    "typedef _Noreturn void F(void); void f(void)",
    "inline void (*fp)(void); void f(void)",
    "inline void f(void)",
    "_Noreturn void f(void)",
    "extern inline int f(int)",
    # tags: one definition each, one kind each
    "struct S { int m; }; struct S { int m; }; void f(struct S *)",
    "enum E { A }; enum E { B }; void f(enum E)",
    "struct S; union S *p; void f(void)",
    "struct S { int m; }; void f(union S *)",
    "struct S { int m; }; enum S { A }; void f(void)",
    "union U; struct U { int m; }; void f(void)",
    "struct S; struct S { int m; }; struct S; void f(struct S)",
    "struct N { struct N *next; }; void f(struct N *)",
    "typedef struct S S; struct S { int a; }; void f(S *)",
    # members: one each; a function pointer member's parameters too
    "struct Q { int a; int a; }; void f(struct Q *)",
    "union Q { int a; float a; }; void f(union Q *)",
    "struct Q { int a : 3; int a; }; void f(struct Q *)",
    "struct Q { int a, b, a; }; void f(struct Q *)",
    "struct Q { int : 3; int : 4; int a; }; void f(struct Q *)",
    "struct Q { struct { int x; } a; struct { int x; } b; }; void f(struct Q *)",
    "struct Q { void (*cb)(int a, int a); }; void f(struct Q *)",
    "struct Q { void (*cb)(int a, int b), (*cc)(int a, int b); int x, y; }; void f(struct Q *)",
    # an ordinary identifier is one kind of thing: enumerator, typedef, variable, function
    "enum { A2 }; int A2; void f(void)",
    "int A3; enum { A3 }; void f(void)",
    "enum { A5 }; typedef int A5; void f(void)",
    "typedef int T; int T; void f(void)",
    "int x; typedef int x; void f(void)",
    "int g; void g(void); void f(void)",
    "void g(void); int g; void f(void)",
    "enum { f }; void f(void)",
    "int f; void f(void)",
    "int g; int g; void f(void)",
    "extern int g; int g; void f(void)",
    "void g(int); void g(); void f(void)",
    "typedef int T; typedef int T; void f(void)",
    "typedef int T; void f(T T)",
    "enum { E1 }; void g(int E1); void f(void)",
    "enum { RED }; enum C2 { RED }; void f(void)",
    # a function declared again: a compatible type (C17 6.2.7), or clang's "conflicting types"
    "void f(int); void f(long)",
    "void f(long); void f(long long)",
    "void f(char *); void f(const char *)",
    "void f(char *); void f(unsigned char *)",
    "void f(int *); void f(long)",
    "void f(void *); void f(int *)",
    "void f(double); void f(float)",
    "void f(char **); void f(const char **)",
    "void f(volatile int *); void f(int *)",
    "void f(int); void f(int, int)",
    "void f(int); void f(int, ...)",
    "int f(void); long f(void)",
    "const int f(void); int f(void)",
    "void g(void); void g(int); void f(void)",
    "void f(const char *); void f(const char *)",
    "enum E { A }; void f(enum E); void f(unsigned int)",
    "void f(int (*)[]); void f(int (*)[3])",
    "void f(int a[]); void f(int *)",
    "typedef int T; void f(T); void f(int)",
    "void f(const int); void f(int)",
    "void f(); void f(int, int)",
    "void f(int, int); void f()",
    "int g(int a); int g(int b); void f(void)",
    # 'void' alone, or not at all
    "void f(void, ...)",
    "void f(...)",  # C23 allows it; clang-19 (gnu17): "ISO C requires a named parameter"
    "void f(int (*g)(...))",
    "void f(void, int)",
    "void f(const void)",
    "typedef void V; void f(V)",
    "void f(register void)",
    # sizeof of void and of a function type is 1 (GNU C), of a complex type twice its part
    "void f(int (*)[sizeof(void)])",
    "void f(int (*)[sizeof(void (int))])",
    "void f(int (*)[sizeof(_Complex double)])",
    "void f(int (*)[sizeof(_Complex float) * 3])",
)

_ERROR = re.compile(r"^[^:\n]*case\.c:(\d+):(\d+): error: (.*)$", re.M)


def _clang(line: str, target: str = TARGET) -> tuple[int, int, str] | str:
    """clang's first error as (line, column, message), or the plain id it gives ``f``."""
    assert CLANG is not None
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "case.c"
        path.write_text(f"{line};\nvoid *cfi_table[] = {{ (void *)f }};\n")
        proc = subprocess.run(
            [CLANG, "-target", target, "-fsanitize=cfi-icall", "-flto", "-fvisibility=hidden",
             "-S", "-emit-llvm", "-O0", "-w", "-std=gnu17", str(path), "-o", "-"],
            capture_output=True, text=True, timeout=120)
    error = _ERROR.search(proc.stderr)
    if error is not None:
        return int(error.group(1)), int(error.group(2)), error.group(3)
    assert proc.returncode == 0, proc.stderr
    return ids_from_ir(proc.stdout)["f"][0]


def _ours(line: str, target: str = TARGET) -> tuple[int, int, str] | str:
    try:
        return cfi_typeid.typeid(line, target=target)
    except ParseError as e:
        assert e.line is not None and e.column is not None
        return e.line, e.column, e.message


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("line", CASES)
def test_we_refuse_where_clang_refuses_at_its_place_and_agree_elsewhere(line: str) -> None:
    theirs, ours = _clang(line), _ours(line)
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        assert not isinstance(ours, str), f"clang refuses ({theirs}); we answer {ours}"
        wanted = theirs[:1] if line in ELSEWHERE_ON_THE_LINE else theirs[:2]
        assert ours[:len(wanted)] == wanted, f"clang: {theirs}; ours: {ours}"


#: Refused on the same line, but clang points elsewhere: at the token after a `void` that is
#: not alone, at the `(` of a list with a qualified `void`; we point at the parameter.
ELSEWHERE_ON_THE_LINE = frozenset({"void f(void, ...)", "void f(void, int)",
                                   "void f(const void)"})


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("prelude", [
    "struct S { int m; };\nstruct S { int m; };", "struct S;\nunion S { int x; };",
    "typedef _Noreturn int N;", "void g(int a, int a);",
])
def test_a_prelude_declaration_clang_refuses_is_skipped_with_a_warning(prelude: str) -> None:
    """A prelude is read as tolerantly as a header: the declaration clang refuses is skipped,
    and the answer says so, at clang's line and column."""
    theirs = _clang(f"{prelude}\nvoid f(void)")
    assert not isinstance(theirs, str)
    warnings = prelude_warnings(prelude, lang="c", target=TARGET)
    assert len(warnings) == 1 and warnings[0].startswith(f"prelude:{theirs[0]}:{theirs[1]}:"), \
        (warnings, theirs)


#: Constant expressions clang folds in C's types, wrapping where they overflow (it warns, and
#: accepts the folded array length or enumerator value).
CONSTANTS = (
    "1 << 62", "(1 << 30) * 4", "1L << 62", "-1 + 2u", "0u - 1", "(char)300",
    "(unsigned char)-1", "(-1) >> 1 ? 3 : 4", "1 ? 2 : 3u", "-1 < 0u", "sizeof(int) - 5 > 0",
    "0xffffffff + 1", "4294967295 + 1", "-1 >> 40", "1 << -1", "-2147483647 - 1 == 0x80000000",
    "'\\377' + 300", "(short)65537 + (_Bool)7", "~0u >> 28", "-5 / 2 + 4", "-5 % 3 + 4",
    "10 / -3u", "0x7fffffffffffffff * 2 + 3", "(long long)1 << 63 >> 62", "1 ? -1 : 0u",
    "1ull << 63 >> 60", "9223372036854775808 >> 60", "0x80000000 >> 31", "2147483648 >> 31",
    "1ul << 40 >> 38", "(long)-1 > 0u", "sizeof(long) * -1 > 0",
)


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("target", [TARGET, "i686-unknown-linux-gnu"])
def test_constant_expressions_fold_as_clang_folds_them(target: str) -> None:
    lines = [f"void f(int (*)[{c}])" for c in CONSTANTS] + [
        f"enum {{ A = {c} }}; void f(int (*)[A + 1 > 0 ? A + 1 : 1])" for c in CONSTANTS[:8]] + [
        "enum { A = 0x7fffffff, B }; void f(int (*)[B])",
        "enum { A = 4294967296 }; void f(int (*)[A])"]
    wrong = []
    for line in lines:
        theirs, ours = _clang(line, target), _ours(line, target)
        if isinstance(theirs, str) != isinstance(ours, str) or (isinstance(theirs, str)
                                                                and ours != theirs):
            wrong.append(f"{line}: clang {theirs}, ours {ours}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("decl", [
    "void f(int __attribute__((vector_size(3))) x);",
    "void f(int __attribute__((mode(XX))) x);",
    "void f(int __attribute__((vector_size(16))) x, y);",
    "void f(int __attribute__((vector_size(16))) x, y) { int a = 1; }",
])
def test_an_error_shows_the_line_as_written(decl: str) -> None:
    """The parser reads the line with attributes rewritten in place (``__cfi_mode_XX``); the
    caret is drawn under the line the user wrote."""
    from cfi_typeid import typeid
    from cfi_typeid.errors import ParseError
    with pytest.raises(ParseError) as info:
        typeid(decl)
    assert str(info.value).split("\n")[1] == f"  {decl}"
    assert "__cfi_" not in str(info.value)
