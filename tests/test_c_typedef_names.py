"""A tagless struct, union or enum named by its typedef (``typedef struct {...} Anon;``) is
spelled ``4Anon`` as the tag ``struct Anon`` is, yet C has them as two types: clang spells the
name again for the other one, never substitutes it (``_ZTSFvP4AnonP4AnonE``).  Each case is
read by the header reader and compiled by clang-19, every function defined."""

from __future__ import annotations

import pytest

from conftest import needs_clang
from oracles import clang_ids
from cfi_typeid.sources.c_header import scan_c

CASES = {
    "tag after": "typedef struct { int x; } Anon;\nstruct Anon { int y; };\n"
                 "void f(Anon *a, struct Anon *b) {}\n",
    "tag before": "struct Anon;\ntypedef struct { int x; } Anon;\n"
                  "void f(struct Anon *a, Anon *b, Anon *c, struct Anon *d) {}\n",
    "enum": "typedef enum { A0 } E;\nenum E { B0 };\nvoid f(E a, enum E b, E *c, enum E *d) {}\n",
    "union": "typedef union { int i; } U;\nunion U { long l; };\n"
             "void f(U *a, union U *b, U *c) {}\n",
    "same type twice": "typedef struct { int x; } T;\nvoid f(T *a, T *b, const T *c) {}\n",
    "through a typedef": "typedef struct { int x; } T;\ntypedef T T2;\nstruct T { int y; };\n"
                         "void f(T2 *a, T *b, struct T *c, T2 c2) {}\n",
    "in a function pointer": "typedef struct { int x; } Anon;\nstruct Anon;\n"
                             "void f(void (*cb)(Anon *, struct Anon *), struct Anon *a) {}\n",
}


@needs_clang
@pytest.mark.parametrize("name", sorted(CASES))
def test_typedef_named_tagless_types_are_not_their_tags(name: str) -> None:
    text = CASES[name]
    truth = clang_ids(text, "x86_64-unknown-linux-gnu")["f"]
    scan = scan_c(text, filename=f"{name}.h")
    assert not scan.diagnostics
    (f,) = [d for d in scan.declarations if d.name == "f"]
    assert [f.typeids.plain, f.typeids.generalized] == truth


def test_rendered_by_the_typedef_name() -> None:
    scan = scan_c(CASES["tag after"], filename="t.h")
    (f,) = [d for d in scan.declarations if d.name == "f"]
    assert f.text == "void (Anon *, struct Anon *)"
    assert f.typeids.plain == "_ZTSFvP4AnonP4AnonE"


def test_two_declarations_that_differ_only_there_conflict() -> None:
    """``void g(Anon *); void g(struct Anon *);`` are conflicting types, as clang says."""
    scan = scan_c("typedef struct { int x; } Anon;\nstruct Anon;\n"
                  "void g(Anon *);\nvoid g(struct Anon *);\n", filename="t.h")
    assert scan.diagnostics
