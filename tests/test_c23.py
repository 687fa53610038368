"""``--std c23`` (clang's ``-std=c23``) against clang-19, and the default (gnu17) left as it was.

What C23 changes in a type id: ``void f()`` is a prototype without parameters (``_ZTSFvvE``;
gnu17 ``_ZTSFvE``), ``void f(...)`` is accepted (``_ZTSFvzE``), ``true``/``false`` are constants
and ``nullptr_t`` is a type (``Dn``, a builtin: no substitution candidate, unlike ``PDn``).  What
clang-19 accepts in both (``[[attributes]]``, ``typeof_unqual``, ``_BitInt(N)``, ``alignof``,
binary literals, ``static_assert``) is checked in C23 here too, and so are digit
separators (``1'000``), which gnu17 refuses.  Each case is one function of one
translation unit compiled by clang-19 with its address taken; the ids are compared with what
:func:`cfi_typeid.typeids` and the header reader give.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import needs_clang, needs_rustc
from oracles import clang_ids
from cfi_typeid import ParseError, UsageError, typeid, typeids
from cfi_typeid.api import prelude_warnings
from cfi_typeid.sources.c_header import preprocessor, scan_c

TARGET = "x86_64-unknown-linux-gnu"

#: Declarations before the cases (read by both sides).
PRELUDE = """\
struct S;
typedef typeof(nullptr) nullptr_t;  // (<stddef.h>; predefined here too)
static_assert(sizeof(int) == 4, "int");
static_assert(1);
alignas(8) int aligned_global;
enum { SEPARATED = 1'0, SEMICOLON = ';' };
struct separated { char pad[1'0]; int b __attribute__((aligned(1'6))); } __attribute__((aligned(6'4)));
struct two { char p[1'0]; char q[2'0]; char b __attribute__((aligned(16))); char c; long d; } __attribute__((packed));
struct quoted { char c __attribute__((aligned(sizeof(';') * 0x1'0))); char semicolon[';']; };
"""

#: C23 declarations, each of one function named ``fN`` (N its index).
CASES = [
    "void NAME();",
    "int NAME();",
    "void NAME(...);",
    "int NAME(void (*)(), int (*)());",
    "void NAME(bool, _Bool);",
    "void NAME(nullptr_t, nullptr_t, nullptr_t *, nullptr_t *);",
    "void NAME(typeof(nullptr));",
    "nullptr_t NAME(struct S *, struct S *);",
    "void NAME(int (*)[true], int (*)[false + 2]);",
    "void NAME(int (*)[sizeof(true)], int (*)[true + true], int (*)[-true + 3]);",
    "void NAME(_BitInt(7), unsigned _BitInt(65), _BitInt(128));",
    "[[deprecated]] void NAME([[maybe_unused]] int x, [[maybe_unused]] long);",
    "[[nodiscard]] int NAME(int (*)[0b101]);",
    "void NAME(typeof_unqual(const int) *, typeof(const int) *);",
    "void NAME(int (*)[alignof(long)], int (*)[_Alignof(short)]);",
    "void (*NAME(void))();",
    "int NAME(int, ...);",
    "void NAME(int (*)[1'000], int (*)[0xf'f], int (*)[0b1'0'1], int (*)[1'0u]);",
    "void NAME(int (*)[SEPARATED], int (*)[SEMICOLON], int (*)[sizeof(1'0LL)]);",
    # (a struct's layout attributes, digit separators in their arguments and its body)
    "void NAME(int (*)[sizeof(struct separated)], int (*)[_Alignof(struct separated)],"
    " int (*)[sizeof(struct quoted)], int (*)[_Alignof(struct quoted)],"
    " int (*)[sizeof(struct two)]);",
]


def _source() -> str:
    lines = [PRELUDE]
    for i, case in enumerate(CASES):
        lines.append(case.replace("NAME", f"f{i}"))
    lines.append("void *table[] = {" + ", ".join(f"(void *)f{i}" for i in range(len(CASES)))
                 + "};")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def truth() -> dict[str, list[str]]:
    plain = clang_ids(_source(), TARGET, std="c23")
    normalized = clang_ids(_source(), TARGET, normalize=True, std="c23")
    return {name: plain[name] + normalized[name] for name in plain}


@needs_clang
@pytest.mark.parametrize("index", range(len(CASES)))
def test_each_declaration_as_clang_reads_c23(truth: dict[str, list[str]], index: int) -> None:
    decl = CASES[index].replace("NAME", f"f{index}")
    ids = typeids(decl, prelude=PRELUDE, std="c23")
    expected = truth[f"f{index}"]
    assert sorted(expected) == sorted([ids.plain, ids.generalized, ids.normalized,
                                       ids.normalized_generalized])


@needs_clang
def test_the_header_reader_reads_c23_as_clang(truth: dict[str, list[str]]) -> None:
    scan = scan_c(_source(), target=TARGET, std="c23")
    assert scan.diagnostics == ()
    found = {d.name: d.typeids for d in scan.declarations if d.kind == "function"}
    for i in range(len(CASES)):
        ids = found[f"f{i}"]
        assert sorted(truth[f"f{i}"]) == sorted([ids.plain, ids.generalized, ids.normalized,
                                                 ids.normalized_generalized]), CASES[i]


@needs_clang
def test_gnu17_is_unchanged_and_matches_clang() -> None:
    source = "void f0();\nint f1(void (*)());\nvoid *t[] = {(void *)f0, (void *)f1};\n"
    truth = clang_ids(source, TARGET)
    assert truth["f0"][0] == typeid("void f0();") == "_ZTSFvE"
    assert truth["f1"][0] == typeid("int f1(void (*)());") == "_ZTSFiPFvEE"
    assert typeid("void f0();", std="gnu17") == "_ZTSFvE"
    assert typeid("void f0();", std="c23") == typeid("void f0();", std="gnu23") == "_ZTSFvvE"


@pytest.mark.parametrize("decl", ["void f(...);", "void f(typeof(nullptr));",
                                  "void f(int (*)[1'000]);",
                                  "void f(int (*)[true]);", "void f(nullptr_t);"])
def test_gnu17_refuses_what_only_c23_has(decl: str) -> None:
    with pytest.raises(ParseError):
        typeid(decl)


def test_c23_has_no_knr_definitions() -> None:
    # clang-19 -std=c23: "unknown type name 'a'"
    with pytest.raises(ParseError):
        typeid("int g(a) int a; { return a; }", std="c23")
    assert typeid("int g(a) int a; { return a; }") == "_ZTSFiiE"


def test_constexpr_is_refused_saying_so() -> None:
    warnings = prelude_warnings("constexpr int N = 3;", std="c23")
    assert len(warnings) == 1 and "constexpr objects (C23) are not supported" in warnings[0]
    scan = scan_c("constexpr int N = 3;\nvoid f(void);\n", std="c23")
    assert "constexpr objects" in scan.diagnostics[0].message
    assert [d.typeids.plain for d in scan.declarations] == ["_ZTSFvvE"]


def test_an_unknown_standard_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown C standard"):
        typeid("void f();", std="c99")


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_encode_check_and_batch_take_the_standard() -> None:
    assert _cli("encode", "--std", "c23", "void f();").stdout == "_ZTSFvvE\n"
    assert _cli("encode", "void f();").stdout == "_ZTSFvE\n"
    lines = _cli("batch", stdin='{"decl": "void f();", "std": "c23"}\n{"decl": "void f();"}\n'
                 ).stdout.splitlines()
    assert [json.loads(line)["typeids"]["plain"] for line in lines] == ["_ZTSFvvE", "_ZTSFvE"]
    checked = _cli("check", "--std", "c23", "--c", "void f();", "--rust",
                   'extern "C" fn f()', "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_clang
def test_header_cpp_passes_the_standard(tmp_path: Path) -> None:
    header = tmp_path / "h.h"
    header.write_text("#if __STDC_VERSION__ > 201710L\nvoid c23(long);\n#else\n"
                      "void gnu17(long);\n#endif\nvoid f();\n")
    assert "-std=c23" in preprocessor(TARGET, "c23")
    assert not any(arg.startswith("-std=") for arg in preprocessor(TARGET))
    out = _cli("header", "--std", "c23", "--jsonl", str(header), "--cpp").stdout
    records = {r["name"]: r["typeids"]["plain"] for r in map(json.loads, out.splitlines())}
    assert records == {"c23": "_ZTSFvlE", "f": "_ZTSFvvE"}
    out = _cli("header", "--jsonl", str(header), "--cpp").stdout
    records = {r["name"]: r["typeids"]["plain"] for r in map(json.loads, out.splitlines())}
    assert records == {"gnu17": "_ZTSFvlE", "f": "_ZTSFvE"}


@needs_rustc
def test_check_bindings_reads_the_header_as_c23(tmp_path: Path) -> None:
    # a C23 header's `void f()` is `void f(void)`: Rust's `fn f()` matches it (gnu17: no)
    (tmp_path / "h.h").write_text("void f();\n")
    (tmp_path / "b.rs").write_text('extern "C" { pub fn f(); }\n')
    args = ("check-bindings", "--c", str(tmp_path / "h.h"), "--rust", str(tmp_path / "b.rs"))
    assert _cli(*args, "--std", "c23").returncode == 0
    assert _cli(*args).returncode == 1
