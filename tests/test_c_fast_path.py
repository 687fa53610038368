"""The C front end parses the fast way (the transformer runs inside the LALR parser, no tree)
and falls back to the tree parse when the transformer raises, or when a declaration could nest
deeply.  Both ways must give the same answer, and the same error at the same place, for every
input: a tree parse reports a syntax error anywhere in a declaration before any error of
meaning, and the fallback is what keeps that true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfi_typeid.c import frontend as c_frontend
from cfi_typeid.c.scope import Scope
from cfi_typeid.errors import CfiTypeidError, ParseError
from cfi_typeid.targets import DEFAULT_TARGET, TARGETS
from strategies import SHARED_PRELUDE, TRIPLES, function_types, spelled

_GOLDEN = [json.loads(line) for line in
           (Path(__file__).parent / "golden" / "c.jsonl").read_text().splitlines() if line]

_EXTRA = [
    ("", "float double f(int"),            # meaning error, then a syntax error: syntax first
    ("", "enum {A=1, B=1/0} f(int)"),
    ("", "enum E {A=1/0}; void f(enum E);"),
    ("enum {A = 5};", "enum {B = A, A = 1, C = B} x; void f(int (*)[A], int (*)[C]);"),
    ("enum {A = 5};", "enum {B = A, A = 1, C = 1 / 0} x; void f(void);"),
    ("", "void f(int x[-1]"),
    ("", "void f(void, int)"),
    ("", "typedef int T; T f(T, int (*)[sizeof(T)]);"),
    ("", "void f(" + "int (*" * 120 + "x" + ")(void)" * 120 + ");"),   # deep: tree parse
    ("", "void f(" + ", ".join(["int"] * 150) + ");"),
    ("", "void f(unknown_t);"),
    ("", "void f(_Atomic int);"),
]


def _answer(prelude: str, decl: str, triple: str) -> object:
    try:
        return c_frontend.parse_c_type(decl, prelude, TARGETS[triple])
    except CfiTypeidError as e:
        assert isinstance(e, ParseError)
        return (type(e).__name__, str(e))


def _both_ways(prelude: str, decl: str, triple: str,
               monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    answers = []
    for fast in (True, False):  # False: every declaration goes the tree way
        monkeypatch.setattr(c_frontend, "FAST_PATH", fast)
        c_frontend.prelude_scope.cache_clear()
        c_frontend._target_scope.cache_clear()
        answers.append(_answer(prelude, decl, triple))
    c_frontend.prelude_scope.cache_clear()
    c_frontend._target_scope.cache_clear()
    return answers[0], answers[1]


@pytest.mark.parametrize("case", _GOLDEN, ids=lambda c: c["decl"][:40])
def test_golden_inputs_agree(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast, tree = _both_ways(case.get("prelude", ""), case["decl"], case["target"], monkeypatch)
    assert fast == tree


@pytest.mark.parametrize("prelude, decl", _EXTRA, ids=lambda x: x[:40])
def test_error_order_and_rollback_agree(prelude: str, decl: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fast, tree = _both_ways(prelude, decl, DEFAULT_TARGET, monkeypatch)
    assert fast == tree


def test_syntax_error_wins_over_an_earlier_meaning_error() -> None:
    with pytest.raises(ParseError, match="unexpected end of declaration"):
        c_frontend.parse_c_type("float double f(int", "", TARGETS[DEFAULT_TARGET])


def test_rollback_restores_constants() -> None:
    scope = Scope(TARGETS[DEFAULT_TARGET], constants={"A": 5})
    mark = len(scope.undo)
    scope.set_constant("A", 1)
    scope.set_constant("B", 2)
    scope.next_enum_value = 3
    scope.rollback(mark)
    assert dict(scope.constants) == {"A": 5} and scope.next_enum_value == 0


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_prototypes_agree(data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    """:mod:`cfi_typeid.parsing.lalr` runs Lark's tables with its own lexer and loop: over generated
    prototypes (every spelling the differential test against clang uses, and the shared prelude
    of typedefs, tags and enum constants), it must build what Lark's own parser builds."""
    triple = data.draw(st.sampled_from(TRIPLES))
    fn = data.draw(function_types(triple))
    decl = data.draw(spelled(triple, fn))
    fast, tree = _both_ways(SHARED_PRELUDE, decl, triple, monkeypatch)
    assert fast == tree
    # and the fast way parsed it by itself, Lark untouched (its tables are cached already)
    monkeypatch.undo()
    slow_calls: list[str] = []
    slow = c_frontend.parse_c
    monkeypatch.setattr(c_frontend, "parse_c", lambda *a: slow_calls.append(a[1]) or slow(*a))
    assert _answer(SHARED_PRELUDE, decl, triple) == fast
    assert not slow_calls


def _tree_answer(prelude: str, decl: str, triple: str,
                 monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as m:
        m.setattr(c_frontend, "FAST_PATH", False)  # every declaration the tree way: no reuse
        c_frontend.prelude_scope.cache_clear()
        try:
            return _answer(prelude, decl, triple)
        finally:
            c_frontend.prelude_scope.cache_clear()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reused_parameters_agree(data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines that share a prelude reuse the parameter declarations parsed before (by parser
    state and text): parsing a run of generated prototypes twice in one scope, so that the
    second time every simple parameter is reused, gives what the tree parse gives."""
    triple = data.draw(st.sampled_from(TRIPLES))
    decls = [data.draw(spelled(triple, data.draw(function_types(triple)))) for _ in range(6)]
    expected = [_tree_answer(SHARED_PRELUDE, d, triple, monkeypatch) for d in decls]
    c_frontend.prelude_scope.cache_clear()
    try:
        for _ in range(2):
            assert [_answer(SHARED_PRELUDE, d, triple) for d in decls] == expected
    finally:
        c_frontend.prelude_scope.cache_clear()


@pytest.mark.parametrize("prelude, decls", [
    # a line's own enum constants and typedefs change what the same parameter text means
    ("", ["enum E {A=2} f(int a[A][A]);", "enum E {A=3} g(int a[A][A]);"]),
    ("typedef int T;", ["void f(T x, T y);", "typedef long T; void f(T x, T y);",
                        "void f(T x, T y);"]),
    ("enum {N = 4};", ["void f(char s[N][N], int);", "void f(char s[N][N], int);"]),
    # a parameter's name spelled like a typedef, and the same text in other positions
    ("typedef int T;", ["void f(int T);", "void f(T, int T);", "void f(T, int T);"]),
    ("", ["void f(int, char);", "void f(char, int);", "int (*f(int, char))(char, int);",
          "void f(int x, ...);", "void f(int x, int (*)(int x, char));"]),
    # the name is left out of the key, and only the name: not tags, keywords, typedef names,
    # refused words, or identifiers inside brackets
    ("struct x; struct y;", ["void f(struct x);", "void f(struct y);", "void f(struct x *p);",
                             "void f(struct y *q);", "void f(union x);", "void f(enum y);"]),
    ("typedef long L;", ["void f(unsigned x);", "void f(unsigned long);", "void f(unsigned L);",
                         "void f(int x);", "void f(int _Atomic);", "void f(int L);",
                         "void f(long double d);", "void f(long double);"]),
    ("enum {N = 2, M = 3};", ["void f(int a[N][N]);", "void f(int b[M][M]);",
                              "void f(int a[N][M], int b[M][N]);"]),
    ("", ["void f(const char *s);", "void f(const char *const s);",
          "void f(const char *const);", "void f(char *restrict s);", "void f(char *restrict);"]),
])
def test_reuse_follows_the_scope(prelude: str, decls: list[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [_tree_answer(prelude, d, DEFAULT_TARGET, monkeypatch) for d in decls]
    c_frontend.prelude_scope.cache_clear()
    try:
        assert [_answer(prelude, d, DEFAULT_TARGET) for d in decls] == expected
        scope = c_frontend.prelude_scope(prelude, TARGETS[DEFAULT_TARGET])
        # kept for reuse: only from lines without braces or declarations of their own
        assert bool(scope.parameters) == any("{" not in d and ";" not in d.rstrip(" ;")
                                             for d in decls)
    finally:
        c_frontend.prelude_scope.cache_clear()


_DEEP_TYPEDEFS = "typedef int *T0;" + "".join(f"typedef T{i} *T{i + 1};" for i in range(300))


@pytest.mark.parametrize("prelude, decl", [
    ("", "void f(int " + "*" * 300 + ");"),              # deep in the line itself
    (_DEEP_TYPEDEFS, "void f(T300);"),                    # deep through the prelude's typedefs
    ("", _DEEP_TYPEDEFS + "void f(T300);"),               # through the line's own typedefs
])
def test_deep_types_are_refused_however_they_are_built(prelude: str, decl: str) -> None:
    """A short line is only walked for its depth when a typedef could make it deep."""
    with pytest.raises(ParseError, match="nested too deeply"):
        c_frontend.parse_c_function(decl, prelude, TARGETS[DEFAULT_TARGET])
