"""Lark's LALR(1) tables as plain data: extracted from a Lark instance once, stored
(``marshal``) in the temporary directory keyed by a checksum of the grammar text and of this
format, and loaded by a new process in about a millisecond without importing Lark at all (Lark
costs tens of milliseconds to import; so would ``json``, ``hashlib`` or ``tempfile``, hence
plainer tools).  :mod:`cfi_typeid.parsing.lalr` runs them.
"""

from __future__ import annotations

import os
import re
import zlib
from typing import Any, Callable, NamedTuple

from ..cache_files import cache_path, read_cached, write_cached

#: Bumped whenever the stored tables change shape.
_FORMAT = 3


class Terminal(NamedTuple):
    name: str
    regexp: str
    priority: int
    max_width: int
    value_len: int
    literal: str | None  # the string of a string terminal (``";"``), None for a regexp


class Rule(NamedTuple):
    origin: str
    size: int
    callback: str
    keep: tuple[tuple[int, bool], ...] | None  # (child index, splice it); None: all, as is
    expand1: bool


class Tables(NamedTuple):
    """One grammar's LALR(1) automaton, as plain data."""

    states: list[dict[str, int]]  # symbol -> shift/goto state (>= 0) or ~rule (< 0)
    start: dict[str, int]
    end: dict[str, int]
    rules: list[Rule]
    terminals: list[Terminal]
    ignore: list[str]
    silent: list[str]  # terminals every rule drops (punctuation): never made into tokens
    #: regexp terminal -> the string terminals of its priority whose whole string it matches
    #: (Lark's ``_create_unless`` pairs; worked out once, with the tables, since finding them
    #: compiles every regexp terminal)
    embeds: dict[str, list[str]]


# ---- extracting and storing tables ------------------------------------------------------------

def extract_tables(lark: Any) -> Tables:
    """The tables of a Lark LALR instance (built with ``maybe_placeholders=False``)."""
    from lark.lexer import PatternStr  # only when tables are (re)built

    table = lark.parser.parser.parser.parse_table
    rules: list[Any] = []
    index: dict[int, int] = {}

    def rule_code(rule: Any) -> int:
        if id(rule) not in index:
            index[id(rule)] = len(rules)
            rules.append(rule)
        return ~index[id(rule)]

    states: list[dict[str, int]] = [{} for _ in range(max(table.states) + 1)]
    for state, actions in table.states.items():
        for symbol, (action, arg) in actions.items():
            states[state][str(symbol)] = arg if action.name == "Shift" else rule_code(arg)
    out_rules = []
    for rule in rules:
        keep_all = rule.options.keep_all_tokens
        include = tuple((i, not sym.is_term and sym.name.startswith("_"))
                        for i, sym in enumerate(rule.expansion)
                        if keep_all or not (sym.is_term and sym.filter_out))
        filtered = len(include) < len(rule.expansion) or any(e for _, e in include)
        # (str(): Lark's names may be its Token objects, which marshal does not store)
        out_rules.append(Rule(str(rule.origin.name), len(rule.expansion),
                               str(rule.alias or rule.options.template_source
                                   or rule.origin.name),
                               include if filtered else None,
                               bool(rule.options.expand1 and not rule.alias)))
    terminals = []
    for t in lark.lexer_conf.terminals:
        if t.pattern.flags:
            raise ValueError(f"terminal {t.name} has flags, which this runtime does not model")
        terminals.append(Terminal(str(t.name), str(t.pattern.to_regexp()), int(t.priority),
                                   int(t.pattern.max_width), len(t.pattern.value),
                                   str(t.pattern.value) if isinstance(t.pattern, PatternStr)
                                   else None))
    kept = {sym.name for rule in rules for sym in rule.expansion
            if sym.is_term and (rule.options.keep_all_tokens or not sym.filter_out)}
    silent = sorted({t.name for t in terminals} - {str(name) for name in kept})
    return Tables(states, {str(k): v for k, v in table.start_states.items()},
                  {str(k): v for k, v in table.end_states.items()}, out_rules, terminals,
                  [str(name) for name in lark.lexer_conf.ignore], silent,
                  _embedded_literals(terminals))


def _embedded_literals(terminals: list[Terminal]) -> dict[str, list[str]]:
    """Each regexp terminal's string terminals of the same priority that it matches whole
    (Lark's ``_create_unless``: in a lexer with both, the string is lexed as the regexp's
    match and then retyped)."""
    embeds: dict[str, list[str]] = {}
    for retok in terminals:
        if retok.literal is not None:
            continue
        for strtok in terminals:
            if strtok.literal is None or strtok.priority != retok.priority:
                continue
            m = re.match(retok.regexp, strtok.literal)
            if m is not None and m.group() == strtok.literal:
                embeds.setdefault(retok.name, []).append(strtok.name)
    return embeds


def grammar_text(filename: str) -> str:
    """The text of a grammar in ``grammar/`` (installed as the package ``cfi_typeid.grammar``;
    read as a plain file: ``importlib.resources`` costs more to import than the read).

    A source tree has no ``cfi_typeid.grammar``: its ``grammar/`` is beside the package.  That
    is what runs when ``python -m cfi_typeid`` is started in a clone (the current directory
    comes first on ``sys.path``, before the installed wheel), as the README's quick start does.
    """
    from importlib import import_module
    try:
        package = import_module("cfi_typeid.grammar")
        assert package.__file__ is not None
        folder = os.path.dirname(package.__file__)
    except ModuleNotFoundError:
        folder = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "grammar")
    with open(os.path.join(folder, filename), encoding="utf-8") as f:
        return f.read()


def _cache_path(name: str, grammar: str) -> str:
    key = zlib.crc32(f"{_FORMAT}\0{grammar}".encode()) ^ (len(grammar) << 32)
    return cache_path(f"cfi_typeid-{name}-{key:x}.tables")


def load_tables(name: str, grammar: str, build: Callable[[], Any]) -> Tables:
    """The tables of ``grammar``: read from the cache, or extracted from ``build()`` (a Lark
    instance for that grammar) and written to it.  A cache that cannot be read is rebuilt, one
    that cannot be written is no error; the stored grammar text guards against a collision."""
    path = _cache_path(name, grammar)
    data = read_cached(path)
    try:
        if data["grammar"] == grammar:
            return Tables(data["states"], data["start"], data["end"],
                          [Rule(o, s, c, k, x) for o, s, c, k, x in data["rules"]],
                          [Terminal(*t) for t in data["terminals"]], data["ignore"],
                          data["silent"], data["embeds"])
    except (KeyError, TypeError, ValueError):
        pass
    tables = extract_tables(build())
    write_cached(path, {**tables._asdict(), "grammar": grammar,
                        "rules": [tuple(r) for r in tables.rules],
                        "terminals": [tuple(t) for t in tables.terminals]})
    return tables
