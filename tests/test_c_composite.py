"""A function or variable declared twice has C's composite type of the two declarations
(C17 6.2.7p3), and clang takes its ids from that (``ASTContext::mergeTypes``): a prototype
over none, an array's length over none, an enum's integer type over the enum, in either order
and inside pointers, arrays, parameters and return types.  One translation unit of pairs,
read by the header reader and compiled by clang-19, every function's address taken."""

from __future__ import annotations

import itertools

from conftest import needs_clang
from oracles import clang_ids
from cfi_typeid.sources.c_header import scan_c

PRELUDE = "enum X { A0 };\nstruct S;\n"

#: (one declaration, another) with ``NAME`` for the function's name; each pair is also read
#: the other way round.
PAIRS = [
    ("void NAME(enum X);", "void NAME(unsigned);"),
    ("void NAME(enum X *);", "void NAME(unsigned *);"),
    ("enum X NAME(void);", "unsigned NAME(void);"),
    ("void NAME(enum X, int);", "void NAME(unsigned, int);"),
    ("void NAME(int (*)[3]);", "void NAME(int (*)[]);"),
    ("void NAME(int (*)[][4]);", "void NAME(int (*)[2][4]);"),
    ("void NAME(void (*)(int));", "void NAME(void (*)());"),
    ("void NAME(void (*)(enum X));", "void NAME(void (*)(unsigned));"),
    ("int NAME();", "int NAME(int, long);"),
    ("int NAME();", "int NAME(void);"),
    ("enum X NAME();", "unsigned NAME(long);"),
    ("void NAME(struct S *(*)[]);", "void NAME(struct S *(*)[7]);"),
]
TRIPLES = [("void NAME(enum X, int (*)[]);", "void NAME(unsigned, int (*)[5]);",
            "void NAME(enum X, int (*)[]);")]


def _cases() -> list[list[str]]:
    cases = [list(p) for pair in PAIRS for p in (pair, pair[::-1])]
    cases += [list(t) for triple in TRIPLES for t in itertools.permutations(triple)]
    return cases


def _source() -> str:
    lines = [PRELUDE]
    for i, decls in enumerate(_cases()):
        lines += [d.replace("NAME", f"g{i}") for d in decls]
        lines.append(f"void *p{i} = (void *)&g{i};")
    return "\n".join(lines) + "\n"


@needs_clang
def test_redeclarations_have_clangs_composite_type() -> None:
    text = _source()
    truth = clang_ids(text, "x86_64-unknown-linux-gnu")
    scan = scan_c(text, filename="composite.h")
    assert not scan.diagnostics, scan.diagnostics
    ours = {d.name: [d.typeids.plain, d.typeids.generalized] for d in scan.declarations
            if d.kind == "function"}
    cases = _cases()
    wrong = [(cases[int(name[1:])], ours.get(name), ids) for name, ids in truth.items()
             if name.startswith("g") and ours.get(name) != ids]
    assert not wrong
    assert len(ours) == len(cases)


#: Redeclarations clang refuses as conflicting types (True) or accepts (False): we refuse
#: the same ones rather than answer for one of the two types.
CONFLICTS = {
    "void g(const enum X *); void g(const unsigned *);": True,
    "void g(volatile enum X *); void g(volatile unsigned *);": True,
    "void g(const enum X **); void g(const unsigned **);": True,
    "const enum X *g(void); const unsigned *g(void);": True,
    "void g(const enum X (*)[2]); void g(const unsigned (*)[2]);": True,
    "void g(enum X (*)[2]); void g(unsigned (*)[2]);": False,
    "void g(void (*)(const enum X *)); void g(void (*)(const unsigned *));": True,
    "void g(void (*)(const enum X)); void g(void (*)(const unsigned));": False,
    "void g(int (*)[2]); void g(int (*)[3]);": True,
    "void g(int (*)[2]); void g(long (*)[2]);": True,
    "void g(void (*)(int)); void g(void (*)(int, int));": True,
    "void g(void (*)(int)); void g(void (*)(long));": True,
    "void g(void (*)(int)); void g(void (*)(int, ...));": True,
    "void g(void (*)(int)); void g(int (*)(int));": True,
    "void g(void (*)()); void g(void (*)(int, int));": False,
    "void g(const enum X *); void g(enum X *);": True,
    "void g(const struct S *); void g(struct S *);": True,
    "void g(volatile struct S *); void g(const struct S *);": True,
    "void g(const enum X *); void g(unsigned *);": True,
    "void g(const int (*)[2]); void g(int (*)[2]);": True,
    "void g(const int (*)[2]); void g(const int (*)[]);": False,
    "void g(int (*)[2][3]); void g(int (*)[2][4]);": True,
    "void g(int (*)[][3]); void g(int (*)[2][3]);": False,
    "void g(int *restrict *); void g(int **);": True,
    "void g(int *restrict); void g(int *);": False,
    "void g(struct S *); void g(struct T *);": True,
    "enum X g(void); unsigned g(void);": False,
    "const int g(void); int g(void);": True,
}


@needs_clang
def test_conflicting_redeclarations_are_refused_as_clang_refuses_them() -> None:
    import subprocess
    import tempfile
    from pathlib import Path

    from oracles import CLANG
    assert CLANG is not None
    wrong = []
    with tempfile.TemporaryDirectory() as d:
        for decls, conflict in CONFLICTS.items():
            text = f"enum X {{ A0 }};\nstruct S {{ int a; }};\nstruct T;\n{decls}\n"
            path = Path(d) / "case.c"
            path.write_text(text)
            clang = subprocess.run([CLANG, "-fsyntax-only", "-std=gnu17", str(path)],
                                   capture_output=True, text=True)
            assert (clang.returncode != 0) == conflict, (decls, clang.stderr)
            ours = any("conflicting types" in str(diag)
                       for diag in scan_c(text, filename="case.h").diagnostics)
            if ours != conflict:
                wrong.append(decls)
    assert not wrong
