"""Lark's LALR(1) tables, run without Lark: the hot path of both front ends.

The grammars stay Lark grammars (``grammar/*.lark``), and Lark builds their LALR(1) tables.
What this module replaces is Lark's *runtime*: per token, Lark makes a ``Token`` with line and
column bookkeeping, runs a generator-based contextual lexer and a general ``feed_token``, and
wraps every rule callback in a chain of filters.  Here the same tables drive one tight loop, with
the same semantics, measured at several times the speed:

* the contextual lexer: in each parser state only the terminals that state accepts are tried, in
  Lark's order (priority, then longest pattern), with Lark's treatment of string terminals that a
  regular expression also matches (``_create_unless``), and the same user lexer callbacks;
* tokens are lexed lazily, one lookahead at a time, so a lexer callback sees what the reductions
  before it did (the C typedef-name lexer hack depends on it);
* reductions filter children exactly as Lark's tree builder does without placeholders (anonymous
  string tokens dropped, ``_rule`` children spliced in, ``?rule`` with one child inlined) and call
  the transformer method named by the rule's alias or origin;
* optionally, each rule method gets the position where its text starts, as Lark's
  ``propagate_positions`` computes it.

The tables come from :mod:`cfi_typeid.parsing.tables` (stored once, loaded without Lark).  Anything
this runtime cannot parse raises :class:`Unparsable`, and the caller reparses with Lark itself,
whose errors (with their expected-token sets) are the ones users see; this runtime never has to
explain a failure.  ``tests/test_lalr.py`` holds it to Lark's results.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from .tables import Rule, Tables, Terminal
from ..memo import remember
from ..regex_code import RegexCache
from ..regex_facts import Facts


class Unparsable(Exception):
    """This runtime cannot parse the text (a syntax error, most likely): reparse with Lark to
    find out what exactly is wrong."""


class Token(str):
    """A lexed token: the text itself (a ``str``, as Lark's tokens are), its terminal name and
    its offset in the parsed text.  Lark's ``Token`` is converted into this on the slow path,
    so rule methods see one kind of token whichever parser ran.

    Slotted: a token is made for every word the lexer reads, and three attribute stores into
    slots cost a fifth of what they cost when the first one makes an instance dictionary
    (~0.8 us a token)."""

    __slots__ = ("type", "value", "start_pos")
    type: str
    value: str
    start_pos: int

    def __new__(cls, type_: str, value: str, start_pos: int) -> Token:
        self = str.__new__(cls, value)
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        return self

    @property
    def end_pos(self) -> int:
        return self.start_pos + len(self.value)


class Meta(NamedTuple):
    """Where a rule's text starts (Lark's ``propagate_positions`` meta, as far as we use it):
    the first token under it, punctuation included; ``empty`` when it matched no token."""

    start_pos: int
    empty: bool


_EMPTY = Meta(0, True)
#: The lexers' patterns (one per set of terminals a parser state accepts), compiled once
#: across runs: a Rust run needs ~70 of them, ~12 ms to compile.
_LEXERS = RegexCache("lexers")
#: A warm lexer's patterns by first character and its terminals' facts (see _StateLexer),
#: apart: a one-off run, never warm, reads none of them.
_SPLIT = RegexCache("lexers-split")


class Node(NamedTuple):
    """What a rule without a method makes (Lark would make a ``Tree``): its name and children."""

    data: str
    children: list[Any]


# ---- the contextual lexer ---------------------------------------------------------------------

class _StateLexer:
    """One state's lexer: ``pattern`` tries every terminal, in Lark's order; ``by_char``
    holds, for a character a token begins with (after the ignored text), the pattern of the
    terminals that can begin with it, in the same order (see :meth:`pattern_for`)."""

    __slots__ = ("pattern", "unless", "skip", "terminals", "split", "firsts", "by_char",
                 "by_names")

    def __init__(self, pattern: re.Pattern[str], unless: dict[str, dict[str, str]], skip: str,
                 terminals: tuple[tuple[str, str], ...], split: bool) -> None:
        self.pattern = pattern
        self.unless = unless  # regexp terminal -> {string: string terminal}
        self.skip = skip
        self.terminals = terminals  # (name, regexp), in the order tried
        self.split = split
        #: each terminal's first characters (None: any), found at the first pattern_for
        self.firsts: tuple[frozenset[str] | None, ...] | None = None
        self.by_char: dict[str, re.Pattern[str]] = {}
        self.by_names: dict[tuple[int, ...], re.Pattern[str]] = {}

    def pattern_for(self, char: str) -> re.Pattern[str]:
        """The pattern that matches where ``pattern`` does, as ``pattern`` does, at a place
        whose first character after the ignored text is ``char`` ("" at the end).

        An alternation is tried in order and its first alternative that matches wins, so
        leaving out the alternatives that cannot begin with ``char`` changes neither which
        one wins nor its span; and the ignored text before a token is possessive (never
        given back), so where the token begins does not depend on the alternatives.  The
        groups keep their names (the parse loop reads nothing else); lexers whose terminals
        refer to groups by number are never split.  One pattern of every terminal, which
        the regex engine enters in turn, costs a few thousand instructions a token; one of
        the few that can begin with the character, a fraction of that."""
        if len(char) != 1 or ord(char) > 0xFF or not self.split:
            if not char:
                self.by_char[char] = self.pattern  # (at the end of the text: all of them)
            return self.pattern  # (a rare character: not kept)
        firsts = self.firsts
        if firsts is None:
            if any(_terminal_facts(regexp)[1] for _, regexp in self.terminals):
                self.split = False  # (a back reference counts groups from the start)
                return self.pattern
            firsts = self.firsts = tuple(_terminal_facts(regexp)[0]
                                         for _, regexp in self.terminals)
        chosen = tuple(i for i, first in enumerate(firsts) if first is None or char in first)
        found = self.by_names.get(chosen)
        if found is None:
            found = self.pattern if len(chosen) == len(firsts) else _SPLIT.compile(
                _alternation(self.skip, [self.terminals[i] for i in chosen]))
            self.by_names[chosen] = found
        self.by_char[char] = found
        return found


_TERMINAL_FACTS: dict[str, Facts] = {}


def _terminal_facts(regexp: str, cache: RegexCache = _SPLIT) -> Facts:
    """A terminal's first characters (None: any) and whether it refers to groups: kept in
    ``cache`` across runs (a regex parse each, ~3 ms for the C grammar's terminals), and
    looked up once per process."""
    facts = _TERMINAL_FACTS.get(regexp)
    if facts is None:
        facts = _TERMINAL_FACTS[regexp] = cache.facts(regexp)
    return facts


def _alternation(skip: str, terminals: list[tuple[str, str]]) -> str:
    """The text of a lexer's pattern: the ignored text, then the first of ``terminals``
    (name, regexp) that matches, as a group of its name."""
    return skip + "(?:" + ("|".join(f"(?P<{name}>{regexp})" for name, regexp in terminals)
                           or "(?!)") + ")"  # no terminal: never matches


def _state_lexer(terminals: Iterable[Terminal], skip: str, embeds: Mapping[str, list[str]],
                 split: bool = True) -> _StateLexer:
    """Lark's ``BasicLexer`` over ``terminals``: ordered as Lark orders them, with string
    terminals that a regexp terminal of the same priority matches folded into it.

    ``skip`` (see :func:`_skip_pattern`) matches the ignored text before a token: ignored
    terminals (whitespace) are a prefix of every token instead of tokens of their own, which
    halves the matches.  That is Lark's behaviour as long as no other terminal can start where
    an ignored one matches, as holds for whitespace in our grammars.

    ``split``: whether the lexer may match with the terminals that can begin with a token's
    first character only (:meth:`_StateLexer.pattern_for`), which needs that character known:
    the characters that ignored text can begin with must be known."""
    ordered = sorted(terminals, key=lambda t: (-t.priority, -t.max_width, -t.value_len, t.name))
    by_name = {t.name: t for t in ordered}
    unless: dict[str, dict[str, str]] = {}
    embedded: set[str] = set()
    for retok in ordered:
        for name in embeds.get(retok.name, ()):
            strtok = by_name.get(name)
            if strtok is not None:
                assert strtok.literal is not None
                unless.setdefault(retok.name, {})[strtok.literal] = name
                embedded.add(name)
    kept = [t for t in ordered if t.name not in embedded]
    if len(kept) > 99:
        raise ValueError("too many terminals in one state for one regular expression")
    alternatives = tuple((t.name, t.regexp) for t in kept)
    pattern = _LEXERS.compile(_alternation(skip, list(alternatives)))
    return _StateLexer(pattern, unless, skip, alternatives, split)


def _skip_pattern(ignore: Iterable[Terminal]) -> str:
    """The regexp of any run of ignored text ("" when nothing is ignored).  Possessive:
    ignored text is never given back, so a failing match costs linear time (``(?:\\s+)*``
    would backtrack exponentially over a run of blanks)."""
    alternatives = "|".join(t.regexp for t in ignore)
    return f"(?:{alternatives})*+" if alternatives else ""


# ---- the parser -------------------------------------------------------------------------------

Reduce = Callable[[list[Any], Meta], Any]
#: (text, offset) -> (key, start, end of the token after the span) or None: see Parser.parse
SpanKey = Callable[[str, int], "tuple[str, int, int] | None"]


def _no_span(text: str, offset: int) -> None:
    return None

Default = Callable[[str, list[Any]], Any]

#: Parses after which every state gets its own lexer (see :meth:`Parser.parse`).
_WARM = 50


def _call_style(method: Callable[..., Any], positions: bool) -> Reduce:
    if positions:
        return lambda children, meta: method(meta, children)
    return lambda children, meta: method(*children)


class Parser:
    """An LALR(1) parser over ``tables`` whose reductions call ``methods``' methods.

    Without ``positions``, a method gets the rule's children as arguments (Lark's
    ``v_args(inline=True)``); with it, a :class:`Meta` and the list of children (Lark's
    ``v_args(meta=True)`` with ``propagate_positions``).  ``default(name, children)`` is called
    for rules without a method.  ``lexer_callbacks`` maps terminal names to functions that may
    retype a token (Lark's ``lexer_callbacks``)."""

    def __init__(self, tables: Tables, methods: object,
                 lexer_callbacks: Mapping[str, Callable[[Token], Token]] | None = None,
                 default: Default = Node, positions: bool = False,
                 reused: tuple[str, SpanKey] | None = None) -> None:
        self._tables = tables
        self._states = tables.states
        self._positions = positions
        # (origin, size, reduce, direct): a direct reduce is the rule's method itself, called
        # with the children as arguments (the common case, one call frame fewer)
        self._rules = [self._rule_entry(r, methods, default, positions) for r in tables.rules]
        self._rule_shapes = [(r.keep, r.expand1, r.callback.startswith("_"))
                             for r in tables.rules]
        self._terminals = {t.name: t for t in tables.terminals}
        self._ignore = frozenset(tables.ignore)
        self._silent = frozenset(tables.silent)
        self._user_callbacks = dict(lexer_callbacks or {})
        self._lexers: list[_StateLexer | None] = [None] * len(self._states)
        self._by_accepts: dict[frozenset[str], _StateLexer] = {}
        self._master: _StateLexer | None = None
        self._parses = 0
        self._skip = _skip_pattern(self._terminals[n] for n in sorted(self._ignore))
        self._trailing = _LEXERS.compile(self._skip)  # ignored text up to the end
        # what ignored text can begin with: where a token is looked for at one of these, the
        # character after the ignored text picks the lexer's pattern (see _StateLexer)
        blanks = [_terminal_facts(self._terminals[n].regexp, _LEXERS)[0]
                  for n in sorted(self._ignore)]
        self._split = all(b is not None for b in blanks)
        self._blanks: frozenset[str] = frozenset().union(*(b for b in blanks if b is not None)
                                                         ) if self._split else frozenset()
        # reused values (see parse): the states with a goto on that rule, and its rules
        self._reused_gotos: dict[int, int] = {}
        self._reused_rules: frozenset[int] = frozenset()
        self._span_key: SpanKey = _no_span
        if reused is not None:
            assert not positions, "a reused value has no positions of its own"
            symbol, self._span_key = reused
            self._reused_gotos = {i: state[symbol] for i, state in enumerate(self._states)
                                  if symbol in state}
            self._reused_rules = frozenset(i for i, r in enumerate(tables.rules)
                                           if r.origin == symbol)

    @classmethod
    def _rule_entry(cls, rule: Rule, methods: object, default: Default, positions: bool
                    ) -> tuple[str, int, Callable[..., Any] | None, bool]:
        name = rule.callback
        if not positions and rule.keep is None and not rule.expand1 and not name.startswith("_"):
            method = getattr(methods, name, None)
            if method is not None:
                return rule.origin, rule.size, method, True
        return rule.origin, rule.size, cls._reducer(rule, methods, default, positions), False

    @staticmethod
    def _reducer(rule: Rule, methods: object, default: Default, positions: bool
                 ) -> Reduce | None:
        """The function that makes a rule's value from its children's, or None when the value
        is the one child's (a ``?rule`` with one child and nothing filtered): nothing to do."""
        keep, expand1, name = rule.keep, rule.expand1, rule.callback
        if expand1 and rule.size == 1 and keep in (None, ((0, False),)):
            return None
        method = None if name.startswith("_") else getattr(methods, name, None)
        if method is not None:
            build = _call_style(method, positions)
        elif name.startswith("_"):
            def build(children: list[Any], meta: Meta) -> Any:
                return children  # spliced into the parent by its filter
        else:
            def build(children: list[Any], meta: Meta) -> Any:
                return default(name, children)
        if keep is None and not expand1:
            return build
        if keep is not None and not any(spliced for _, spliced in keep):
            # only filtering (punctuation dropped): pick the kept children in C
            indices = [i for i, _ in keep]
            if not indices:
                return lambda children, meta: build([], meta)
            if len(indices) == 1:
                only = indices[0]
                if expand1:  # always exactly one child: inlined
                    return lambda children, meta: children[only]
                return lambda children, meta: build([children[only]], meta)
            pick = itemgetter(*indices)  # two or more kept: never inlined
            return lambda children, meta: build(list(pick(children)), meta)
        if keep == ((0, True), (1, False)) and name.startswith("_") and not expand1:
            # ``x+``/``x*`` repetition, left recursive: append to the list built so far
            def extend(children: list[Any], meta: Meta) -> Any:
                children[0].append(children[1])
                return children[0]
            return extend

        def reduce(children: list[Any], meta: Meta) -> Any:
            if keep is not None:
                kept: list[Any] = []
                for i, splice in keep:
                    if not splice:
                        kept.append(children[i])
                    elif kept:
                        kept.extend(children[i])
                    else:
                        kept = children[i]  # Lark's left-recursion shortcut: reuse the list
                children = kept
            if expand1 and len(children) == 1:
                return children[0]
            return build(children, meta)
        return reduce

    def _master_lexer(self) -> _StateLexer:
        self._master = _state_lexer(
            (t for t in self._terminals.values() if t.name not in self._ignore), self._skip,
            self._tables.embeds, self._split)
        return self._master

    def _lexer(self, state: int) -> _StateLexer:
        accepts = frozenset(s for s in self._states[state] if s in self._terminals)
        lexer = self._by_accepts.get(accepts)
        if lexer is None:
            lexer = _state_lexer((self._terminals[n] for n in accepts), self._skip,
                                 self._tables.embeds, self._split)
            self._by_accepts[accepts] = lexer
        self._lexers[state] = lexer
        return lexer

    def _position(self, rule: int, size: int, starts: list[int | None],
                  inner: list[list[int | None] | None]) -> Meta:
        """Pop a rule's children's positions and push its value's, as Lark's
        ``propagate_positions`` has them: a rule starts at its first token, punctuation
        included; a ``?rule`` that inlines its one child keeps that child's position (so
        ``(x)`` inlined starts at ``x``); a ``_rule``'s elements keep theirs in its parent."""
        keep, expand1, splice = self._rule_shapes[rule]
        n = len(starts) - size
        first = starts[n] if size else None
        if first is None and size > 1:
            first = next((p for p in starts[n + 1:] if p is not None), None)
        if keep is None and not splice:
            # the common case: nothing filtered or spliced, so nothing inlined (a ?rule with
            # one child and no filter is no reduction at all: see _reducer); with one child,
            # the value starts where it did
            if size == 1:
                return _EMPTY if first is None else Meta(first, False)
            del starts[n:]
            del inner[n:]
            starts.append(first)
            inner.append(None)
            return _EMPTY if first is None else Meta(first, False)
        if keep is None:
            kept = starts[n:]
        else:
            kept = []
            for i, spliced in keep:
                if spliced:
                    kept.extend(inner[n + i] or ())
                else:
                    kept.append(starts[n + i])
        del starts[n:]
        del inner[n:]
        if splice:
            starts.append(first)
            inner.append(kept)
        else:
            inlined = expand1 and len(kept) == 1
            starts.append(kept[0] if inlined and kept[0] is not None else first)
            inner.append(None)
        return _EMPTY if first is None else Meta(first, False)

    def parse(self, text: str, start: str, reuse: dict[tuple[int, str], Any] | None = None
              ) -> Any:
        """What the reductions make of ``text`` from start symbol ``start``.

        ``reuse`` (with a parser built with ``reused=(rule, span_key)``) remembers the values
        of ``rule`` by the parser state where each began and the key of its text, and takes
        them from there instead of parsing that text again: C parameter declarations, which
        headers repeat over and over.  ``span_key(text, offset)`` finds where a rule that
        begins at ``offset`` would end and returns its key and the start and end of the token
        after it (``size_t len,``: the ","), or None; a value is remembered only when the rule
        was reduced with exactly that token as its lookahead.  An LR parser's way through a
        rule depends only on the state where it began, its tokens and the one after, so from
        that state equal keys are parsed the same way, to the same value, provided that
        ``span_key`` only makes texts equal whose tokens are alike for the grammar and the rule
        methods, that the lexer makes the same token of the one after in any state, and that
        the rule's methods change nothing else (nor are their values changed later): the
        caller keeps one ``reuse`` per set of typedef names.  It holds at most
        ``_REUSED_KEPT`` values, and is emptied when full."""
        states, rules, lexers = self._states, self._rules, self._lexers
        silent, user_callbacks, trailing = self._silent, self._user_callbacks, self._trailing
        positions = self._positions
        reused_gotos = self._reused_gotos if reuse is not None else None
        memo: dict[tuple[int, str], Any] = reuse if reuse is not None else {}
        reused_rules, span_key = self._reused_rules, self._span_key
        # stack depth -> (state, span_key's answer) where a reusable rule may have begun
        began: dict[int, tuple[int, tuple[str, int, int]]] = {}
        master = self._master or self._master_lexer()
        self._parses += 1
        warm = self._parses > _WARM
        end_state = self._tables.end[start]
        stack = [self._tables.start[start]]
        values: list[Any] = []
        starts: list[int | None] = []  # with positions: where each stacked value starts
        inner: list[list[int | None] | None] = []  # and for a _rule's list, its elements'
        pos, size_text = 0, len(text)
        while True:
            token: Token | None = None
            m = None
            if reused_gotos is not None and pos < size_text:
                goto = reused_gotos.get(stack[-1])
                if goto is not None:
                    found = span_key(text, pos)
                    if found is not None:
                        value = memo.get((stack[-1], found[0]))
                        if value is not None:  # parsed before: on to the token after it
                            stack.append(goto)
                            values.append(value)
                            pos = found[1]
                            continue
                        began[len(stack)] = (stack[-1], found)
            if pos < size_text:
                # Until the parser is warm, the one lexer of every terminal answers for a
                # state whenever the terminal it finds is one the state accepts (the first
                # match among all terminals is then the first among the state's); otherwise
                # the state's own lexer decides, from then on.  A one-off run compiles one
                # regular expression instead of one per state; a batch soon has every state's
                # own, shorter one, which matches faster.
                lexer = lexers[stack[-1]] or (self._lexer(stack[-1]) if warm else master)
                m = lexer.pattern.match(text, pos)
                if m is not None and lexer is master:
                    accepts = states[stack[-1]]
                    kind = m.lastgroup
                    if kind not in accepts or kind in master.unless and master.unless[kind].get(
                            m.group(kind), kind) not in accepts:
                        m = None
                if m is None:
                    # (a state where the master lexer once could not answer gets its own)
                    lexer = lexers[stack[-1]] or self._lexer(stack[-1])
                    m = lexer.pattern.match(text, pos)
                    if m is None and trailing.fullmatch(text, pos) is None:
                        raise Unparsable(pos)
            if m is not None:
                kind = m.lastgroup
                assert kind is not None
                at = m.start(kind)
                if kind not in silent:
                    token = Token(kind, m.group(kind), at)
                    if kind in lexer.unless:
                        retyped = lexer.unless[kind].get(token.value)
                        if retyped is not None:
                            token.type = retyped
                    if token.type == kind and kind in user_callbacks:
                        token = user_callbacks[kind](token)
                    kind = token.type
                pos = m.end()
                end = False
            else:
                kind, end = "$END", True
            while True:
                action = states[stack[-1]].get(kind)
                if action is None:
                    raise Unparsable(pos)
                if action >= 0:
                    if end:
                        raise Unparsable(pos)
                    stack.append(action)
                    values.append(token)
                    if positions:
                        starts.append(at)
                        inner.append(None)
                    break
                origin, size, reduce, direct = rules[~action]
                if reduce is None:  # the one child is the value: only the state changes
                    del stack[-1]
                else:
                    meta = _EMPTY
                    if size:
                        children = values[-size:]
                        del stack[-size:]
                        del values[-size:]
                    else:
                        children = []
                    if positions:
                        meta = self._position(~action, size, starts, inner)
                    values.append(reduce(*children) if direct else reduce(children, meta))
                    if reused_gotos is not None and ~action in reused_rules:
                        _keep_reused(memo, began.get(len(stack)), stack[-1], m, values[-1])
                stack.append(states[stack[-1]][origin])
                if end and stack[-1] == end_state:
                    return values[-1]

    def lone_word(self, word: str) -> str | None:
        """The terminal that the lexer of every terminal makes of ``word`` standing alone,
        before lexer callbacks (None when no terminal's match is the whole word)."""
        master = self._master or self._master_lexer()
        m = master.pattern.match(word)
        if m is None or m.end() != len(word) or m.lastgroup is None:
            return None
        return master.unless.get(m.lastgroup, {}).get(word, m.lastgroup)


#: Values a ``reuse`` dictionary keeps (a bound on memory; emptied when full).  The 10,000 C
#: lines of the benchmark need about 1,600.
_REUSED_KEPT = 1 << 13


def _keep_reused(reuse: dict[tuple[int, str], Any],
                 began: tuple[int, tuple[str, int, int]] | None, state: int,
                 lookahead: re.Match[str] | None, value: Any) -> None:
    """Keep a reduced rule's value for :meth:`Parser.parse`'s ``reuse``, if the rule began in
    ``state`` where its span began (``began``: that state and the span's key) and was reduced
    on the token after the span."""
    if began is None or began[0] != state or lookahead is None:
        return
    key, _, follow_end = began[1]
    if follow_end == lookahead.end():
        remember(reuse, (state, key), value, _REUSED_KEPT)


def walk_lark_tree(tree: Any, methods: object, default: Default = Node,
                   positions: bool = False) -> Any:
    """Run ``methods`` over a tree from Lark's own parser (the slow path), as
    :class:`Parser` runs them during its parse: bottom up, left to right, with Lark's tokens
    turned into ours.  Recursive, like Lark's transformers: deep trees raise RecursionError."""
    from lark import Token as LarkToken, Tree

    def walk(node: Any) -> Any:
        if isinstance(node, Tree):
            children = [walk(child) for child in node.children]
            method = getattr(methods, node.data, None)
            if method is None:
                return default(node.data, children)
            if positions:
                meta = node.meta
                return method(_EMPTY if meta.empty else Meta(meta.start_pos, False), children)
            return method(*children)
        if isinstance(node, LarkToken):
            return Token(node.type, node.value, node.start_pos or 0)
        return node

    return walk(tree)
