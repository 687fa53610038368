"""C11 ``_Atomic``: clang-19 mangles it ``U7_Atomic <type>`` (a substitution candidate, its
cv-qualifiers outside).  The golden cases (tests/golden/c.jsonl, "_Atomic ...") hold the six
fields clang gives; here: what clang refuses, with our position; the decoder reading every
golden id back; its C rendering compiled by clang to the same id; Rust saying it has no
_Atomic; and ``check``'s newtype compiled by rustc to clang's id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cfi_typeid
from cfi_typeid.crosscheck.check import check
from cfi_typeid.errors import CfiTypeidError, NotExpressibleError, ParseError
from cfi_typeid.flavours import CLANG
from cfi_typeid.itanium.decoded import decode_typeid
from cfi_typeid.itanium.encoder import encode_function_type
from cfi_typeid.itanium.render_decoded import render_as_c, render_as_rust

from conftest import needs_clang, needs_rustc
from oracles import clang_ids, clang_ir, ids_from_ir, rustc_ir

GOLDEN = Path(__file__).parent / "golden" / "c.jsonl"
ATOMIC = [c for c in map(json.loads, GOLDEN.read_text().splitlines())
          if "_Atomic" in c["decl"] or "_Atomic" in c["prelude"]]
ACCEPTED = [c for c in ATOMIC if "expected" in c]
X86 = "x86_64-unknown-linux-gnu"

#: (prelude, declaration, column of the `_Atomic` clang points at, message part): clang-19
#: refuses each (checked below), we refuse it there.
REFUSED = (
    ("", "void f(_Atomic(const int) *p);", 8, "qualified type"),
    ("", "void f(int x, _Atomic(int *restrict) p);", 15, "qualified type"),
    ("", "void f(_Atomic(_Atomic int) *p);", 8, "atomic type"),
    ("struct S;", "void f(_Atomic struct S *p);", 8, "incomplete type 'struct S'"),
    ("", "void f(const _Atomic(void) *p);", 14, "incomplete type void"),
    ("typedef void F(void);", "void f(_Atomic F *p);", 8, "function type"),
    ("typedef int A[3];", "void f(A _Atomic *p);", 10, "array type"),
    ("", "void f(_Atomic(int[3]) *p);", 8, "array type"),
    ("", "void f(_Atomic __builtin_va_list *p);", 8, "array type"),
    ("", "void f(unsigned _BitInt(64) _Atomic *p);", 29, "_BitInt"),
)


@pytest.mark.parametrize("prelude, decl, column, message", REFUSED)
def test_what_clang_refuses_is_refused_at_the_atomic(prelude: str, decl: str, column: int,
                                                     message: str) -> None:
    with pytest.raises(ParseError) as caught:
        cfi_typeid.typeid(f"{prelude}\n{decl}" if prelude else decl)
    text = str(caught.value)
    assert message in text
    assert f":{2 if prelude else 1}:{column}:" in text


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("prelude, decl, column, message", REFUSED)
def test_clang_refuses_them_too(prelude: str, decl: str, column: int, message: str) -> None:
    with pytest.raises(RuntimeError, match="_Atomic cannot be applied"):
        clang_ir(f"{prelude}\n{decl}\nvoid *t = (void *)f;\n", X86)


def _golden_ids(case: dict[str, object]) -> list[str]:
    expected = case["expected"]
    assert isinstance(expected, dict)
    return [v for k, v in expected.items() if not k.startswith("kcfi")]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["note"] for c in ACCEPTED])
def test_the_decoder_reads_clangs_ids_back(case: dict[str, object]) -> None:
    for typeid in _golden_ids(case):
        decoded = decode_typeid(typeid)
        body = typeid.removeprefix("_ZTS").split(".")[0]
        assert encode_function_type(decoded.function, CLANG) == body


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["note"] for c in ACCEPTED])
def test_rust_says_it_has_no_atomic(case: dict[str, object]) -> None:
    expected = case["expected"]
    assert isinstance(expected, dict)
    with pytest.raises(NotExpressibleError, match="Rust has no _Atomic"):
        render_as_rust(decode_typeid(expected["plain"]))


@needs_clang
@pytest.mark.clang
def test_clang_gives_the_rendered_c_the_decoded_id() -> None:
    by_target: dict[str, list[str]] = {}
    for case in ACCEPTED:
        expected = case["expected"]
        assert isinstance(expected, dict) and isinstance(case["target"], str)
        by_target.setdefault(case["target"], []).append(expected["plain"])
    for target, wanted in by_target.items():
        decls = [render_as_c(decode_typeid(t), f"f{i}") for i, t in enumerate(wanted)]
        assert all("_Atomic(" in c.decl for c in decls)
        preludes = dict.fromkeys(line for c in decls for line in c.prelude.splitlines())
        source = "\n".join(preludes) + "\n" + "".join(f"{c.decl}\n" for c in decls) \
            + "void *cfi_table[] = { " + ", ".join(f"(void *)f{i}" for i in
                                                   range(len(wanted))) + " };\n"
        ids = clang_ids(source, target)
        assert [ids[f"f{i}"][0] for i in range(len(wanted))] == wanted
        for c, typeid in zip(decls, wanted):  # and we read our rendering as clang does
            assert cfi_typeid.typeid(c.prelude + "\n" + c.decl, target=target) == typeid


def test_check_names_atomic_as_the_cause() -> None:
    report = check("void f(_Atomic int *p);", 'extern "C" { fn f(p: *mut i32); }')
    text = json.dumps(report.to_json())
    assert "U7_Atomic" in text and "Rust has no _Atomic" in text


@needs_rustc
@pytest.mark.rustc
def test_the_suggested_newtype_gets_clangs_id() -> None:
    source = ('#![feature(cfi_encoding)]\n#[cfi_encoding = "U7_Atomici"]\n'
              "#[repr(transparent)]\npub struct Atomic(pub i32);\n"
              '#[no_mangle]\npub extern "C" fn f(_p: *mut Atomic, _q: *const Atomic) {}\n')
    ids = ids_from_ir(rustc_ir(source, normalize=False))
    # clang: void f(_Atomic int *p, const _Atomic int *q)
    assert "_ZTSFvPU7_AtomiciPKS_E" in ids["f"]
    assert cfi_typeid.typeid("void f(_Atomic int *p, const _Atomic int *q)") \
        == "_ZTSFvPU7_AtomiciPKS_E"


def test_no_traceback_for_odd_atomic_spellings() -> None:
    for decl in ("void f(_Atomic);", "void f(_Atomic( int *p);", "void f(_Atomic() x);",
                 "_Atomic", "void f(int _Atomic _Atomic *p, struct _Atomic *q);",
                 "void f(_Atomic(int) _Atomic(int) x);"):
        try:
            cfi_typeid.typeid(decl)
        except CfiTypeidError:
            pass


def _atomic_functions(triple: str, count: int) -> list[str]:
    """``count`` distinct prototypes (``f0``...) whose parameters and return type are drawn
    _Atomic types, pointers to them and plain types, in drawn spellings; the same each run."""
    from hypothesis import strategies as st

    from cfi_typeid.model import Atomic, Pointer, Qualified, Type
    from cfi_typeid.targets import TARGETS
    from strategies import object_types
    from cfi_typeid.strategies.c import atomic_types
    from test_differential_c import drawn_prototypes

    atomic = atomic_types(TARGETS[triple])
    part: st.SearchStrategy[Type] = st.one_of(
        atomic, atomic.map(Pointer), atomic.map(lambda t: Pointer(Qualified(t, const=True))),
        atomic.map(lambda t: Pointer(Qualified(t, volatile=True))),
        atomic.map(lambda t: Pointer(Atomic(Pointer(t)))), object_types(triple, 1))
    return drawn_prototypes(triple, count, part)


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("triple", ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu",
                                    "i686-unknown-linux-gnu"])
def test_drawn_atomic_prototypes_match_clang(triple: str) -> None:
    from test_differential_c import mismatches_with_clang

    decls = _atomic_functions(triple, 60)
    assert sum("_Atomic " in d for d in decls) and sum("_Atomic(" in d for d in decls)
    mismatches = mismatches_with_clang(decls, triple)
    assert not mismatches, "\n".join(mismatches[:20])
