"""Hypothesis strategies that draw what cfi_typeid answers, for fuzzing it against a compiler.

``pip install cfi_typeid[fuzz]`` brings hypothesis; ``python -m cfi_typeid fuzz`` runs them
against clang-19 and rustc (or any compiler, see :mod:`cfi_typeid.cli.fuzz`).  The same
strategies drive the differential tests, so what is drawn is what the tests hold to the
compilers:

* :func:`c_cases` draws C prototypes within what clang accepts on the target (models from
  :mod:`.c`, spelled in one of the many ways C allows), with the prelude they use;
* :func:`rust_cases` draws Rust signatures and the items they use (:mod:`.rust`), written to
  compile under rustc 1.95 with the features of :data:`.rust.FEATURES`;
* :func:`mutated_typeids`, :func:`noisy_text` and :func:`batch_lines` draw hostile input for
  the parsers, the decoder and ``batch``, which must answer it or raise our typed errors.

Each drawn case carries its target and prelude and gives the ids cfi_typeid computes for it
(:meth:`CCase.typeids`, :meth:`RustCase.typeids`): six fields, as ``batch`` writes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Mapping

try:
    from hypothesis import strategies as st
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError("cfi_typeid.strategies needs hypothesis: "
                      "pip install 'cfi_typeid[fuzz]'") from e

from .. import api
from ..errors import CfiTypeidError
from ..model import FunctionType
from . import c as c_strategies
from . import rust as rust_strategies
from .c import CLANG_TYPEDEFS, SHARED_PRELUDE, TRIPLES, function_types, spelled

__all__ = ["CCase", "RustCase", "c_cases", "c_source", "rust_cases", "c_mutants",
           "rust_mutants", "mutated_typeids", "noisy_text",
           "SHARED_PRELUDE", "CLANG_TYPEDEFS",
           "batch_lines", "FIELDS", "c_strategies", "rust_strategies"]

#: The six fields of an answer, as ``batch`` writes them.
FIELDS = ("plain", "generalized", "normalized", "normalized_generalized", "kcfi",
          "kcfi_normalized")

Answer = dict[str, str] | str


def _answer(decl: str, **kw: object) -> Answer:
    """Our six fields, or the message of the error we give instead."""
    try:
        return api.typeids(decl, **kw).to_json()  # type: ignore[arg-type]
    except CfiTypeidError as e:
        return f"error: {e.message}"


@dataclass(frozen=True)
class CCase:
    """A C prototype of the function ``name`` on ``target``; ``model`` is the type drawn."""

    target: str
    decl: str
    model: FunctionType
    name: str = "f"
    prelude: str = SHARED_PRELUDE
    #: a mutant (:func:`c_mutants`): ``decl`` or ``prelude`` no longer says ``model``
    mutated: bool = False

    def renamed(self, name: str) -> CCase:
        decl = re.sub(rf"\b{re.escape(self.name)}\b", name, self.decl, count=1)
        return CCase(self.target, decl, self.model, name, self.prelude, self.mutated)

    def typeids(self) -> Answer:
        return _answer(self.decl, target=self.target, prelude=self.prelude)

    def batch_line(self) -> str:
        return json.dumps({"decl": self.decl, "target": self.target, "prelude": self.prelude})


def c_source(cases: list[CCase]) -> str:
    """One translation unit for a C compiler: the prelude (and the typedefs cfi_typeid
    predefines, from the compiler's own macros), every prototype, every address taken."""
    decls = "".join(f"{c.decl};\n" for c in cases)
    table = ", ".join(f"(void *){c.name}" for c in cases)
    prelude = cases[0].prelude if cases else SHARED_PRELUDE
    return (f"{_predefined(prelude)}{prelude}{_file_scope_tags(decls, prelude)}{decls}"
            f"void *cfi_case_table[] = {{ {table} }};\n")


_TAG = re.compile(r"\b(struct|union|enum)\s+([A-Za-z_]\w*)")


def _file_scope_tags(decls: str, prelude: str) -> str:
    """A declaration at file scope of each tag the prototypes name that the prelude does not:
    cfi_typeid reads a tag a line names as one declared before it, while a tag first named
    in a parameter list is local to that prototype, whose type then has no linkage (clang
    gives it a module-local id, not a string)."""
    known = {name for _, name in _TAG.findall(prelude)}
    wanted = {name: kind for kind, name in _TAG.findall(decls) if name not in known}
    return "".join(f"{kind} {name};\n" for name, kind in sorted(wanted.items()))


def _predefined(prelude: str) -> str:
    """:data:`CLANG_TYPEDEFS` but those the prelude defines itself: cfi_typeid predefines
    them for the target, and a prelude's own definition takes their place (``typedef long
    size_t;``), as it would in a translation unit that includes no header."""
    return "".join(line + "\n" for line in CLANG_TYPEDEFS.splitlines()
                   if not re.search(rf"\btypedef\b[^;]*\b{line.split()[-1][:-1]}\s*;", prelude))


@st.composite
def _c_case(draw: st.DrawFn, target: str | None) -> CCase:
    triple = target or draw(st.sampled_from(TRIPLES))
    fn = draw(function_types(triple))
    return CCase(triple, draw(spelled(triple, fn, "f")), fn)


def c_cases(target: str | None = None) -> st.SearchStrategy[CCase]:
    """C prototypes (of a function ``f``) on ``target``, or on any of our targets."""
    return _c_case(target)


@dataclass(frozen=True)
class RustCase:
    """A Rust signature and the module of items it uses (:class:`.rust.Case`)."""

    target: str
    case: rust_strategies.Case

    @property
    def name(self) -> str:
        return self.case.name

    @property
    def prelude(self) -> str:
        return self.case.tool_prelude()

    @property
    def decl(self) -> str:
        return self.case.tool_decl()

    def renamed(self, name: str) -> RustCase:
        from dataclasses import replace
        return RustCase(self.target, replace(self.case, name=name,
                                             items=list(self.case.items),
                                             params=list(self.case.params),
                                             patterns=list(self.case.patterns)))

    def typeids(self, crates: Mapping[str, str] | None = None) -> Answer:
        return _answer(self.decl, lang="rust", target=self.target, prelude=self.prelude,
                       crates=dict(crates or {}))

    def batch_line(self, crates: Mapping[str, str] | None = None) -> str:
        return json.dumps({"decl": self.decl, "lang": "rust", "target": self.target,
                           "prelude": self.prelude, **({"crates": dict(crates)} if crates
                                                       else {})})


@st.composite
def _rust_case(draw: st.DrawFn, target: str | None) -> RustCase:
    triple = target or draw(st.sampled_from(tuple(rust_strategies.RUSTC_TARGETS)))
    return RustCase(triple, draw(rust_strategies.case("c", triple)))


def rust_cases(target: str | None = None) -> st.SearchStrategy[RustCase]:
    """Rust signatures (of a function ``c`` in a module ``c``) on ``target``, or on any."""
    return _rust_case(target)


# ---- mutants: what a compiler may refuse --------------------------------------------------

#: Parameters clang refuses or reads its own way (issue 17 found several accepted by us).
C_PARAMETER_MUTATIONS = (
    "void x", "static int", "int [][]", "int [](void)", "struct int", "register",
    "int (*)[99999999999999999999999]", "int (*)[18446744073709551616]", "int (*)[-1]",
    "int (*)[0x7fffffffffffffff]", "typedef int", "auto int", "void, int", "_BitInt(0)",
    "unsigned _BitInt(1)", "signed _BitInt(1)", "signed float", "long long long",
    "short char", "__int128 long", "int x, int x", "const const int", "int (*)[1.5]",
    "int (*)[sizeof(void)]", "enum E *", "enum Undeclared", "struct S[2]", "union U (*)(void)",
    "char (*)[E_B]", "int (*)[(1 << 62) * 4]", "_Atomic(const int)", "int restrict", "void (*)(void x)",
    "inline int", "_Noreturn int", "int f(void)",
    "int y, void (*y)(void)", "void (*)(int z, int z)", "int (*)[(1 << 30) * 4]",
    "int (*)[0u - 1]", "char (*)[(char)300]", "int (*)[-1 < 0u]", "int (*)[1 << -1]",
    "int (*)[sizeof(int) - 5 > 0]", "int (*)[sizeof(void (int))]", "void, ...", "const void",
    "int (*)[0x7fffffffffffffff * 2 + 3]", "struct Q { int a; int a; } *",
    "_Atomic void *", "_Atomic(int [2]) *", "_Atomic _BitInt(8) *", "_Atomic struct Node *",
    "_Atomic(_Atomic int)", "int *restrict _Atomic",
)
#: Prelude additions clang refuses (or that change what a name means).
C_PRELUDE_MUTATIONS = (
    "typedef int T; typedef long T;", "struct S { int m; };", "enum { E_A };",
    "enum E3 { Z = 99999999999999999999 };", "typedef int T0[0];", "typedef struct S S;",
    "typedef long size_t;", "struct Node;", "union S { int x; };", "typedef void V; V x;",
    "typedef int A[]; typedef A B[2];",
    "struct S2;\nunion S2 *us;", "enum E { E_Z };", "enum Color2 { RED };",
    "enum Big { BIG = 1u << 31, BIG2 };", "enum Wrap { WRAP = (1 << 30) * 4 };",
    "inline int iv;", "typedef _Noreturn void nf(void);", "void g2(int a, int a);",
    "struct Q { int a; int a; };", "int E_A;", "enum { EH }; typedef int EH;",
    "struct Node { struct Node *next; };", "int cint;", "struct Q2 { void (*cb)(int a, int a); };",
)


@st.composite
def _c_mutant(draw: st.DrawFn, target: str | None) -> CCase:
    case = draw(c_cases(target))
    if draw(st.booleans()):
        param = draw(st.sampled_from(C_PARAMETER_MUTATIONS))
        head, paren, tail = case.decl.partition(f"{case.name}(")
        rest = tail[len("void"):] if tail.startswith("void)") else tail
        decl = f"{head}{paren}{param}{'' if rest.startswith(')') else ', '}{rest}"
        return replace(case, decl=decl if paren else case.decl, mutated=True)
    addition = draw(st.sampled_from(C_PRELUDE_MUTATIONS))
    return replace(case, prelude=case.prelude + addition + "\n", mutated=True)


def c_mutants(target: str | None = None) -> st.SearchStrategy[CCase]:
    """C prototypes with one change that a compiler may refuse: a parameter of
    :data:`C_PARAMETER_MUTATIONS` first, or a declaration of :data:`C_PRELUDE_MUTATIONS` in
    the prelude.  We must refuse exactly what the compiler refuses."""
    return _c_mutant(target)


#: Parameter types rustc refuses (or sizes it checks), for :func:`rust_mutants`.
RUST_TYPE_MUTATIONS = (
    "[i32; 18446744073709551616]", "[u8; 1 << 64]", "[u8; usize::MAX]", "[[u64; 1 << 40]; 1 << 40]",
    "[u8; 0 - 1]", "[u8; N * 0x7fffffffffffffff]", "str", "[u8]", "dyn Fn()", "Self", "_",
    "&'zz u8", "u9", "Option<u8, u8>", "Box<u8>", "[u8; 1.5]", "(u8, str)", "fn(str)",
    "&mut &'static mut [u8; 2usize]", "[u8; 3u8]", "[u8; -1]", "[u8; 'a']", "[u8; true]",
    "core::ffi::c_long<u8>", "Option", "&dyn Copy", "*const dyn Fn()",
    "&(str, u8)", "&[str]", "*const [[u8]; 2]", "fn((u8, str))", "[u8; 1 << 62]",
)
#: Items rustc refuses, for :func:`rust_mutants`.
RUST_ITEM_MUTATIONS = (
    "pub type A = A;", "pub struct R(R);", "pub const M: usize = 0 - 1;",
    "#[repr(transparent)] pub struct T2(u8, u16);", "pub const N: usize = 3;",
    "pub struct N;", "#[repr(C, u8)] pub struct P(u8);", '#[cfi_encoding = ""] pub struct Q;',
    "pub type B = [u8; usize::MAX];", "pub union E {}",
    "pub type W<X> = (u8, W<X>);", "pub enum E2 { A(u8), B(E2) }", "pub fn N() {}",
    '#[track_caller] pub extern "C" fn tc() {}', "pub struct U2<'a>(&'a u8, &'zz u8);",
    "pub type T9 = (str, u8);", "pub struct V(u8, str);",
)


#: Mutations whose verdict needs ``core`` (its arithmetic impls, ``usize::MAX``, ``Box``,
#: ``Fn``): on the targets rustc compiles here without ``core`` (``#![no_core]``, every target
#: but x86_64 Linux) rustc refuses them for that alone, so they are drawn on x86_64 only.
RUST_MUTATIONS_NEEDING_CORE = frozenset({
    "[u8; 1 << 64]", "[u8; usize::MAX]", "[[u64; 1 << 40]; 1 << 40]", "[u8; 0 - 1]",
    "[u8; N * 0x7fffffffffffffff]", "dyn Fn()", "*const dyn Fn()", "Option<u8, u8>",
    "Box<u8>", "Option", "pub const M: usize = 0 - 1;", "pub type B = [u8; usize::MAX];",
    "[u8; 1 << 62]",
})


@st.composite
def _rust_mutant(draw: st.DrawFn, target: str | None) -> RustCase:
    from dataclasses import replace as replaced
    case = draw(rust_cases(target))
    c = case.case
    core = case.target == "x86_64-unknown-linux-gnu"
    items, types = ([m for m in pool if core or m not in RUST_MUTATIONS_NEEDING_CORE]
                    for pool in (RUST_ITEM_MUTATIONS, RUST_TYPE_MUTATIONS))
    if draw(st.booleans()) or not c.params:
        change = {"items": [*c.items, draw(st.sampled_from(items))],
                  "params": [*c.params, "u8"], "patterns": [*c.patterns, "_"]}
    else:
        i = draw(st.integers(0, len(c.params) - 1))
        change = {"params": c.params[:i] + [draw(st.sampled_from(types))]
                  + c.params[i + 1:]}
    return RustCase(case.target, replaced(c, **change))  # type: ignore[arg-type]


def rust_mutants(target: str | None = None) -> st.SearchStrategy[RustCase]:
    """Rust signatures with one change rustc may refuse (a parameter type of
    :data:`RUST_TYPE_MUTATIONS`, or an item of :data:`RUST_ITEM_MUTATIONS`)."""
    return _rust_mutant(target)


# ---- hostile input --------------------------------------------------------------------------

#: Pieces that valid declarations and ids are made of, for mutations to splice in.
_C_PIECES = ("int", "long", "(", ")", "*", "[", "]", ",", ";", "...", "void", "struct S",
             "typedef", "const", "__attribute__((", "/*", "*/", "#", "\n", "{", "}", "enum",
             "1", "0x", "sizeof", "'", '"', "\\", "\x00", "\ud800", "\u00e9", "99999999999",
             "9" * 4400, "(" * 300, "[1]" * 300)
_RUST_PIECES = ("fn", "(", ")", "->", "&", "'a", "<", ">", "::", ",", ";", "[u8; 4]",
                "extern \"C\"", "unsafe", "struct S", "type", "#[repr(C)]", "\"", "{", "}",
                "mod", "impl", "dyn", "0x", "1_000", "r#", "'", "\\u{d800}", "\ud800", "...",
                "9" * 4400, "0x" + "f" * 4400, "&" * 300, "(" * 300)
_ID_PIECES = ("F", "E", "v", "P", "K", "S_", "S0_", "u3i32", "u3refI", "I", "A", "_", "1",
              "9", "u", "N", "Cs", "Dh", "z", ".normalized", ".generalized", "U3mut", "Z")


def _mutated(base: st.SearchStrategy[str], pieces: tuple[str, ...]) -> st.SearchStrategy[str]:
    """``base`` with a few pieces inserted, characters deleted, or a span repeated."""
    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        text = draw(base)
        for _ in range(draw(st.integers(0, 4))):
            at = draw(st.integers(0, len(text)))
            op = draw(st.sampled_from(("insert", "delete", "repeat", "random")))
            if op == "insert":
                text = text[:at] + draw(st.sampled_from(pieces)) + text[at:]
            elif op == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 4)):]
            elif op == "repeat":
                end = min(len(text), at + draw(st.integers(1, 8)))
                text = text[:at] + text[at:end] * draw(st.integers(2, 300)) + text[end:]
            else:
                text = text[:at] + draw(st.text(max_size=4)) + text[at:]
        return text
    return mutate()


def mutated_typeids() -> st.SearchStrategy[str]:
    """Type ids clang and rustc would give (ours for drawn C types), then mutated."""
    @st.composite
    def encoded(draw: st.DrawFn) -> str:
        case = draw(c_cases())
        answer = case.typeids()
        if isinstance(answer, str):
            return "_ZTSFvE"
        return answer[draw(st.sampled_from(FIELDS[:4]))]
    return _mutated(st.one_of(encoded(), st.just("_ZTSFvu3refIu3strEE")), _ID_PIECES)


#: Declarations with a hole where a number, a name or a type goes, for :func:`_hostile`.
_C_HOLES = ("void f(int (*)[{}]);", "enum E {{ A = {} }}; void f(enum E);",
            "typedef int T[{}]; void f(T *);", "void f(_BitInt({}));", "void {}(void);",
            "struct {} {{ int x; }}; void f(struct {} *);", "void f({});",
            "void f(int (*)[sizeof(int) * {}]);")
_RUST_HOLES = ("fn f(a: [u8; {}])", "const N: usize = {}; fn f(a: [u8; N])",
               "fn f(a: *const [u8; {} + 1])", "#[cfi_encoding = \"{}\"] #[repr(transparent)] "
               "pub struct A(i32); fn f(a: A)", "fn {}()", "type A = {}; fn f(a: A)",
               "fn f(a: {})", "mod m {{ pub struct {}; }} fn f(a: &m::{})")
_FILLERS = ("9" * 4400, "0x" + "f" * 4400, "18446744073709551616", "-1", "0", "1 << 64",
            "99999999999999999999999", "", "\ud800", "(((((((((1)))))))))" * 30, "u8" * 1000,
            "&" * 200 + "u8", "*const " * 200 + "u8", "(" * 200 + "u8" + ")" * 200,
            "A" * 20_000, "int" + ", int" * 3000, "\\u{110000}", "'\\0'")


def _hostile(holes: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.builds(lambda hole, filler: hole.replace("{}", filler).replace(
        "{{", "{").replace("}}", "}"), st.sampled_from(holes),
        st.sampled_from(_FILLERS) | st.text(max_size=30))


def noisy_text(lang: str) -> st.SearchStrategy[str]:
    """Declarations of ``lang`` as drawn, then mutated; declarations with hostile numbers,
    names and types in their holes; and random text now and then."""
    if lang == "c":
        valid: st.SearchStrategy[str] = c_cases().map(lambda c: c.decl)
        pieces: tuple[str, ...] = _C_PIECES
        holes = _C_HOLES
    else:
        valid = rust_cases("x86_64-unknown-linux-gnu").map(lambda c: c.case.signature)
        pieces, holes = _RUST_PIECES, _RUST_HOLES
    return st.one_of(_mutated(valid, pieces), _hostile(holes), st.text(max_size=200))


def batch_lines() -> st.SearchStrategy[bytes]:
    """Lines for ``batch``: JSON objects with keys of any type, broken JSON, any bytes."""
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5),
                                                                     inner, max_size=3),
        max_leaves=8)
    keys = st.sampled_from(("decl", "lang", "prelude", "target", "crate", "crates", "salt",
                            "id"))
    objects = st.dictionaries(keys, values | st.sampled_from(
        ("void f(long)", "c", "rust", "fn f(a: i32)", "x86_64-unknown-linux-gnu")), max_size=6)
    as_json = objects.map(lambda o: json.dumps(o).encode("utf-8", "surrogatepass"))
    return st.one_of(as_json, _mutated(as_json.map(lambda b: b.decode("utf-8", "replace")),
                                       ("{", "}", '"', "NaN", "1e999", "\\ud800", "\r", "[" * 50,
                                        "9" * 5000)).map(
                         lambda s: s.encode("utf-8", "surrogateescape")
                         if not any("\ud800" <= ch <= "\udbff" for ch in s)
                         else s.encode("utf-8", "replace")),
                     st.binary(max_size=64))
