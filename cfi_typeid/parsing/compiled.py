"""The LALR automaton turned into Python code: what both front ends run.

:class:`cfi_typeid.parsing.lalr.Parser` interprets Lark's tables: per reduction it unpacks a rule
entry, slices the children into a list, and goes through a filter and a wrapper before the rule
method.  Here every rule of the grammar becomes a function of its own, written out for that rule
once the tables and the rule methods are known: its children taken off the value stack by
position, punctuation left out, ``_rule`` lists spliced and ``?rule`` children inlined exactly
where the rule's shape says so (Lark's tree builder, decided at generation time instead of per
reduction), the rule method (or the default for rules without one) called directly, the
``propagate_positions`` bookkeeping written for that shape, and the goto of the rule's symbol
fused in.  The parse loop is generated too, with only the parts the parser needs (positions,
reuse of a rule's values, lexer callbacks).  Lexing is the reference runtime's, state by state:
each parser state's terminals make one regular expression, matched at the current position.

The code is generated the first time a parser is built for a grammar's tables and a set of rule
methods, compiled, and stored (``marshal``) in the temporary directory next to the tables, keyed
by a checksum of the tables, the shapes of the rules, this generator's version and Python's; a
new process loads it in about a millisecond.  ``CFI_TYPEID_PARSER=tables`` runs the reference
interpreter instead (the tests compare the two).
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from typing import Any, Callable, Mapping

from .lalr import _EMPTY, Default, Meta, Node, Parser, SpanKey, Token, Unparsable, _WARM, \
    _keep_reused
from .tables import Rule, Tables, built_parser
from ..cache_files import cache_path, read_cached, write_cached

#: Bumped whenever the generated code changes.
GENERATOR_VERSION = 7


class CompiledParser(Parser):
    """:class:`~cfi_typeid.parsing.lalr.Parser`'s interface and behaviour, run by code generated
    for the grammar (see the module docstring).  The lexers, ``lone_word`` and the reuse set-up
    are the reference parser's own."""

    def __init__(self, tables: Tables, methods: object,
                 lexer_callbacks: Mapping[str, Callable[[Token], Token]] | None = None,
                 default: Default = Node, positions: bool = False,
                 reused: tuple[str, SpanKey] | None = None) -> None:
        super().__init__(tables, methods, lexer_callbacks, default, positions, reused)
        shapes = _method_shapes(tables, methods)
        flags = (positions, bool(self._user_callbacks), reused is not None)
        built = built_parser(tables)
        if built is not None and built.SHAPES == shapes and built.FLAGS == flags \
                and built.GENERATOR == (GENERATOR_VERSION, _generator_source()):
            # the build's compiled module for these very tables (cfi_typeid.parsing.typed)
            self._reductions = built.Reductions(methods, default)
            self._parse = built.parse
        else:
            namespace = _driver_globals()
            exec(_load_code(_key(tables, shapes, *flags),
                            lambda: generate(tables, shapes, *flags)), namespace)
            self._reductions = namespace["build"](methods, default, Meta, _EMPTY)
            self._parse = namespace["parse"]
        # the reused rules whose reduction makes a value (a ?rule's one child is no new value)
        self._reused_kept = frozenset(r for r in self._reused_rules
                                      if self._rules[r][2] is not None)

    def parse(self, text: str, start: str, reuse: dict[tuple[int, str], Any] | None = None
              ) -> Any:
        master = self._master or self._master_lexer()
        self._parses += 1
        return self._parse(self, text, self._tables.start[start], self._tables.end[start],
                           reuse, master, self._parses > _WARM)


def _method_shapes(tables: Tables, methods: object) -> tuple[bool, ...]:
    """For each rule: whether ``methods`` has a method for it (a ``_rule`` never has)."""
    return tuple(not rule.callback.startswith("_") and getattr(methods, rule.callback, None)
                 is not None for rule in tables.rules)


def _key(tables: Tables, shapes: tuple[bool, ...], positions: bool, callbacks: bool,
         reuse: bool) -> str:
    """A checksum of everything the generated code depends on.  (``marshal`` writes the same
    tables as the same bytes in every process that loaded them from the same cache file; a
    rebuilt table that is written differently is only a cache miss.)"""
    data = marshal.dumps((tables.states, [tuple(r) for r in tables.rules],
                          [t.name for t in tables.terminals], tables.start, tables.end,
                          shapes, positions, callbacks, reuse, GENERATOR_VERSION,
                          _generator_source(), sys.version, sys.implementation.cache_tag))
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}"


_SOURCE_CHECKSUM: list[int] = []


def _generator_source() -> int:
    """A checksum of this module's own text: an edited generator never reuses code that an
    earlier version generated (the version number is for humans; this is for the cache)."""
    if not _SOURCE_CHECKSUM:
        try:
            with open(__file__, "rb") as f:
                _SOURCE_CHECKSUM.append(zlib.crc32(f.read()))
        except OSError:
            _SOURCE_CHECKSUM.append(0)
    return _SOURCE_CHECKSUM[0]


def _load_code(key: str, source: Callable[[], str]) -> Any:
    """The compiled generated module: from the cache, or generated, compiled and stored."""
    path = cache_path(f"cfi_typeid-parser-{key}.code")
    if os.environ.get("CFI_TYPEID_PARSER_NO_CACHE") != "1":
        stored = read_cached(path)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
            return stored[1]
    code = compile(source(), f"<cfi_typeid generated parser {key}>", "exec")
    write_cached(path, (key, code))
    return code


# ---- generating the code ----------------------------------------------------------------------

def generate(tables: Tables, has_method: tuple[bool, ...], positions: bool, callbacks: bool,
             reuse: bool) -> str:
    """The Python source of a module with ``build(...)`` (the reduction of every rule, bound to
    the rule methods) and ``parse(...)`` (the loop), for these tables."""
    lines = ["# Generated by cfi_typeid.parsing.compiled from a grammar's LALR tables.",
             "def build(methods, default, Meta, EMPTY):",
             "    meta_new = tuple.__new__"]
    # (names in the code are numbered: a grammar's names need not be Python identifiers)
    methods_used = sorted({r.callback for r, m in zip(tables.rules, has_method) if m})
    method_ids = {name: f"m{i}" for i, name in enumerate(methods_used)}
    for name, ident in method_ids.items():
        lines.append(f"    {ident} = getattr(methods, {name!r})")
    goto_ids = {}
    for i, (origin, gotos) in enumerate(sorted(_gotos(tables).items())):
        goto_ids[origin] = f"g{i}"
        lines.append(f"    g{i} = {gotos!r}  # {origin!r}")
    names = []
    for index, rule in enumerate(tables.rules):
        body = _reduction(index, rule, method_ids.get(rule.callback) if has_method[index]
                          else None, goto_ids[rule.origin], positions)
        names.append(f"r{index}")
        lines.extend("    " + line for line in body)
    lines.append(f"    return [{', '.join(names)}]")
    lines.append("")
    lines.extend(_driver(positions, callbacks, reuse))
    return "\n".join(lines) + "\n"


def _gotos(tables: Tables) -> dict[str, dict[int, int]]:
    """For each rule's symbol: state -> the state its goto leads to."""
    origins = {r.origin for r in tables.rules}
    gotos: dict[str, dict[int, int]] = {origin: {} for origin in origins}
    for i, state in enumerate(tables.states):
        for symbol, action in state.items():
            if symbol in origins:
                gotos[symbol][i] = action
    return gotos


def _reduction(index: int, rule: Rule, method: str | None, goto: str, positions: bool
               ) -> list[str]:
    """The function that reduces by ``rule`` on the stacks ``V`` (values) and ``S`` (states),
    and with positions ``P`` (where each value starts) and ``I`` (a ``_rule`` list's
    elements' starts).  ``method`` names the rule method in the code (None: the rule has
    none), ``goto`` the rule symbol's goto table."""
    has_method = method is not None
    n, keep, expand1, name = rule.size, rule.keep, rule.expand1, rule.callback
    args = "V, S, P, I" if positions else "V, S"
    out = [f"def r{index}({args}):",
           f"    # {rule.origin!r} ({n} symbols, keep={keep}, expand1={expand1}) -> {name!r}"]
    push = f"S.append({goto}[S[-1]])"
    if expand1 and n == 1 and keep in (None, ((0, False),)):
        # the one child is the value, where it starts too: only the state changes
        out += [f"    S[-1] = {goto}[S[-2]]", ""]
        return out
    children = [f"c{i}" for i in range(n)]
    if n == 1:
        out.append("    c0 = V[-1]")
    elif n > 1:
        out.append(f"    {', '.join(children)} = V[-{n}:]")
    if positions:
        out += ["    " + line for line in _position_code(index, rule)]

    def build(kept: str) -> str:
        if has_method:
            return f"{method}(meta, {kept})" if positions else f"{method}(*{kept})"
        if name.startswith("_"):
            return kept
        return f"default({name!r}, {kept})"

    if keep is None:
        if has_method and not positions:
            value = f"{method}({', '.join(children)})"
        else:
            value = build(f"[{', '.join(children)}]")
        out.append(f"    value = {value}")
    elif not any(spliced for _, spliced in keep):
        indices = [i for i, _ in keep]
        if expand1 and len(indices) == 1:
            out.append(f"    value = c{indices[0]}")
        elif has_method and not positions:
            out.append(f"    value = {method}({', '.join(f'c{i}' for i in indices)})")
        else:
            out.append(f"    value = {build('[' + ', '.join(f'c{i}' for i in indices) + ']')}")
    else:
        out += ["    " + line for line in _splice_code(keep)]
        if expand1:
            out.append(f"    value = k[0] if len(k) == 1 else {build('k')}")
        else:
            out.append(f"    value = {build('k')}")
    if n:
        out += [f"    V[-{n}:] = (value,)", f"    S[-{n}:] = ({goto}[S[-{n + 1}]],)", ""]
    else:
        out += ["    V.append(value)", f"    {push}", ""]
    return out


def _splice_code(keep: tuple[tuple[int, bool], ...]) -> list[str]:
    """The kept children in ``k``, ``_rule`` lists spliced in, as Lark's tree builder does it
    (the first list is reused when nothing comes before it)."""
    code: list[str] = []
    nonempty: bool | None = False  # whether k is known non-empty (None: not known)
    started = False
    for i, spliced in keep:
        if not spliced:
            code.append(f"k.append(c{i})" if started else f"k = [c{i}]")
            started, nonempty = True, True
        elif not started:
            code.append(f"k = c{i}")
            started, nonempty = True, None
        elif nonempty:
            code.append(f"k.extend(c{i})")
        else:
            code += [f"if k:", f"    k.extend(c{i})", "else:", f"    k = c{i}"]
    if not started:
        code.append("k = []")
    return code


def _position_code(index: int, rule: Rule) -> list[str]:
    """``meta`` for the rule method, and the position stacks updated, as
    :meth:`cfi_typeid.parsing.lalr.Parser._position` does, written out for the rule's shape:
    a rule starts at its first token, punctuation included; a ``?rule`` that inlines its one
    child keeps that child's start; a ``_rule``'s list keeps its elements' starts (in ``I``)
    for the parent that splices it."""
    n, keep, expand1 = rule.size, rule.keep, rule.expand1
    splice = rule.callback.startswith("_")
    if n == 0:
        inner = "[]" if splice and keep is None else ("None" if not splice else
                                                      _kept_starts(keep or ()))
        return ["P.append(None)", f"I.append({inner})", "meta = EMPTY"]
    starts = [f"p{i}" for i in range(n)]
    code = [f"p0 = P[-1]" if n == 1 else f"{', '.join(starts)} = P[-{n}:]"]
    spliced_any = keep is not None and any(sp for _, sp in keep)
    if spliced_any:
        code.append(f"{', '.join(f'i{i}' for i in range(n))}{',' if n == 1 else ''} = I[-{n}:]")
    # the first child's start, or the next child's that has one
    code.append("first = " + "".join(f"{p} if {p} is not None else " for p in starts[:-1])
                + starts[-1])
    if keep is None and not splice and n == 1:
        return code + ["meta = EMPTY if first is None else meta_new(Meta, (first, False))"]
    if splice:
        kept = f"[{', '.join(starts)}]" if keep is None else _kept_starts(keep)
        new_start, new_inner = "first", kept
    elif keep is None:
        new_start, new_inner = "first", "None"
    elif not spliced_any:
        new_inner = "None"
        if expand1 and len(keep) == 1:
            only = f"p{keep[0][0]}"
            new_start = f"{only} if {only} is not None else first"
        else:
            new_start = "first"
    else:
        new_inner = "None"
        if expand1:
            code.append(f"ks = {_kept_starts(keep)}")
            new_start = "ks[0] if len(ks) == 1 and ks[0] is not None else first"
        else:
            new_start = "first"
    if n == 1:
        code += [f"P[-1] = {new_start}", f"I[-1] = {new_inner}"]
    else:
        code += [f"P[-{n}:] = ({new_start},)", f"I[-{n}:] = ({new_inner},)"]
    code.append("meta = EMPTY if first is None else meta_new(Meta, (first, False))")
    return code


def _kept_starts(keep: tuple[tuple[int, bool], ...]) -> str:
    """The starts of a rule's kept children, a spliced ``_rule``'s elements' in its place."""
    parts = [f"*(i{i} or ())" if spliced else f"p{i}" for i, spliced in keep]
    return f"[{', '.join(parts)}]"


def _when(flag: bool, *code: str) -> list[str]:
    """The lines ``code`` where ``flag`` holds, else none: a part of the generated parse loop
    that only some parsers need (the exec'd and the typed generator use it)."""
    return list(code) if flag else []


def _lex_step(reuse: bool) -> list[str]:
    """The start of one step of the parse loop, the same in the exec'd and the typed loop: a
    reused value taken where the reuse memo has one, else the next token matched by the state's
    lexer (the master lexer first while cold, checked against the state's accepts), with the
    pattern of the terminals that can begin with the token's first character (the one after
    any ignored text: see :meth:`cfi_typeid.parsing.lalr._StateLexer.pattern_for`) once warm
    (a one-off run's few tokens would not pay for reading the terminals' first characters)."""
    return [
        "        token = None",
        "        m = None",
        "        top = S[-1]",
        *_when(reuse,
              "        if reused_gotos is not None and top in reused_gotos and pos < size_text:",
              "            found = span_key(text, pos)",
              "            if found is not None:",
              "                value = memo.get((top, found[0]))",
              "                if value is not None:",
              "                    S.append(reused_gotos[top])",
              "                    V.append(value)",
              "                    pos = found[1]",
              "                    continue",
              "                began[len(S)] = (top, found)"),
        "        if pos < size_text:",
        "            lexer = lexers[top] or (self._lexer(top) if warm else master)",
        "            if warm:",
        "                c = text[pos]",
        "                if c in blanks:",
        "                    q = trailing.match(text, pos).end()",
        "                    c = text[q] if q < size_text else ''",
        "                m = (lexer.by_char.get(c) or lexer.pattern_for(c)).match(text, pos)",
        "            else:",
        "                m = lexer.pattern.match(text, pos)",
        "            if m is not None and lexer is master:",
        "                accepts = states[top]",
        "                kind = m.lastgroup",
        "                if kind not in accepts or kind in master_unless and master_unless[kind]"
        ".get(m.group(kind), kind) not in accepts:",
        "                    m = None",
        "            if m is None:",
        "                lexer = lexers[top] or self._lexer(top)",
        "                m = lexer.pattern.match(text, pos)",
        "                if m is None and trailing.fullmatch(text, pos) is None:",
        "                    raise Unparsable(pos)",
    ]


def _driver(positions: bool, callbacks: bool, reuse: bool) -> list[str]:
    """The parse loop: :meth:`cfi_typeid.parsing.lalr.Parser.parse` with the parts this parser
    does not need left out."""
    return [
        "def parse(self, text, state, end_state, reuse, master, warm):",
        "    states, lexers, reductions = self._states, self._lexers, self._reductions",
        "    silent, trailing, blanks = self._silent, self._trailing, self._blanks",
        "    new_token = str.__new__",
        *_when(callbacks, "    user_callbacks = self._user_callbacks"),
        *_when(reuse,
              "    reused_gotos = self._reused_gotos if reuse is not None else None",
              "    memo = reuse if reuse is not None else {}",
              "    reused_rules, span_key = self._reused_kept, self._span_key",
              "    began = {}"),
        "    S = [state]",
        "    V = []",
        *_when(positions, "    P = []", "    I = []"),
        "    pos, size_text = 0, len(text)",
        "    master_pattern = master.pattern",
        "    master_unless = master.unless",
        "    while True:",
        *_lex_step(reuse),
        "        if m is not None:",
        "            kind = m.lastgroup",
        "            at, pos = m.span(kind)  # (a token ends where the match does)",
        "            if kind not in silent:",
        "                value = text[at:pos]",
        "                token = new_token(Token, value)",
        "                token.value = value",
        "                token.start_pos = at",
        "                unless = lexer.unless",
        "                if kind in unless:",
        "                    retyped = unless[kind].get(value)",
        "                    if retyped is not None:",
        "                        token.type = retyped",
        "                    else:",
        "                        token.type = kind",
        *_when(callbacks,
              "                        if kind in user_callbacks:",
              "                            token = user_callbacks[kind](token)"),
        "                else:",
        "                    token.type = kind",
        *_when(callbacks,
              "                    if kind in user_callbacks:",
              "                        token = user_callbacks[kind](token)"),
        "                kind = token.type",
        "            end = False",
        "        else:",
        "            kind, end = '$END', True",
        "        while True:",
        "            try:",
        "                action = states[S[-1]][kind]",
        "            except KeyError:",
        "                raise Unparsable(pos) from None",
        "            if action >= 0:",
        "                if end:",
        "                    raise Unparsable(pos)",
        "                S.append(action)",
        "                V.append(token)",
        *_when(positions, "                P.append(at)", "                I.append(None)"),
        "                break",
        "            reductions[~action](V, S, P, I)" if positions else
        "            reductions[~action](V, S)",
        *_when(reuse,
              "            if reused_gotos is not None and ~action in reused_rules:",
              "                _keep_reused(memo, began.get(len(S) - 1), S[-2], m, V[-1])"),
        "            if end and S[-1] == end_state:",
        "                return V[-1]",
    ]


def _driver_globals() -> dict[str, Any]:
    return {"Token": Token, "Unparsable": Unparsable, "_keep_reused": _keep_reused}


def fast_parser(tables: Tables, methods: object,
                lexer_callbacks: Mapping[str, Callable[[Token], Token]] | None = None,
                default: Default = Node, positions: bool = False,
                reused: tuple[str, SpanKey] | None = None) -> Parser:
    """The generated parser for ``tables`` (the arguments are :class:`Parser`'s), or with
    ``CFI_TYPEID_PARSER=tables`` in the environment the reference interpreter."""
    kind = CompiledParser if os.environ.get("CFI_TYPEID_PARSER") != "tables" else Parser
    return kind(tables, methods, lexer_callbacks, default, positions, reused)
