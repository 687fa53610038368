"""Overloads of one name declared ``__attribute__((overloadable))``, against clang-19.

clang's C overloading: two ``overloadable`` (or ``[[clang::overloadable]]``) declarations of
one name with other parameter types are two functions (``_Z2ovi``, ``_Z2ovl``), each with its
own ids; with the same parameter types (a typedef of them too) they are one function declared again.  The header
reader reports one record per overload, with the symbol clang links it by, and a prelude's
overload does not conflict with a declaration's.
"""

from __future__ import annotations

import pytest

from conftest import needs_clang
from oracles import clang_ids
from cfi_typeid import ParseError, typeid
from cfi_typeid.sources.c_header import scan_c

TARGET = "x86_64-unknown-linux-gnu"

SOURCE = """\
struct S;
typedef int I;
__attribute__((overloadable)) void ov(int);
__attribute__((overloadable)) void ov(long);
__attribute__((overloadable)) void ov(int);
__attribute__((overloadable)) int ov(struct S *, ...);
void __attribute__((overloadable)) ov(char *p) {}
__attribute__((overloadable)) void ov(I);
__attribute__((overloadable)) void ov(const int *, struct S *);
__attribute__((overloadable)) void ov(void (*)(long), struct S *);
void (*p1)(int) = ov;
void (*p2)(long) = ov;
int (*p3)(struct S *, ...) = ov;
void (*p4)(char *) = ov;
void (*p5)(const int *, struct S *) = ov;
void (*p6)(void (*)(long), struct S *) = ov;
"""


@needs_clang
def test_each_overload_is_a_function_of_its_own() -> None:
    truth = {name: ids for name, ids in clang_ids(SOURCE, TARGET).items()
             if name.startswith("_Z")}
    scan = scan_c(SOURCE, target=TARGET)
    assert scan.diagnostics == ()
    found = {d.symbol: [d.typeids.plain, d.typeids.generalized]
             for d in scan.declarations if d.kind == "function"}
    assert found == truth
    assert len(truth) == 6


def test_a_prelude_overload_and_the_declaration_asked_for() -> None:
    prelude = "__attribute__((overloadable)) void ov(int);"
    assert typeid("__attribute__((overloadable)) void ov(long);", prelude=prelude) \
        == "_ZTSFvlE"
    with pytest.raises(ParseError, match="conflicting types"):
        typeid("void ov(long);", prelude="void ov(int);")


def test_without_the_attribute_two_signatures_still_conflict() -> None:
    scan = scan_c("void f(int);\nvoid f(long);\n")
    assert [d.message for d in scan.diagnostics] == ["conflicting types for 'f'"]


@needs_clang
@pytest.mark.parametrize("std", ["gnu17", "c23"])
def test_the_standard_attribute_spelling(std: str) -> None:
    source = ("[[clang::overloadable]] void ov(int);\n[[clang::overloadable]] void ov(long);\n"
              "void (*p1)(int) = ov;\nvoid (*p2)(long) = ov;\n")
    truth = clang_ids(source, TARGET, std=std)
    scan = scan_c(source, target=TARGET, std=std)
    assert scan.diagnostics == ()
    found = {d.symbol: [d.typeids.plain, d.typeids.generalized]
             for d in scan.declarations if d.kind == "function"}
    assert found == truth == {"_Z2ovi": ["_ZTSFviE", "_ZTSFviE.generalized"],
                              "_Z2ovl": ["_ZTSFvlE", "_ZTSFvlE.generalized"]}
