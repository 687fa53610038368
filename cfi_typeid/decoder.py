"""Itanium ``<function-type>`` decoding: the mirror image of :mod:`cfi_typeid.encoder`.

Each parse method answers one case of the encoder's ``_type``/``_compound`` and records a
substitution candidate at exactly the point the encoder adds one: after the component's
children, for the same kinds of component, with the same :class:`~cfi_typeid.flavours.Flavour`
fields deciding where clang and rustc differ (whether ``F..E`` under ``P`` is a candidate of
its own, how arrays are spelled).  So ``decode(encode(t, f), f) == t`` holds for the types the
encoder is given, and ``tests/test_decode_laws.py`` tests it.

Every node is interned (hash-consed) as it is built: equal types are one object with one small
integer key.  That keeps decoding linear (no model object is ever hashed or compared) and
answers in O(1) the one question the encoder's dictionary would: "is this already a candidate?"
rustc spells a component out again only when it differs in what the id does not show, a bound
lifetime of a reference inside a function pointer or the ABI/``unsafe`` of a function pointer;
the decoder then picks the first such difference that makes the new component distinct, so
that re-encoding gives the same id.

Some ids expand to far more than they say (each ``S_`` may stand for all before it), and the
model's dataclasses hash, compare and print recursively, so :data:`MAX_DEPTH` and
:data:`MAX_EXPANDED` bound what the decoder hands on; both are reported as :class:`DecodeError`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, ClassVar, NamedTuple, NoReturn

from .codes import C_INT_CODES, FIXED_INT_CODES, SCALAR_CODES, VENDOR_SCALARS
from .decoder_paths import is_identifier, parse_v0_path
from .errors import DecodeError
from .flavours import Flavour
from .model import (
    ERASED, Array, BitInt, CInt, CInteger, Complex, Encoded, FixedInt, FixedInteger, FunctionType,
    Lifetime, Named, Pointer, Primitive, Qualified, Reference, RustPath, Scalar, Slice, Tuple,
    Type,
)

#: Deepest nesting of types accepted, counted both in the text and in the expanded model.
MAX_DEPTH = 64
#: Most types the expanded model may hold (substitutions expand to copies of what they name).
MAX_EXPANDED = 200_000
#: What tells apart function pointer types that rustc spells alike: (ABI, unsafe), in the
#: order the decoder tries them.
FUNCTION_POINTER_VARIANTS: tuple[tuple[str, bool], ...] = (
    ("C", False), ("Rust", False), ("C", True), ("Rust", True), ("system", False),
    ("system", True),
)

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: The shared code table, inverted: every leaf code → its model type.
LEAF_CODES: dict[str, Type] = {
    **{code: CInteger(kind) for kind, code in C_INT_CODES.items()},
    **{code: Primitive(kind) for kind, code in SCALAR_CODES.items()},
    **{code: FixedInteger(kind) for kind, code in FIXED_INT_CODES.items()},
}
_ONE_LETTER = {code: t for code, t in LEAF_CODES.items() if len(code) == 1}
_D_CODES = sorted((c for c in LEAF_CODES if c.startswith("D")), key=len, reverse=True)

Item = Type | Lifetime


class _Node(NamedTuple):
    """A parsed type (or lifetime), its intern key, and the size and depth it expands to."""

    item: Item
    key: int
    size: int
    depth: int


class Reading(NamedTuple):
    """One flavour's reading of a function type, with what it says about the language."""

    function: FunctionType
    flavour: Flavour
    #: Constructs only rustc emits: references, slices, tuples, paths, lifetimes, Rust's
    #: vendor scalars, ``isize``/``usize``, unknown vendor names.
    rust_only: bool
    #: A function type stands somewhere other than under a pointer, which neither C nor Rust
    #: can write: the sign of a reading with the wrong substitution numbering.
    bare_function: bool
    #: Fixed-width integers appear (rustc's, or clang's under ``.normalized``).
    fixed_integers: bool
    #: A pointer to a function appears: the only place where the flavours number differently.
    function_pointers: bool


def decode_function_type(text: str, flavour: Flavour, start: int = 0,
                         end: int | None = None) -> Reading:
    """Read the ``<function-type>`` in ``text[start:end]`` as ``flavour`` numbers it.

    The whole span must be one function type; offsets in errors are offsets in ``text``.
    """
    best: tuple[int, Reading] | None = None
    choices: list[int] = []
    first_error: DecodeError | None = None
    for _ in range(MAX_ATTEMPTS):
        parser = _Parser(text, start, len(text) if end is None else end, flavour, choices)
        try:
            node = parser.function()
            if parser.pos != parser.end:
                parser.fail("trailing characters after the function type's closing 'E'")
            assert isinstance(node.item, FunctionType)
            reading = Reading(node.item, flavour, parser.rust_only, parser.bare_function,
                              parser.fixed_integers, parser.function_pointers)
            if best is None or parser.c_integers < best[0]:
                best = (parser.c_integers, reading)
        except DecodeError as e:
            first_error = first_error or e
        choices = _next_choices(parser.made)
        if not choices:
            break
    if best is None:
        assert first_error is not None
        raise first_error
    return best[1]


#: rustc writes an array's length right before its element (``A4u3i32``), so ``A122Pt`` may
#: be ``[Pt; 12]`` or ``[*mut c_ushort; 122]``; each such split is a choice point, and the
#: decoder tries the alternatives (at most this many whole readings).  Of several readings it
#: keeps the one with the fewest C integer codes, which rustc writes only for ``cfi_encoding``.
MAX_ATTEMPTS = 64


def _next_choices(made: list[tuple[int, int]]) -> list[int]:
    """The next combination of choices to try after a failed reading (depth first), or []."""
    taken = [chosen for chosen, _ in made]
    while made:
        chosen, options = made.pop()
        taken.pop()
        if chosen + 1 < options:
            return [*taken, chosen + 1]
    return []


@dataclass
class _Binder:
    """A function pointer being read: the next bound lifetime its references may take."""

    next_index: int = 0


class _Parser:
    """Recursive descent over one span; ``subs`` is the decoder's substitution table."""

    def __init__(self, text: str, start: int, end: int, flavour: Flavour,
                 choices: list[int] | None = None) -> None:
        self.text, self.pos, self.end, self.flavour = text, start, end, flavour
        #: Choices to take at the choice points met, in order; and (choice, options) made.
        self.choices = choices or []
        self.made: list[tuple[int, int]] = []
        self.c_integers = 0
        self.subs: list[_Node] = []
        self.candidates: set[int] = set()
        self.interned: dict[tuple[object, ...], _Node] = {}
        self.binders: list[_Binder] = []
        self.nesting = 0
        self.rust_only = self.bare_function = self.fixed_integers = False
        self.function_pointers = False

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

    def leaf(self, item: Item) -> _Node:
        return self.intern(item, ("leaf", item), [])

    def intern(self, item: Item, attrs: tuple[object, ...], children: list[_Node]) -> _Node:
        """The one node for this type: equal types share an object and a key."""
        key = (*attrs, *(c.key for c in children))
        node = self.interned.get(key)
        if node is None:
            node = _Node(item, len(self.interned), 1 + sum(c.size for c in children),
                         1 + max((c.depth for c in children), default=0))
            if node.depth > MAX_DEPTH:
                self.fail(f"types nested more than {MAX_DEPTH} deep")
            if node.size > MAX_EXPANDED:
                self.fail(f"the type expands to more than {MAX_EXPANDED} types")
            self.interned[key] = node
        return node

    def add(self, node: _Node) -> _Node:
        """Enter a substitution candidate, as the encoder's ``_add`` does."""
        self.subs.append(node)
        self.candidates.add(node.key)
        return node

    # ---- productions ----------------------------------------------------------------------

    def function(self) -> _Node:
        """``<function-type> ::= F <return-type> (<parameter-type>+ | v) [z] E``; no
        parameter list at all (``FiE``) is an unprototyped C function."""
        return self.function_node(*self.function_parts(), ("C", False))

    def function_parts(self) -> tuple[_Node, list[_Node], bool, bool]:
        """The return type, parameters, ``...`` and prototype flag of a function type."""
        self.expect("F", "'F' (a function type)")
        returns = self.type()
        params: list[_Node] = []
        variadic, prototyped = False, True
        while True:
            c = self.peek()
            if c == "E":
                prototyped = bool(params)
                break
            if c == "z":
                self.pos += 1
                variadic = True
                break
            if c == "v" and not params and self.peek(1) in ("E", ""):
                self.pos += 1  # an empty parameter list
                break
            params.append(self.type())  # ('v' among others: rustc's () in a fn pointer)
        self.expect("E", "'E' (end of the function type)")
        return returns, params, variadic, prototyped

    def function_node(self, returns: _Node, params: list[_Node], variadic: bool,
                      prototyped: bool, variant: tuple[str, bool]) -> _Node:
        abi, unsafe = variant
        fn = FunctionType(_as_type(returns), tuple(_as_type(p) for p in params), variadic,
                          prototyped, abi, unsafe)
        return self.intern(fn, ("F", variadic, prototyped, abi, unsafe), [returns, *params])

    def type(self, under_pointer: bool = False) -> _Node:
        """``<type>``: one component, substituted or spelled out."""
        start = self.pos
        self.nesting += 1
        if self.nesting > 2 * MAX_DEPTH:
            self.fail(f"types nested more than {MAX_DEPTH} deep")
        c = self.peek()
        if c == "S" and self.peek(1) != "t":
            node = self.substitution()
        elif c in _ONE_LETTER:
            self.pos += 1
            node = self.leaf(_ONE_LETTER[c])
            self.c_integers += isinstance(node.item, CInteger)
        elif c == "D":
            node = self.d_code()
        elif c == "u":
            node = self.vendor()
        else:
            node = self.COMPOUND.get(c, _Parser.source_named)(self)
            if node.key in self.candidates and self.flavour.normalized_integers_keep_c_type:
                node = self.other_origin(node)
            node = self.add(node)
        if isinstance(node.item, Lifetime):
            self.fail("a lifetime where a type is expected", start)
        if isinstance(node.item, FunctionType) and not under_pointer:
            self.bare_function = True
        self.nesting -= 1
        return node

    def substitution(self) -> _Node:
        """``<substitution> ::= S_ | S <seq-id> _`` (base 36, upper case, ``S_`` first)."""
        start = self.pos
        self.pos += 1
        index = 0
        if self.peek() != "_":
            digits_start = self.pos
            while self.peek() and self.peek() in _BASE36:
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

    def d_code(self) -> _Node:
        """``<builtin-type> ::= DF16_ | Dh | Du | ...`` (no candidates) and
        ``DB <number> _ | DU <number> _`` (``_BitInt``, a candidate as clang makes it)."""
        if self.peek(1) in ("B", "U"):
            start = self.pos
            signed = self.peek(1) == "B"
            self.pos += 2
            bits = self.number("the width of _BitInt")
            if bits == 0:
                self.fail("_BitInt(0) has no width", start)
            self.expect("_", "'_' after the width of _BitInt")
            return self.add(self.leaf(BitInt(bits, signed)))
        for code in _D_CODES:
            if self.at(code):
                self.pos += len(code)
                return self.leaf(LEAF_CODES[code])
        self.fail(f"unknown builtin type code {self.text[self.pos:self.pos + 2]!r}")

    def vendor(self) -> _Node:
        """``u <source-name> [I <type>+ E]``: rustc's vendor types (a reference, slice, tuple
        or path; ``u3i64``, ``u4char``), clang's ``u6__bf16``, or a ``cfi_encoding`` name."""
        start = self.pos
        self.pos += 1
        name = self.source_name("a vendor type name")
        code = f"u{len(name)}{name}"
        has_args = self.peek() == "I"
        if code in LEAF_CODES and not has_args:
            leaf = LEAF_CODES[code]
            self.fixed_integers |= isinstance(leaf, FixedInteger)
            self.rust_only |= isinstance(leaf, FixedInteger) and leaf.kind in (
                FixedInt.ISIZE, FixedInt.USIZE)
            self.rust_only |= isinstance(leaf, Primitive) and leaf.kind in VENDOR_SCALARS
            candidate = isinstance(leaf, FixedInteger) or (isinstance(leaf, Primitive)
                                                           and leaf.kind in VENDOR_SCALARS)
            return self.add(self.leaf(leaf)) if candidate else self.leaf(leaf)
        self.rust_only = True
        if name in _VENDOR_WITH_ARGS:
            if not has_args:
                self.fail(f"vendor type {code} takes arguments 'I...E'")
            return self.add(_VENDOR_WITH_ARGS[name](self))
        if name[0] == "N":
            return self.add(self.rust_path(name, start + len(code) - len(name)))
        if has_args:
            self.fail("trait objects ('u3dyn', Rust 'dyn Trait') are not supported yet"
                      if name == "dyn" else f"unknown vendor type {code!r} with arguments",
                      start)
        return self.add(self.leaf(Encoded(code)))

    def arguments(self, what: str, lifetimes: bool = False) -> tuple[list[_Node], list[_Node]]:
        """``I <lifetime>* <type>+ E``: a vendor type's arguments (lifetimes only for
        paths, first)."""
        self.expect("I", "'I' (start of arguments)")
        regions: list[_Node] = []
        args: list[_Node] = []
        while self.peek() != "E":
            if not self.peek():
                self.fail("expected 'E' (end of arguments), but the type id ends here")
            start = self.pos
            if self.at("u6region") or (self.at("S") and self.peek(1) != "t" and not args):
                node = self.lifetime() if self.at("u6region") else self.substitution()
                if isinstance(node.item, Lifetime):
                    if args or not lifetimes:
                        self.fail(f"a lifetime is not an argument of {what} here", start)
                    regions.append(node)
                    continue
                self.pos = start
            args.append(self.type())
        self.pos += 1
        if not args and not regions:
            self.fail("empty argument list 'IE'", self.pos - 2)
        return regions, args

    def lifetime(self) -> _Node:
        """``u6region [I [s <base-62> _] <index> E]``: erased, or bound by a function
        pointer (de Bruijn ``binder``, ``index`` in it); a candidate, as in the encoder."""
        self.pos += len("u6region")
        if self.peek() != "I":
            return self.add(self.leaf(ERASED))
        self.pos += 1
        binder = 0
        if self.peek() == "s":
            self.pos += 1
            start = self.pos
            while self.peek() and self.peek() in _BASE62:
                self.pos += 1
            digits = self.text[start:self.pos]
            if not digits or (len(digits) > 1 and digits[0] == "0") or len(digits) > 4:
                self.fail("expected a binder 's<base-62 digits>_'", start - 1)
            self.expect("_", "'_' after a binder index")
            binder = 1 + _base62(digits)
        index = self.number("a lifetime index")
        self.expect("E", "'E' (end of the lifetime)")
        self.rust_only = True
        return self.add(self.leaf(Lifetime(binder, index)))

    def one_argument(self, what: str) -> _Node:
        _, args = self.arguments(what)
        if len(args) != 1:
            self.fail(f"{what} has one argument", self.pos - 1)
        return args[0]

    def reference(self) -> _Node:
        """``u3refI <type> E``: Rust ``&T``.  Inside a function pointer its lifetime is bound
        there; a reference spelled out again has a lifetime of its own."""
        pointee = self.one_argument("a reference")
        if not self.binders:
            return self.intern(Reference(_as_type(pointee)), ("&", False, ERASED), [pointee])
        binder = self.binders[-1]
        index = binder.next_index
        while True:
            lifetime = Lifetime(0, index)
            node = self.intern(Reference(_as_type(pointee), False, lifetime),
                               ("&", False, lifetime), [pointee])
            if node.key not in self.candidates:
                break
            index += 1
        binder.next_index = max(binder.next_index, index + 1)
        return node

    def slice(self) -> _Node:
        """``u5sliceI <type> E``: Rust ``[T]``."""
        element = self.one_argument("a slice")
        return self.intern(Slice(_as_type(element)), ("[]",), [element])

    def tuple(self) -> _Node:
        """``u5tupleI <type>+ E``: a Rust tuple."""
        _, elements = self.arguments("a tuple")
        return self.intern(Tuple(tuple(_as_type(e) for e in elements)), ("()",), elements)

    def rust_path(self, name: str, offset: int) -> _Node:
        """``u <length> <v0 path> [I <lifetime>* <type>* E]``."""
        path = parse_v0_path(name, self.text, offset)
        regions, args = self.arguments("a path", lifetimes=True) if self.peek() == "I" \
            else ([], [])
        lifetimes = tuple(r.item for r in regions if isinstance(r.item, Lifetime))
        t = RustPath(path.crate, path.disambiguator, path.segments,
                     tuple(_as_type(a) for a in args), lifetimes)
        return self.intern(t, ("path", path.crate, path.disambiguator, path.segments),
                           [*regions, *args])

    # ---- compound types: ``type`` enters the result as a candidate ------------------------

    def mutable(self) -> _Node:
        """``U3mut <type>``: Rust ``&mut T``, qualifying the candidate ``u3refI<T>E``."""
        self.expect("U3mut", "'U3mut' (the only vendor qualifier)")
        inner_start = self.pos
        inner = self.type()
        ref = inner.item
        if not isinstance(ref, Reference) or ref.mutable:
            self.fail("'U3mut' qualifies only a shared reference 'u3refI...E'", inner_start)
        self.rust_only = True
        return self.intern(Reference(ref.pointee, True, ref.lifetime), ("&mut",), [inner])

    def qualified(self) -> _Node:
        """``<CV-qualifiers> <type>``, ``<CV-qualifiers> ::= [r] [V] [K]`` in that order."""
        flags = []
        for letter in "rVK":
            flags.append(self.peek() == letter)
            self.pos += flags[-1]
        base_start = self.pos
        base = self.type()
        if isinstance(base.item, Qualified):
            self.fail("qualifiers out of order (Itanium writes them as r V K)", base_start)
        return self.intern(Qualified(_as_type(base), flags[2], flags[1], flags[0]),
                           ("Q", *flags), [base])

    def pointer(self) -> _Node:
        """``P <type>``; under rustc's numbering ``PF..E`` is one candidate, not two, and a
        function pointer spelled out again differs in ABI or ``unsafe``."""
        self.pos += 1
        if self.peek() != "F":
            pointee = self.type(under_pointer=True)
            return self.intern(Pointer(_as_type(pointee)), ("P",), [pointee])
        self.function_pointers = True
        if self.flavour.function_type_is_candidate:
            pointee = self.type(under_pointer=True)
            return self.intern(Pointer(_as_type(pointee)), ("P",), [pointee])
        self.binders.append(_Binder())
        parts = self.function_parts()
        self.binders.pop()
        for variant in FUNCTION_POINTER_VARIANTS:
            pointee = self.function_node(*parts, variant)
            node = self.intern(Pointer(_as_type(pointee)), ("P",), [pointee])
            if node.key not in self.candidates:
                return node
        self.fail("more function pointer types spelled alike than ABIs to tell them apart")

    def other_origin(self, node: _Node) -> _Node:
        """clang spells a normalised compound again when the C integers it was built on
        differ (``long *`` and ``long long *``: ``Pu3i64PS_``): give its integers the next
        C type of their size that makes it a new candidate."""
        for variant in range(1, 3):
            t = _with_origin(node.item, variant)
            if t is node.item:
                break
            key = ("origin", variant, node.key)
            found = self.interned.get(key)
            if found is None:
                found = self.interned[key] = _Node(t, len(self.interned), node.size, node.depth)
            if found.key not in self.candidates:
                return found
        return node

    def array(self) -> _Node:
        """``A <number> _ <type>`` (clang) / ``A <number> <type>`` (rustc) / ``A_ <type>``."""
        self.pos += 1
        length: int | None = None
        if self.peek() == "_":
            self.pos += 1
        elif self.flavour.array_length_separator:
            length = self.number("an array length", max_digits=20)
            self.expect(self.flavour.array_length_separator, "'_' after the array length")
        else:
            length = self.unseparated_length()
        element = self.type()
        return self.intern(Array(_as_type(element), length), ("A", length), [element])

    def unseparated_length(self) -> int:
        """rustc's array length, which runs into an element that starts with a digit (a
        ``<source-name>``): a choice point between the possible splits of the digits."""
        start = self.pos
        while self.peek().isdigit() and self.peek().isascii():
            self.pos += 1
        digits = self.text[start:self.pos]
        if not digits:
            self.fail("expected an array length (a decimal number)")
        if len(digits) > 40:
            self.fail("array length too large", start)
        splits = [k for k in (len(digits), *range(1, min(len(digits), 21)))
                  if (k == 1 or digits[0] != "0") and digits[k:k + 1] != "0"]
        if not splits:
            self.fail("malformed array length (a leading zero)", start)
        index = len(self.made)
        chosen = self.choices[index] if index < len(self.choices) else 0
        self.made.append((chosen, len(splits)))
        length = int(digits[:splits[chosen]])
        self.pos = start + splits[chosen]
        if self.peek() == "_":
            self.fail(f"{self.flavour.name} writes no '_' after an array length")
        return length

    def complex(self) -> _Node:
        """``C <type>``: C ``_Complex T``."""
        self.pos += 1
        element = self.type()
        return self.intern(Complex(_as_type(element)), ("C",), [element])

    def bare_function_type(self) -> _Node:
        """``<function-type>`` where a type is expected (a candidate, as in the encoder)."""
        return self.function()

    def std_name(self) -> _Node:
        """``St <source-name>``: ``std::``-qualified names (clang's AAPCS ``St9__va_list``),
        kept verbatim as the :class:`Encoded` the C front end makes of them."""
        self.pos += 2
        name = self.source_name("a std:: name")
        return self.leaf(Encoded(f"St{len(name)}{name}"))

    def source_named(self) -> _Node:
        """``<class-enum-type> ::= <source-name>``: a struct, union, enum or extern type."""
        if not self.peek().isdigit():
            c = self.peek()
            self.fail(f"unknown type code {c!r}" if c else
                      "expected a type, but the type id ends here")
        start = self.pos
        name = self.source_name("a type name")
        if not is_identifier(name):
            self.fail(f"type name {name!r} is not an identifier", start)
        return self.leaf(Named(name))

    COMPOUND: ClassVar[dict[str, Callable[[_Parser], _Node]]] = {
        "U": mutable, "r": qualified, "V": qualified, "K": qualified, "P": pointer,
        "A": array, "C": complex, "F": bare_function_type, "S": std_name,
    }


_VENDOR_WITH_ARGS: dict[str, Callable[[_Parser], _Node]] = {
    "ref": _Parser.reference, "slice": _Parser.slice, "tuple": _Parser.tuple,
}


#: The C integer types each normalised integer may have come from, in the order the decoder
#: assumes them when clang spells one compound twice (render_decoded shows the first).
C_ORIGINS: dict[FixedInt, tuple[Type, ...]] = {
    FixedInt.I8: (CInteger(CInt.SCHAR), CInteger(CInt.CHAR)),
    FixedInt.U8: (CInteger(CInt.UCHAR), Primitive(Scalar.BOOL), CInteger(CInt.CHAR)),
    FixedInt.I16: (CInteger(CInt.SHORT),), FixedInt.U16: (CInteger(CInt.USHORT),),
    FixedInt.I32: (CInteger(CInt.INT), CInteger(CInt.LONG)),
    FixedInt.U32: (CInteger(CInt.UINT), CInteger(CInt.ULONG)),
    FixedInt.I64: (CInteger(CInt.LLONG), CInteger(CInt.LONG)),
    FixedInt.U64: (CInteger(CInt.ULLONG), CInteger(CInt.ULONG)),
    FixedInt.I128: (CInteger(CInt.INT128),), FixedInt.U128: (CInteger(CInt.UINT128),),
}


def _with_origin(t: Type | Lifetime, variant: int) -> Type | Lifetime:
    """``t`` with its normalised integers given their ``variant``-th C origin (``t`` itself
    when none has one)."""
    match t:
        case FixedInteger(kind, None):
            origins = C_ORIGINS.get(kind, ())
            if variant < len(origins):
                origin = origins[variant]
                assert isinstance(origin, (CInteger, Primitive))
                return FixedInteger(kind, origin)
            return t
        case Pointer(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else Pointer(new)
        case Complex(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else Complex(new)
        case Qualified(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else replace(t, base=new)
        case Array(inner):
            new = _with_origin(inner, variant)
            return t if new is inner or isinstance(new, Lifetime) else replace(t, element=new)
        case FunctionType():
            parts = [_with_origin(x, variant) for x in (t.returns, *t.params)]
            if all(a is b for a, b in zip(parts, (t.returns, *t.params))):
                return t
            types = [x for x in parts if not isinstance(x, Lifetime)]
            return replace(t, returns=types[0], params=tuple(types[1:]))
        case _:
            return t


def _base62(digits: str) -> int:
    value = 0
    for d in digits:
        value = value * 62 + _BASE62.index(d)
    return value


def _as_type(node: _Node) -> Type:
    assert not isinstance(node.item, Lifetime)
    return node.item
