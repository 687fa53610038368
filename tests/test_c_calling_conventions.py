"""The C side of calling conventions, against clang-19 on every target of the table whose C
ids are Itanium: ``ms_abi`` (x86-64 and AArch64 outside Windows) and ``sysv_abi`` (x86-64
Windows) are the vendor qualifiers ``U6ms_abi`` / ``U8sysv_abi`` on the function type they
name, wherever the attribute is written; the other calling-convention attributes add nothing.
"""

from __future__ import annotations

import pytest

import cfi_typeid
from cfi_typeid.targets import TARGETS
from cfi_typeid.crosscheck.check import check
from conftest import needs_clang, needs_rustc
from oracles import clang_ir, ids_from_ir, rustc_ir

CASES = {
    "ms1": "__attribute__((ms_abi)) int ms1(int a)",
    "ms2": "void ms2(int (__attribute__((ms_abi)) *p)(int))",
    "ms3": "void ms3(int (__attribute__((ms_abi)) *p)(int), int (__attribute__((ms_abi)) *q)(int))",
    "ms4": "void ms4(int (*p)(int), int (__attribute__((ms_abi)) *q)(int))",
    "ms5": "__attribute__((ms_abi)) void ms5(int (__attribute__((ms_abi)) *p)(int), int (*q)(int))",
    "ms6": "__attribute__((ms_abi)) int ms6(int a, ...)",
    "ms7": "int __attribute__((ms_abi)) ms7(long a)",
    "ms8": "void ms8(efifn a, efifn b, void *c)",
    "ms9": "__attribute__((ms_abi)) void (*ms9(int a, void (*h)(int)))(int)",
    "ms10": "void ms10(__attribute__((ms_abi)) int (*p)(int))",
    "ms11": "void ms11(int (* __attribute__((ms_abi)) p)(int))",
    "ms12": "void ms12(int (__attribute__((ms_abi)) **p)(int))",
    "ms13": "void ms13(ft *p, const efifn *q)",
    "ms14": "void ms14(struct S *s, int (__attribute__((__ms_abi__, unused)) *p)(struct S *))",
    "sysv1": "__attribute__((sysv_abi)) int sysv1(int a)",
    "sysv2": "void sysv2(int (__attribute__((sysv_abi)) *p)(long))",
    "vc": "__attribute__((vectorcall)) int vc(int a)",
    "pm": "__attribute__((preserve_most)) int pm(int a)",
    "pa": "__attribute__((preserve_all)) int pa(int a)",
}
PRELUDE = ("struct S; typedef int (__attribute__((ms_abi)) *efifn)(void *);\n"
           "typedef __attribute__((ms_abi)) int ft(int);\n")
#: Itanium targets where clang-19 builds -fsanitize=cfi-icall
TRIPLES = [t for t, target in TARGETS.items()
           if not target.microsoft_mangling and not (target.arch == "arm" and target.os == "none")]


def _source() -> str:
    """Declarations whose addresses are taken: each gets its type metadata."""
    return (PRELUDE + "".join(f"{decl};\n" for decl in CASES.values())
            + "void *tab[] = {" + ", ".join(f"(void *){n}" for n in CASES) + "};\n")


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("triple", TRIPLES)
def test_calling_conventions_match_clang(triple: str) -> None:
    target = TARGETS[triple]
    plain = ids_from_ir(clang_ir(_source(), target.clang_triple))
    norm = ids_from_ir(clang_ir(_source(), target.clang_triple, normalize=True))
    wrong = []
    for name, decl in CASES.items():
        if name == "vc" and target.os == "windows":
            continue  # its symbol is "\01vc@@8" there, which ids_from_ir does not read
        ids = cfi_typeid.typeids(decl, prelude=PRELUDE, target=triple)
        ours = sorted([ids.plain, ids.generalized])
        if ours != sorted(plain[name]) or sorted(
                [ids.normalized, ids.normalized_generalized]) != sorted(
                    i for i in norm[name] if ".normalized" in i):
            wrong.append(f"{name}: ours {ids}, clang {plain[name]} {norm[name]}")
    assert not wrong, "\n".join(wrong)


def test_the_issue_examples() -> None:
    assert cfi_typeid.typeid("__attribute__((ms_abi)) int f(int);") == "_ZTSU6ms_abiFiiE"
    assert cfi_typeid.typeid("void g(int (__attribute__((ms_abi)) *)(int));") \
        == "_ZTSFvPU6ms_abiFiiEE"
    assert cfi_typeid.typeid("__attribute__((sysv_abi)) int f(int);",
                             target="x86_64-pc-windows-gnu") == "_ZTSU8sysv_abiFiiE"
    assert cfi_typeid.typeid("__attribute__((ms_abi)) int f(int);",
                             target="x86_64-pc-windows-gnu") == "_ZTSFiiE"


@needs_rustc
@pytest.mark.rustc
def test_rust_never_encodes_the_abi_so_check_says_no_rust_side_matches() -> None:
    """rustc gives extern "win64", "efiapi", "sysv64" and "C" functions one id: none of them
    carries U6ms_abi, which clang puts on the C function."""
    source = "".join(f'#[no_mangle] pub extern "{abi}" fn f_{i}(a: i32) -> i32 {{ loop {{}} }}\n'
                     for i, abi in enumerate(("C", "win64", "efiapi", "sysv64")))
    ids = ids_from_ir(rustc_ir(source))
    assert {ids[f"f_{i}"][0] for i in range(4)} == {"_ZTSFu3i32S_E"}
    for abi in ("win64", "efiapi", "sysv64"):
        assert cfi_typeid.typeid(f'extern "{abi}" fn f(a: i32) -> i32', lang="rust") \
            == "_ZTSFu3i32S_E"
    result = check("__attribute__((ms_abi)) int f(int);",
                   'extern "win64" fn f(a: core::ffi::cfi::c_int) -> core::ffi::cfi::c_int')
    assert not result.matches
    diff = result.comparisons[0].difference
    assert diff is not None and diff.where == "calling convention" and "U6ms_abi" in diff.cause
    assert check("int f(int);", 'extern "win64" fn f(a: core::ffi::cfi::c_int) -> '
                 "core::ffi::cfi::c_int").matches
