"""The decoder's reader state: where it is in the text, the interned nodes, and the
substitution table.

Every node is interned (hash-consed) as it is built: equal types are one object with one small
integer key.  That keeps decoding linear (no model object is ever hashed or compared) and
answers in O(1) the one question the encoder's dictionary would: "is this already a candidate?"

Some ids expand to far more than they say (each ``S_`` may stand for all before it), and the
model's dataclasses hash, compare and print recursively, so :data:`MAX_DEPTH` and
:data:`MAX_EXPANDED` bound what the decoder hands on; both are reported as :class:`DecodeError`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple, NoReturn

from ..errors import DecodeError
from ..flavours import Flavour
from ..model import Encoded, Lifetime, Named, Type

#: Deepest nesting of types accepted, counted both in the text and in the expanded model.
MAX_DEPTH = 64
#: Most types the expanded model may hold (substitutions expand to copies of what they name).
MAX_EXPANDED = 200_000

BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Item = Type | Lifetime


class Node(NamedTuple):
    """A parsed type (or lifetime), its intern key, and the size and depth it expands to."""

    item: Item
    key: int
    size: int
    depth: int


@dataclass
class Binder:
    """A function pointer being read: the next bound lifetime its references may take."""

    next_index: int = 0


class Reader:
    """The state of one reading of one span, and the productions every other one builds on;
    ``subs`` is the decoder's substitution table."""

    def __init__(self, text: str, start: int, end: int, flavour: Flavour,
                 choices: list[int] | None = None) -> None:
        self.text, self.pos, self.end, self.flavour = text, start, end, flavour
        #: Choices to take at the choice points met, in order; and (choice, options) made.
        self.choices = choices or []
        self.made: list[tuple[int, int]] = []
        self.c_integers = 0
        self.subs: list[Node] = []
        self.candidates: set[int] = set()
        self.interned: dict[tuple[object, ...], Node] = {}
        self.binders: list[Binder] = []
        self.nesting = 0
        self.rust_only = self.bare_function = self.fixed_integers = False
        self.function_pointers = False
        #: Per name (instance 0): the instance :meth:`distinct` gave last.  Candidates are
        #: only ever added, so every instance before it is taken and the search resumes there.
        self.last_instance: dict[Named | Encoded, Named | Encoded] = {}

    # ---- reading, interning, candidates ---------------------------------------------------

    def fail(self, message: str, offset: int | None = None) -> NoReturn:
        """Raise a :class:`DecodeError` at ``offset`` (default: the current position)."""
        raise DecodeError(message, self.text, self.pos if offset is None else offset)

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < self.end else ""

    def at(self, literal: str) -> bool:
        return self.text.startswith(literal, self.pos) and self.pos + len(literal) <= self.end

    def expect(self, literal: str, what: str) -> None:
        if not self.at(literal):
            found = self.peek()
            self.fail(f"expected {what}, found {found!r}" if found else
                      f"expected {what}, but the type id ends here")
        self.pos += len(literal)

    def number(self, what: str, max_digits: int = 9) -> int:
        """``<number> ::= [0-9]+`` (no sign, no leading zero unless it is ``0``)."""
        start = self.pos
        while self.peek().isdigit() and self.peek().isascii():
            self.pos += 1
        digits = self.text[start:self.pos]
        if not digits:
            self.fail(f"expected {what} (a decimal number)")
        if len(digits) > 1 and digits[0] == "0":
            self.fail(f"{what} has a leading zero", start)
        if len(digits) > max_digits:
            self.fail(f"{what} is too large", start)
        return int(digits)

    def source_name(self, what: str) -> str:
        """``<source-name> ::= <length> <identifier>``: ``length`` characters, verbatim."""
        start = self.pos
        length = self.number(f"the length of {what}")
        if length == 0:
            self.fail(f"{what} is empty", start)
        if self.pos + length > self.end:
            self.fail(f"{what} runs past the end of the type id ({length} characters "
                      f"announced, {self.end - self.pos} left)", start)
        name = self.text[self.pos:self.pos + length]
        self.pos += length
        return name

    def leaf(self, item: Item) -> Node:
        return self.intern(item, ("leaf", item), [])

    def intern(self, item: Item, attrs: tuple[object, ...], children: list[Node]) -> Node:
        """The one node for this type: equal types share an object and a key."""
        key = (*attrs, *(c.key for c in children))
        node = self.interned.get(key)
        if node is None:
            node = Node(item, len(self.interned), 1 + sum(c.size for c in children),
                         1 + max((c.depth for c in children), default=0))
            if node.depth > MAX_DEPTH:
                self.fail(f"types nested more than {MAX_DEPTH} deep")
            if node.size > MAX_EXPANDED:
                self.fail(f"the type expands to more than {MAX_EXPANDED} types")
            self.interned[key] = node
        return node

    def add(self, node: Node) -> Node:
        """Enter a substitution candidate, as the encoder's ``_add`` does."""
        self.subs.append(node)
        self.candidates.add(node.key)
        return node

    def distinct(self, node: Node) -> Node:
        """A name spelled again where the encoder would have substituted it names another
        type (two ``repr(C)`` structs ``S2`` in different modules): the next
        :class:`~cfi_typeid.model.Named` or :class:`~cfi_typeid.model.Encoded` instance that
        is not yet a candidate.  Builtin codes are never candidates and never get here."""
        item = node.item
        assert isinstance(item, (Named, Encoded))
        if node.key not in self.candidates:
            return node
        self.rust_only = True  # (one C translation unit has one struct S2)
        base = replace(item, instance=0)
        item = self.last_instance.get(base, item)
        node = self.leaf(item)
        while node.key in self.candidates:
            item = replace(item, instance=item.instance + 1)
            node = self.leaf(item)
        self.last_instance[base] = item
        return node

    def substitution(self) -> Node:
        """``<substitution> ::= S_ | S <seq-id> _`` (base 36, upper case, ``S_`` first)."""
        start = self.pos
        self.pos += 1
        index = 0
        if self.peek() != "_":
            digits_start = self.pos
            while self.peek() and self.peek() in BASE36:
                self.pos += 1
            digits = self.text[digits_start:self.pos]
            if not digits or (len(digits) > 1 and digits[0] == "0"):
                self.fail("expected a substitution 'S_' or 'S<base-36 digits>_'")
            if len(digits) > 6:
                self.fail("substitution index too large", start)
            index = int(digits, 36) + 1
        self.expect("_", "'_' (end of the substitution)")
        if index >= len(self.subs):
            self.fail(f"substitution {self.text[start:self.pos]} refers to candidate {index}, "
                      f"but only {len(self.subs)} precede it", start)
        return self.subs[index]

    def type(self, under_pointer: bool = False) -> Node:
        """``<type>``, defined where the compound types are (:mod:`.decoder_types`)."""
        raise NotImplementedError


def as_type(node: Node) -> Type:
    assert not isinstance(node.item, Lifetime)
    return node.item
