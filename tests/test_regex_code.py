"""regex_code: a pattern built from the cache is the one ``re.compile`` makes (CPython's
``Pattern.__eq__`` compares the engine code too), a second start compiles nothing, and
anything wrong with the cache falls back to ``re.compile``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import cfi_typeid
from cfi_typeid import regex_code, regex_facts

_PATTERNS = [
    (r"[A-Za-z_$][\w$]*", 0),
    (r"(?<![\w$])_*(?:packed|aligned)_*(?![\w$])", 0),
    (r"(?P<IDENT>[a-z]+)|(?P<NUM>[0-9]+(?:u|l)*+)", 0),
    (r"^[ \t]*#[ \t]*pragma[ \t]+(pack)(.*)$", re.M),
    (r"/\*.*?\*/", re.S),
    (r"abc  # a comment\n | d", re.X),
    (r"straße", re.I),
    (r"(a)(?:b(c)|d)(?P<e>e)?\1", 0),
    (r"", 0),
]
_TEXTS = ["", "abc", "x_1 $y 42ul", "  # pragma pack(1)\nint", "/* a\n */ b", "abcd",
          "STRASSE Straße", "abca acca abcea", "__packed__ aligned"]


def _cache(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> regex_code.RegexCache:
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.delenv("CFI_TYPEID_PARSER_NO_CACHE", raising=False)
    return regex_code.RegexCache("test")


def _check_same(made: re.Pattern[str], pattern: str, flags: int) -> None:
    plain = re.compile(pattern, flags)
    assert made == plain and type(made) is type(plain)
    assert (made.pattern, made.flags, made.groups, made.groupindex) == \
        (plain.pattern, plain.flags, plain.groups, plain.groupindex)
    for text in _TEXTS:
        assert [m.span() for m in made.finditer(text)] == \
            [m.span() for m in plain.finditer(text)]
        assert [m.groupdict() for m in made.finditer(text)] == \
            [m.groupdict() for m in plain.finditer(text)]


def test_same_patterns_and_compiled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    first = _cache(tmp_path, monkeypatch)
    for pattern, flags in _PATTERNS:
        _check_same(first.compile(pattern, flags), pattern, flags)
    first.save()
    assert Path(first.path).is_file()
    parsed: list[str] = []
    real = regex_code._parser.parse
    monkeypatch.setattr(regex_code._parser, "parse",
                        lambda p, f=0: parsed.append(p) or real(p, f))
    second = _cache(tmp_path, monkeypatch)
    for pattern, flags in _PATTERNS:
        _check_same(second.compile(pattern, flags), pattern, flags)
    assert parsed == [] and second.new == {}  # the second start parses none of them


def test_save_keeps_what_another_run_added(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = _cache(tmp_path, monkeypatch), _cache(tmp_path, monkeypatch)
    one.compile("a+")
    two.compile("b+")
    one.save()
    two.save()
    stored = regex_code.read_cached(one.path)
    assert set(stored) == {("a+", 0), ("b+", 0)}


def test_bad_cache_and_bad_patterns_fall_back(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _cache(tmp_path, monkeypatch)
    Path(cache.path).write_bytes(b"not marshal")
    _check_same(cache.compile("x(y)?"), "x(y)?", 0)
    with pytest.raises(re.error):
        cache.compile("x(")  # re's own error, as re.compile gives it
    wrong = _cache(tmp_path, monkeypatch)
    wrong.stored = {("z", 0): (32, [1, 2, 3], 0, {}, (None,))}  # not valid engine code
    _check_same(wrong.compile("z"), "z", 0)
    monkeypatch.setenv("CFI_TYPEID_PARSER_NO_CACHE", "1")
    off = regex_code.RegexCache("test-off")
    off.compile("q")
    assert off.new == {} and not Path(off.path).exists()


def test_every_package_pattern_is_the_one_re_makes() -> None:
    """The module constants the package made with ``cached_regex`` (from this run's cache
    file or not) equal ``re.compile`` of their text."""
    seen = 0
    for info in pkgutil.walk_packages(cfi_typeid.__path__, "cfi_typeid."):
        if info.name.endswith("__main__") or ".strategies" in info.name:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                assert value == re.compile(value.pattern, value.flags), (info.name, value)
                seen += 1
    assert seen > 50


_FIRST_CASES = [
    (r"(typedef)(?![A-Za-z0-9_$])", "t"),
    (r"[A-Za-z_$][A-Za-z0-9_$]*", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"),
    (r"(?:x|y?)z", "xyz"),
    (r"(?=a)b", "b"),
    (r"_Atomic\s*\(", "_"),
    (r"<=|>=|<|>", "<>"),
    (r"(0[xX][0-9a-f]+|[1-9][0-9]*)u?", "0123456789"),
    (r"(?>ab|c)d", "ac"),
    (r"a{0,2}b", "ab"),
    (r"'([^'\\\n]|\\.)+'", "'"),
]


@pytest.mark.parametrize(("pattern", "first"), _FIRST_CASES)
def test_first_chars_are_where_a_match_can_begin(pattern: str, first: str) -> None:
    assert regex_facts.first_chars(pattern) == frozenset(first)


@pytest.mark.parametrize("pattern", [r"a*", r"(?i:ab)", r"(?i)ab", r"\w+", r".x", r"[^a]",
                                     r"\d", r"[\u0100-\uffff]", r"(?:)", r"\bx?", r"[a"])
def test_first_chars_unknown(pattern: str) -> None:
    """Unknown (None) wherever a match may begin with a character not listed: empty
    matches, case folding, Unicode-wide classes, negations, wide ranges, bad patterns."""
    assert regex_facts.first_chars(pattern) is None


@pytest.mark.parametrize("pattern", [p for p, _ in _PATTERNS if p] + [p for p, _ in _FIRST_CASES])
def test_first_chars_hold_for_every_match(pattern: str) -> None:
    """Sound: no text whose match begins with a character left out of the set matches."""
    first = regex_facts.first_chars(pattern)
    if first is None:
        return
    compiled = re.compile(pattern)
    for text in _TEXTS + [chr(c) + tail for c in range(0x180) for tail in ("", "b", "bd", "z")]:
        m = compiled.match(text)
        assert m is None or m.end() == 0 and not text or text[0] in first, (pattern, text)


@pytest.mark.parametrize(("pattern", "refers"), [
    (r"(a)\1", True), (r"(?P<x>a)(?P=x)", True), (r"(a)?(?(1)b|c)", True),
    (r"(?:x(?:y(a)\1))", True), (r"a|b(c)\1", True), (r"(typedef)(?!x)", False),
    (r"[a-z]+", False), (r"[a", True)])
def test_refers_to_groups(pattern: str, refers: bool) -> None:
    assert regex_facts.refers_to_groups(pattern) is refers


def test_facts_are_kept_across_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern's first characters and group references are stored with the compiled
    patterns and read back without a parse; a damaged entry is worked out again."""
    one = _cache(tmp_path, monkeypatch)
    expected = (frozenset("t"), False)
    assert one.facts("(typedef)(?!x)") == expected == regex_facts.pattern_facts("(typedef)(?!x)")
    assert one.facts("(a)\\1") == (frozenset("a"), True)
    one.save()
    two = regex_code.RegexCache("test")
    monkeypatch.setattr(regex_code._parser, "parse", None)  # (no parse allowed)
    assert two.facts("(typedef)(?!x)") == expected
    monkeypatch.undo()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    three = regex_code.RegexCache("test")
    entries = three._entries()
    assert entries is not None
    entries[("(typedef)(?!x)", regex_code._FACTS)] = ("damaged",)
    assert three.facts("(typedef)(?!x)") == expected
