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


def table_data(tables: Tables, grammar: str) -> dict[str, Any]:
    """``tables`` as plain data that ``marshal`` stores (with the grammar text, which guards
    against a collision): what the cache file holds, and a built parser module (see
    :mod:`cfi_typeid.parsing.typed`)."""
    return {**tables._asdict(), "grammar": grammar,
            "rules": [tuple(r) for r in tables.rules],
            "terminals": [tuple(t) for t in tables.terminals]}


def _from_data(data: Any, grammar: str) -> Tables | None:
    """The tables in ``data`` (from :func:`table_data`), or None when they are not
    ``grammar``'s or not tables at all."""
    try:
        if data["grammar"] == grammar:
            return Tables(data["states"], data["start"], data["end"],
                          [Rule(o, s, c, k, x) for o, s, c, k, x in data["rules"]],
                          [Terminal(*t) for t in data["terminals"]], data["ignore"],
                          data["silent"], data["embeds"])
    except (KeyError, TypeError, ValueError):
        pass
    return None


#: The parser modules that setup.py generates and mypyc compiles (see
#: :mod:`cfi_typeid.parsing.typed`): grammar name -> module under ``cfi_typeid.parsing``.
BUILT_MODULES = {"c": "_built_c"}

#: The compiled parser modules whose tables :func:`load_tables` returned: id of the tables ->
#: the tables (kept, so that the id stays theirs) and the module.
_BUILT: dict[int, tuple[Tables, Any]] = {}


def built_parser(tables: Tables) -> Any:
    """The compiled parser module generated for exactly these tables (the object
    :func:`load_tables` returned), or None."""
    entry = _BUILT.get(id(tables))
    return entry[1] if entry is not None and entry[0] is tables else None


def _built_tables(name: str, grammar: str) -> Tables | None:
    """The tables of the compiled parser module of grammar ``name``, if the build made one
    for this grammar text.  A module found as plain Python source is not used (one left in a
    source tree, or in a build whose compiling failed): the pure package runs the exec'd
    code.  ``CFI_TYPEID_PARSER=exec`` runs that in a compiled build too;
    ``CFI_TYPEID_PARSER=typed`` takes a module found as source too (the tests run the typed
    code so, uncompiled)."""
    choice = os.environ.get("CFI_TYPEID_PARSER")
    if name not in BUILT_MODULES or choice == "exec":
        return None
    qualified = f"{__package__}.{BUILT_MODULES[name]}"
    for known, module in _BUILT.values():
        if module.__name__ == qualified and module.DATA["grammar"] == grammar:
            return known
    from importlib import import_module
    try:
        module = import_module(qualified)
    except ImportError:
        return None
    if str(getattr(module, "__file__", "")).endswith(".py") and choice != "typed":
        return None
    tables = _from_data(module.DATA, grammar)
    if tables is not None:
        _BUILT[id(tables)] = (tables, module)
    return tables


def load_tables(name: str, grammar: str, build: Callable[[], Any]) -> Tables:
    """The tables of ``grammar``: those of the build's compiled parser for it, if any; else
    read from the cache, or extracted from ``build()`` (a Lark instance for that grammar) and
    written to it.  A cache that cannot be read is rebuilt, one that cannot be written is no
    error; the stored grammar text guards against a collision."""
    built = _built_tables(name, grammar)
    if built is not None:
        return built
    path = _cache_path(name, grammar)
    tables = _from_data(read_cached(path), grammar)
    if tables is not None:
        return tables
    tables = extract_tables(build())
    write_cached(path, table_data(tables, grammar))
    return tables
