"""``cfi_typeid.parsing.lalr`` runs Lark's LALR tables with its own lexer and loop.  It must build what
Lark builds, rule for rule, and fail wherever Lark fails: checked here on a small grammar with
every construct the runtime models (``_rule`` splicing, ``?rule`` inlining, aliases, EBNF
repetition, anonymous and named string terminals, keywords that a regexp also matches, the
contextual lexer choosing between overlapping terminals, lexer callbacks, empty rules and
positions), over inputs drawn at random from its tokens."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token as LarkToken, Tree
from lark.exceptions import LarkError

from cfi_typeid.parsing import lalr
from cfi_typeid.parsing import tables as lalr_tables

GRAMMAR = r"""
start: item* tail?
?item: pair | group | "let" NAME "=" expr ";" -> binding
pair: NAME ":" _values ";"
_values: value ("," value)*
?value: NUMBER | NAME | STAR | "-" value -> negative
group: "(" item* ")"
?expr: term | expr ADDOP term -> binary
?term: NUMBER | NAME | "(" expr ")" | term MULOP NUMBER -> binary
tail: "end" KEYWORD?
KEYWORD: "done" | "over"
STAR: "*"
MULOP: "*" | "/"
ADDOP: "+" | "-"
NAME: /[a-z_]+/
NUMBER: /[0-9]+/
%import common.WS
%ignore WS
"""

WORDS = ["let", "end", "done", "over", "x", "yz", "lets", "_", "1", "42", "=", ";", ":", ",",
         "*", "/", "+", "-", "(", ")", "@"]


def _shout(token: Any) -> Any:
    """A lexer callback that retypes (as the C lexer hack does)."""
    if token.value == "yz":
        token.type = "NUMBER"
    return token


class _Methods:
    """Rule methods in ``v_args(meta=True)`` style; the same instance serves both parsers."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda meta, children: (name, meta.start_pos if not meta.empty else None,
                                       tuple(_plain(c) for c in children))


def _plain(value: Any) -> Any:
    return (value.type, str(value), value.start_pos) if isinstance(value, str) else value


def _lark() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, lexer_callbacks={"NAME": _shout})


_LARK = _lark()
_PARSER = lalr.Parser(lalr_tables.extract_tables(_lark()), _Methods(),
                      lexer_callbacks={"NAME": _shout}, positions=True)


def _by_lark(text: str) -> Any:
    try:
        tree = _LARK.parse(text)
    except LarkError:
        return "error"
    return lalr.walk_lark_tree(tree, _Methods(), positions=True)


def _by_us(text: str) -> Any:
    try:
        return _PARSER.parse(text, "start")
    except lalr.Unparsable:
        return "error"


@pytest.mark.parametrize("text", [
    "", "   ", "x: 1, yz, *, - - 2;", "let x = 1 + 2 * 3 - (yz) / 4;", "(x: 1; (y: 2;)) end",
    "end done", "end over ", "lets: 1;", "let: 1;", "x: 1 2;", "x: 1,;", "@", "end end",
    "let x = 1 * x;", " " * 300 + "@",
])
def test_examples_agree_with_lark(text: str) -> None:
    assert _by_us(text) == _by_lark(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=14), st.lists(st.sampled_from(["", " ", "\n"]),
                                                               max_size=14))
def test_random_token_strings_agree_with_lark(words: list[str], gaps: list[str]) -> None:
    text = "".join(w + (gaps[i] if i < len(gaps) else " ") for i, w in enumerate(words))
    assert _by_us(text) == _by_lark(text)


def test_well_formed_inputs_parse() -> None:
    """Not every agreement is on an error: the grammar's constructs do parse."""
    assert _by_us("let x = 1 + 2 * 3; x: 1, *, -2; (y: 3;) end done") != "error"


def test_tables_survive_the_cache(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored and reloaded tables parse as the freshly extracted ones do; a grammar change
    is a different cache entry."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    built = []

    def build() -> Lark:
        built.append(1)
        return _lark()

    first = lalr_tables.load_tables("test", GRAMMAR, build)
    again = lalr_tables.load_tables("test", GRAMMAR, build)
    assert first == again and len(built) == 1  # (Lark may number states differently each build)
    lalr_tables.load_tables("test", GRAMMAR + "\n", build)
    assert len(built) == 2


def test_lark_tokens_become_ours_on_the_slow_path() -> None:
    tree = Tree("pair", [LarkToken("NAME", "x", start_pos=3)])

    class M:
        def pair(self, *children: Any) -> Any:
            return children

    (token,) = lalr.walk_lark_tree(tree, M())
    assert isinstance(token, lalr.Token) and (token.type, token, token.start_pos) == ("NAME", "x", 3)


def test_a_damaged_or_foreign_cache_is_rebuilt(tmp_path: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache file that is truncated, is not marshal data, or holds another grammar's tables
    is never trusted: the tables are extracted again (and the file rewritten)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    lalr_tables.load_tables("test", GRAMMAR, _lark)
    (path,) = tmp_path.glob("cfi_typeid-test-*")
    good = path.read_bytes()
    for damage in (good[:len(good) // 2], b"not marshal data", b""):
        path.write_bytes(damage)
        built = []
        tables = lalr_tables.load_tables("test", GRAMMAR, lambda: built.append(1) or _lark())
        parser = lalr.Parser(tables, _Methods(), lexer_callbacks={"NAME": _shout},
                             positions=True)
        example = "let x = 1 + 2; x: 1, *; end done"
        assert built and parser.parse(example, "start") == _by_us(example)
    import marshal
    other = marshal.loads(good)
    other["grammar"] = "start: NAME\nNAME: /x/\n"
    path.write_bytes(marshal.dumps(other))
    built = []
    lalr_tables.load_tables("test", GRAMMAR, lambda: built.append(1) or _lark())
    assert built
