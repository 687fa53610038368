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

from cfi_typeid import c_frontend
from cfi_typeid.c_semantics import Scope
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
    for shallow in (c_frontend._SHALLOW, -1):  # -1: every declaration goes the tree way
        monkeypatch.setattr(c_frontend, "_SHALLOW", shallow)
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
    """:mod:`cfi_typeid.lalr` runs Lark's tables with its own lexer and loop: over generated
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
