"""Rust's vendor types in the decoder: ``u3refI..E``, ``U3mut``, slices, tuples, v0 paths with
their lifetimes, and ``cfi_encoding`` names.

rustc spells a component out again only when it differs in what the id does not show, a bound
lifetime of a reference inside a function pointer or the ABI/``unsafe`` of a function pointer;
the decoder then picks the first such difference that makes the new component distinct, so
that re-encoding gives the same id.
"""

from __future__ import annotations

from typing import Callable

from ..codes import VENDOR_SCALARS
from .decoder_builtins import LEAF_CODES
from .decoder_paths import parse_v0_path
from .decoder_reader import Node, Reader, as_type
from ..errors import DecodeError
from ..model import (
    ERASED, DynTrait, Encoded, FixedInt, FixedInteger, Lifetime, Primitive, Projection,
    Reference, RustPath, Slice, Tuple,
)

#: What tells apart function pointer types that rustc spells alike: (ABI, unsafe), in the
#: order the decoder tries them.
FUNCTION_POINTER_VARIANTS: tuple[tuple[str, bool], ...] = (
    ("C", False), ("Rust", False), ("C", True), ("Rust", True), ("system", False),
    ("system", True),
)

#: The auto traits a trait object names after its principal and projections (rustc's
#: ``core::marker`` and ``core::panic`` ones; a user's ``auto trait`` is told by its place).
AUTO_TRAITS = frozenset({"Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe", "Freeze",
                         "Sized"})

BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class RustTypes(Reader):
    """The productions of rustc's vendor types."""

    def vendor(self) -> Node:
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
            node = self.leaf(leaf)
            if candidate and node.key in self.candidates:
                # spelled again, not substituted: a cfi_encoding that stands for another type
                self.rust_only = True
                node = self.distinct(self.leaf(Encoded(code)))
            return self.add(node) if candidate else node
        self.rust_only = True
        if name == "dyn" and has_args:
            return self.add(self.dyn_trait())
        if name in _VENDOR_WITH_ARGS:
            if not has_args:
                self.fail(f"vendor type {code} takes arguments 'I...E'")
            return self.add(_VENDOR_WITH_ARGS[name](self))
        if name[0] == "N":
            return self.add(self.rust_path(name, start + len(code) - len(name)))
        if has_args:
            self.fail(f"unknown vendor type {code!r} with arguments", start)
        return self.add(self.distinct(self.leaf(Encoded(code))))

    def arguments(self, what: str, lifetimes: bool = False) -> tuple[list[Node], list[Node]]:
        """``I <lifetime>* <type>+ E``: a vendor type's arguments (lifetimes only for
        paths, first)."""
        self.expect("I", "'I' (start of arguments)")
        regions: list[Node] = []
        args: list[Node] = []
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

    def lifetime(self) -> Node:
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
            while self.peek() and self.peek() in BASE62:
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

    def dyn_trait(self) -> Node:
        """``u3dyn I <predicate>+ <region> E``: a trait object (the caller enters it).  Each
        predicate is a candidate of its own: the principal or an auto trait (a path), or a
        projection ``u <len> <path> [I <args> E] <term>`` (only the whole is a candidate).
        rustc orders them principal, projections, auto traits; a path after the first is a
        projection unless it has no arguments and is an auto trait's (a known name, or
        the region follows it)."""
        self.expect("I", "'I' (start of a trait object's predicates)")
        predicates: list[Node] = []
        auto = False
        while True:
            start = self.pos
            if not self.peek():
                self.fail("expected a trait object's region 'u6region', but the type id ends "
                          "here")
            if self.at("u6region"):
                region = self.lifetime()
                break
            if self.peek() == "S" and self.peek(1) != "t":
                node = self.substitution()
                if isinstance(node.item, Lifetime):
                    region = node
                    break
                if not isinstance(node.item, (RustPath, Projection)):
                    self.fail("a trait object's predicate is a trait path or a projection",
                              start)
                predicates.append(node)
                continue
            if not self.at("u"):
                self.fail("expected a trait object's predicate (a trait path 'u<len>N...') "
                          "or its region 'u6region'")
            self.pos += 1
            name = self.source_name("a trait's path")
            if name[:1] != "N":
                self.fail("a trait object's predicate is a trait path 'u<len>N...'", start)
            path = self.rust_path(name, self.pos - len(name))
            item = path.item
            assert isinstance(item, RustPath)
            auto = auto or (bool(predicates) and not item.args and not item.lifetimes and (
                item.segments[-1].name in AUTO_TRAITS or self.at("u6region")
                or self._at_lifetime_substitution()))
            if not predicates or auto:
                predicates.append(self.add(path))
                continue
            term = self.type()
            predicates.append(self.add(self.intern(Projection(item, as_type(term)),
                                                   ("proj",), [path, term])))
        self.expect("E", "'E' (end of the trait object)")
        if not predicates:
            self.fail("a trait object has at least one trait", self.pos - 1)
        lifetime = region.item
        assert isinstance(lifetime, Lifetime)
        return self.intern(DynTrait(tuple(as_type(p) for p in predicates), lifetime),
                           ("dyn",), [*predicates, region])

    def _at_lifetime_substitution(self) -> bool:
        """Whether a substitution naming a lifetime starts here (nothing is consumed)."""
        if self.peek() != "S" or self.peek(1) == "t":
            return False
        start = self.pos
        try:
            return isinstance(self.substitution().item, Lifetime)
        except DecodeError:
            return False
        finally:
            self.pos = start

    def one_argument(self, what: str) -> Node:
        _, args = self.arguments(what)
        if len(args) != 1:
            self.fail(f"{what} has one argument", self.pos - 1)
        return args[0]

    def reference(self) -> Node:
        """``u3refI <type> E``: Rust ``&T``.  Inside a function pointer its lifetime is bound
        there; a reference spelled out again has a lifetime of its own."""
        pointee = self.one_argument("a reference")
        if not self.binders:
            return self.intern(Reference(as_type(pointee)), ("&", False, ERASED), [pointee])
        binder = self.binders[-1]
        index = binder.next_index
        while True:
            lifetime = Lifetime(0, index)
            node = self.intern(Reference(as_type(pointee), False, lifetime),
                               ("&", False, lifetime), [pointee])
            if node.key not in self.candidates:
                break
            index += 1
        binder.next_index = max(binder.next_index, index + 1)
        return node

    def slice(self) -> Node:
        """``u5sliceI <type> E``: Rust ``[T]``."""
        element = self.one_argument("a slice")
        return self.intern(Slice(as_type(element)), ("[]",), [element])

    def tuple(self) -> Node:
        """``u5tupleI <type>+ E``: a Rust tuple."""
        _, elements = self.arguments("a tuple")
        return self.intern(Tuple(tuple(as_type(e) for e in elements)), ("()",), elements)

    def rust_path(self, name: str, offset: int) -> Node:
        """``u <length> <v0 path> [I <lifetime>* <type>* E]``."""
        path = parse_v0_path(name, self.text, offset)
        regions, args = self.arguments("a path", lifetimes=True) if self.peek() == "I" \
            else ([], [])
        lifetimes = tuple(r.item for r in regions if isinstance(r.item, Lifetime))
        t = RustPath(path.crate, path.disambiguator, path.segments,
                     tuple(as_type(a) for a in args), lifetimes)
        return self.intern(t, ("path", path.crate, path.disambiguator, path.segments),
                           [*regions, *args])

    def mutable(self) -> Node:
        """``U3mut <type>``: Rust ``&mut T``, qualifying the candidate ``u3refI<T>E``."""
        self.expect("U3mut", "'U3mut' (the only vendor qualifier)")
        inner_start = self.pos
        inner = self.type()
        ref = inner.item
        if not isinstance(ref, Reference) or ref.mutable:
            self.fail("'U3mut' qualifies only a shared reference 'u3refI...E'", inner_start)
        self.rust_only = True
        return self.intern(Reference(ref.pointee, True, ref.lifetime), ("&mut",), [inner])



_VENDOR_WITH_ARGS: dict[str, Callable[[RustTypes], Node]] = {
    "ref": RustTypes.reference, "slice": RustTypes.slice, "tuple": RustTypes.tuple,
}


def _base62(digits: str) -> int:
    value = 0
    for d in digits:
        value = value * 62 + BASE62.index(d)
    return value
