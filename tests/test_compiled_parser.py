"""The generated parser (``cfi_typeid.parsing.compiled``) must accept and build exactly what the
table-driven one (``cfi_typeid.parsing.lalr``, the reference) does: on test_lalr's small grammar
with every construct both model, in both calling styles, against each other and Lark; and end to
end, ``batch`` run both ways (``CFI_TYPEID_PARSER=tables`` selects the reference) on the
differential tests' generated C prototypes and Rust signatures and on the benchmark's inputs,
output compared byte for byte.

``CFI_TYPEID_COMPILED_FULL=1`` compares on the benchmark's full 10,000 C and 10,000 Rust lines
(default: 1,500 of each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

from cfi_typeid.parsing import compiled, lalr
from cfi_typeid.parsing import tables as lalr_tables

import test_lalr
from test_lalr import WORDS, _by_lark, _lark, _Methods, _shout

ROOT = Path(__file__).resolve().parent.parent
FULL = os.environ.get("CFI_TYPEID_COMPILED_FULL") == "1"


class _InlineMethods:
    """Rule methods in ``v_args(inline=True)`` style, as the C front end has them."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *children: (name, tuple(test_lalr._plain(c) for c in children))


_TABLES = lalr_tables.extract_tables(_lark())
_PAIRS = {
    style: (lalr.Parser(_TABLES, methods, lexer_callbacks={"NAME": _shout}, positions=positions),
            compiled.CompiledParser(_TABLES, methods, lexer_callbacks={"NAME": _shout},
                                    positions=positions))
    for style, methods, positions in (("meta", _Methods(), True),
                                      ("inline", _InlineMethods(), False))}


def _outcome(parser: lalr.Parser, text: str) -> Any:
    try:
        return parser.parse(text, "start")
    except lalr.Unparsable as e:
        return ("error", e.args)


def _agree(text: str) -> None:
    for style, (reference, generated) in _PAIRS.items():
        assert _outcome(generated, text) == _outcome(reference, text), style
    # (the reference is held to Lark by test_lalr; one known difference, positions of a
    # rule whose first child is an inlined parenthesised ?rule, is not this module's)
    assert (_outcome(_PAIRS["meta"][1], text)[:1] == ("error",)) == (_by_lark(text) == "error")


@pytest.mark.parametrize("text", [
    "", "   ", "x: 1, yz, *, - - 2;", "let x = 1 + 2 * 3 - (yz) / 4;", "(x: 1; (y: 2;)) end",
    "end done", "end over ", "lets: 1;", "let: 1;", "x: 1 2;", "x: 1,;", "@", "end end",
    "let x = 1 * x;", " " * 300 + "@", "x: 1, 2, 3, 4; y: *; (z: -1;) let q = (1 + 2) * 3;",
])
def test_examples_agree(text: str) -> None:
    _agree(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=16), st.lists(st.sampled_from(["", " ", "\n"]),
                                                               max_size=16))
def test_random_token_strings_agree(words: list[str], gaps: list[str]) -> None:
    _agree("".join(w + (gaps[i] if i < len(gaps) else " ") for i, w in enumerate(words)))


def test_past_warm_up_the_state_lexers_agree() -> None:
    """After ``_WARM`` parses every state has its own lexer: still the same results."""
    for i in range(lalr._WARM + 5):
        _agree(f"let x{'_' * (i % 3)} = 1 + {i} * 3; x: {i}, yz; end done")


def test_generated_code_is_cached_and_reloaded(tmp_path: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled module is stored once and reused; a damaged file is regenerated."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    compiled.CompiledParser(_TABLES, _Methods(), positions=True)
    (path,) = tmp_path.glob("cfi_typeid-parser-*.code")
    stamp = path.stat().st_mtime_ns
    again = compiled.CompiledParser(_TABLES, _Methods(), positions=True)
    assert path.stat().st_mtime_ns == stamp
    assert again.parse("x: 1;", "start") == _PAIRS["meta"][0].parse("x: 1;", "start")
    path.write_bytes(b"damaged")
    third = compiled.CompiledParser(_TABLES, _Methods(), positions=True)
    assert third.parse("x: 1;", "start") == _PAIRS["meta"][0].parse("x: 1;", "start")
    assert path.read_bytes() != b"damaged"


def test_the_front_ends_run_the_generated_parser() -> None:
    from cfi_typeid.c.frontend import _TRANSFORMER as C
    from cfi_typeid.c.syntax import c_fast_parser
    from cfi_typeid.rust.frontend import _TRANSFORMER as RUST
    from cfi_typeid.rust.syntax import rust_fast_parser
    expected = lalr.Parser if os.environ.get("CFI_TYPEID_PARSER") == "tables" \
        else compiled.CompiledParser
    assert type(c_fast_parser(C)) is expected and type(rust_fast_parser(RUST)) is expected


# ---- end to end: batch both ways --------------------------------------------------------------

def _batch(lines: list[str], tmp: Path, parser: str) -> bytes:
    source = tmp / "in.jsonl"
    source.write_text("".join(line + "\n" for line in lines))
    env = {**os.environ, "CFI_TYPEID_PARSER": parser, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "cfi_typeid", "batch", str(source)],
                          capture_output=True, env=env, cwd=ROOT, timeout=900)
    assert not proc.stderr, proc.stderr.decode()
    return proc.stdout


def _same_both_ways(lines: list[str], tmp: Path) -> None:
    generated, reference = _batch(lines, tmp, "generated"), _batch(lines, tmp, "tables")
    assert generated.count(b"\n") == len(lines)
    assert generated == reference


def test_benchmark_inputs_give_byte_identical_output(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate as gen
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    n = 10_000 if FULL else 1_500
    c_lines = gen.c_batch_lines(gen.c_prototypes(n)).splitlines()
    rust_lines = gen.rust_batch_lines(gen.rust_signatures(n)).splitlines()
    _same_both_ways(c_lines + rust_lines, tmp_path)


def test_differential_corpora_give_byte_identical_output(tmp_path: Path) -> None:
    """The prototypes and signatures the compiler-differential tests draw (hypothesis,
    derandomised), with their preludes, on every target they use; broken variants of them
    too, so that failures (the slow path's errors) are compared as well; the golden corpora
    and the C fast path's tricky cases."""
    import test_differential_c as diff_c
    from strategies import SHARED_PRELUDE, TRIPLES
    lines = []
    for triple in TRIPLES:
        for case in diff_c.generate(triple, 60):
            lines.append(json.dumps({"decl": case.decl, "prelude": SHARED_PRELUDE,
                                     "target": triple}))
            lines.append(json.dumps({"decl": case.decl[:len(case.decl) * 2 // 3],
                                     "target": triple}))
    import test_rust_differential as diff_rust
    for case in diff_rust.generate(150):
        lines.append(json.dumps({"decl": case.tool_decl(), "prelude": case.tool_prelude(),
                                 "lang": "rust"}))
        lines.append(json.dumps({"decl": case.tool_decl()[:-3], "prelude": case.tool_prelude(),
                                 "lang": "rust"}))
    golden = ROOT / "tests" / "golden"
    for line in (golden / "c.jsonl").read_text().splitlines():
        if line.strip():
            lines.append(line)
    for line in (golden / "rust.jsonl").read_text().splitlines():
        if line.strip():
            lines.append(json.dumps({**json.loads(line), "lang": "rust"}))
    import test_c_fast_path
    lines += [json.dumps({"prelude": prelude, "decl": decl})
              for prelude, decl in test_c_fast_path._EXTRA]
    _same_both_ways(lines, tmp_path)


def test_the_generated_parser_parses_the_benchmark_lines_itself(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal output could hide a generated parser that always fails over to Lark: here the
    slow path is forbidden on well-formed lines."""
    from cfi_typeid import api
    from cfi_typeid.c import frontend as c_frontend
    from cfi_typeid.rust import frontend as rust_frontend

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the slow path ran")

    monkeypatch.setattr(c_frontend, "parse_c", forbidden)
    monkeypatch.setattr(rust_frontend, "parse_rust", forbidden)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate as gen
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for line in gen.c_batch_lines(gen.c_prototypes(200, seed=11)).splitlines():
        item = json.loads(line)
        api.typeids(item["decl"], prelude=item["prelude"])
    for line in gen.rust_batch_lines(gen.rust_signatures(200, seed=12)).splitlines():
        item = json.loads(line)
        api.typeids(item["decl"], lang="rust", prelude=item["prelude"])


def test_rule_names_that_are_python_keywords() -> None:
    """A grammar's names go into the generated code as numbers, not as Python names."""
    grammar = r"""
    start: class+
    class: "c" lambda ";" -> def
         | "d" _if
    lambda: NAME | NAME "," lambda
    _if: NAME NAME
    NAME: /[a-z]+/
    %ignore " "
    """
    lark = Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False)
    tables = lalr_tables.extract_tables(lark)
    for methods, positions in ((_Methods(), True), (_InlineMethods(), False)):
        reference = lalr.Parser(tables, methods, positions=positions)
        generated = compiled.CompiledParser(tables, methods, positions=positions)
        for text in ("c x ;", "d a b c y, z ;", "d a", "c ;", "cx;dyz zz"):
            assert _outcome(generated, text) == _outcome(reference, text)


# ---- the typed module (cfi_typeid.parsing.typed), which the compiled build compiles ---------

def _typed_parser(tables: lalr_tables.Tables, methods: object, monkeypatch: pytest.MonkeyPatch,
                  callbacks: dict[str, Any] | None = None) -> compiled.CompiledParser:
    """A CompiledParser that runs the typed module generated for ``tables``, as plain
    Python (registered as load_tables registers a built one)."""
    import types
    from cfi_typeid.parsing import typed
    source = typed.generate_module(tables, "grammar", compiled._method_shapes(tables, methods),
                                   bool(callbacks), False,
                                   (compiled.GENERATOR_VERSION, compiled._generator_source()))
    module = types.ModuleType("cfi_typeid.parsing._built_test")
    exec(compile(source, "<typed>", "exec"), module.__dict__)
    monkeypatch.setitem(lalr_tables._BUILT, id(tables), (tables, module))
    parser = compiled.CompiledParser(tables, methods, lexer_callbacks=callbacks)
    assert parser._parse is module.parse
    return parser


def test_typed_module_agrees_with_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    methods = _InlineMethods()
    reference = _PAIRS["inline"][0]
    typed = _typed_parser(_TABLES, methods, monkeypatch, {"NAME": _shout})
    texts = ["", "   ", "x: 1, yz, *, - - 2;", "let x = 1 + 2 * 3 - (yz) / 4;",
             "(x: 1; (y: 2;)) end", "end done", "end over ", "lets: 1;", "let: 1;", "x: 1 2;",
             "x: 1,;", "@", "end end", "let x = 1 * x;", " " * 300 + "@",
             "x: 1, 2, 3, 4; y: *; (z: -1;) let q = (1 + 2) * 3;"]
    for i in range(lalr._WARM + 5):  # (past the warm-up, every state has its own lexer)
        for text in texts:
            assert _outcome(typed, text) == _outcome(reference, text), text


def test_typed_module_of_rule_names_that_are_python_keywords(
        monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = r"""
    start: class+
    class: "c" lambda ";" -> def
         | "d" _if
    lambda: NAME | NAME "," lambda
    _if: NAME NAME
    NAME: /[a-z]+/
    %ignore " "
    """
    tables = lalr_tables.extract_tables(Lark(grammar, parser="lalr", lexer="contextual",
                                             maybe_placeholders=False))
    reference = lalr.Parser(tables, _InlineMethods())
    typed = _typed_parser(tables, _InlineMethods(), monkeypatch)
    for text in ("c x ;", "d a b c y, z ;", "d a", "c ;", "cx;dyz zz"):
        assert _outcome(typed, text) == _outcome(reference, text)


def test_typed_c_module_gives_byte_identical_output(tmp_path: Path) -> None:
    """The C grammar's typed module, as setup.py writes it for mypyc, run uncompiled
    (``CFI_TYPEID_PARSER=typed``) in a copy of the package: batch's output on the benchmark
    and differential lines is the reference parser's, byte for byte.  (The compiled build
    runs it compiled: tests/test_packaging.py compares that build's output with pure
    Python's.)"""
    import shutil
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "cfi_typeid", copy / "cfi_typeid",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copytree(ROOT / "grammar", copy / "grammar")
    write = ("import sys; sys.path.insert(0, sys.argv[1]); "
             "from cfi_typeid.c.semantics import CTransformer; "
             "from cfi_typeid.c.syntax import _LEXER_CALLBACKS, _grammar, c_parser; "
             "from cfi_typeid.parsing.tables import load_tables; "
             "from cfi_typeid.parsing.typed import write_module; "
             "g = _grammar(); write_module(sys.argv[2], 'c', g, load_tables('c', g, c_parser), "
             "CTransformer(), True, True)")
    built = copy / "cfi_typeid" / "parsing" / "_built_c.py"
    subprocess.run([sys.executable, "-c", write, str(copy), str(built)], check=True,
                   cwd=tmp_path)
    probe = ("from cfi_typeid.c.frontend import _TRANSFORMER; "
             "from cfi_typeid.c.syntax import c_fast_parser; "
             "import cfi_typeid.parsing._built_c as m; "
             "assert c_fast_parser(_TRANSFORMER)._parse is m.parse")
    env = {**os.environ, "CFI_TYPEID_PARSER": "typed", "PYTHONPATH": str(copy)}
    subprocess.run([sys.executable, "-c", probe], check=True, env=env, cwd=tmp_path)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate as gen
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    lines = gen.c_batch_lines(gen.c_prototypes(10_000 if FULL else 1_500)).splitlines()
    import test_c_fast_path
    lines += [json.dumps({"prelude": prelude, "decl": decl})
              for prelude, decl in test_c_fast_path._EXTRA]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(line + "\n" for line in lines))
    outputs = []
    for parser, path in (("typed", copy), ("tables", ROOT)):
        proc = subprocess.run([sys.executable, "-m", "cfi_typeid", "batch", str(source)],
                              capture_output=True, cwd=tmp_path, timeout=900,
                              env={**os.environ, "CFI_TYPEID_PARSER": parser,
                                   "PYTHONPATH": str(path)})
        assert not proc.stderr, proc.stderr.decode()
        outputs.append(proc.stdout)
    assert outputs[0].count(b"\n") == len(lines) and outputs[0] == outputs[1]


def test_a_state_lexer_split_by_first_character_matches_as_the_whole() -> None:
    """:meth:`lalr._StateLexer.pattern_for`: at every position of C text, for the master
    lexer and every state's, the pattern picked by the first character after the blanks
    finds the same terminal, span and end as the pattern of all the state's terminals."""
    from cfi_typeid.c import syntax
    tables = lalr_tables.load_tables("c", syntax._grammar(), syntax.c_parser)
    reference = lalr.Parser(tables, object())
    lexers = [reference._master_lexer()]
    lexers += [reference._lexer(state) for state in range(len(tables.states))]
    texts = ["unsigned long f(const char *restrict s, int (*cb)(void), ...);",
             "  struct _x __attribute__ x[0x1fu] = 'a' << 3 >= 4 -> y . z ... _Atomic ( int )",
             "typedef __int128 i128;\n\t_Bool b; /* */ 07 1'000ul é $q"]
    for lexer in {id(x): x for x in lexers}.values():
        for text in texts:
            for pos in range(len(text) + 1):
                q = reference._trailing.match(text, pos).end()
                whole = lexer.pattern.match(text, pos)
                split = lexer.pattern_for(text[q] if q < len(text) else "").match(text, pos)
                if whole is None:
                    assert split is None, (text, pos)
                    continue
                assert split is not None and split.lastgroup == whole.lastgroup, (text, pos)
                assert split.span(whole.lastgroup) == whole.span(whole.lastgroup)
                assert split.end() == whole.end()
