"""Function and compound types in the decoder, and ``<type>`` itself: the parser that joins
the builtin and Rust productions.

Each parse method answers one case of the encoder's ``_type``/``_compound`` and records a
substitution candidate at exactly the point the encoder adds one: after the component's
children, for the same kinds of component, with the same :class:`~cfi_typeid.flavours.Flavour`
fields deciding where clang and rustc differ (whether ``F..E`` under ``P`` is a candidate of
its own, how arrays are spelled).
"""

from __future__ import annotations

from typing import Callable, ClassVar

from .decoder_builtins import ONE_LETTER_CODES, BuiltinTypes
from .decoder_paths import is_identifier
from .decoder_reader import MAX_DEPTH, Binder, Node, as_type
from .decoder_rust import FUNCTION_POINTER_VARIANTS, RustTypes
from ..model import (
    Array, Atomic, CInteger, Complex, ConstValue, Encoded, FunctionType, Lifetime, Named, Pointer, Qualified,
)


class Parser(BuiltinTypes, RustTypes):
    """Recursive descent over one span."""

    def function(self) -> Node:
        """``<function-type> ::= F <return-type> (<parameter-type>+ | v) [z] E``; no
        parameter list at all (``FiE``) is an unprototyped C function."""
        return self.function_node(*self.function_parts(), ("C", False))

    def calling_convention(self) -> str:
        """``[U <source-name>]`` before ``F``: clang's calling-convention vendor qualifier
        (``U6ms_abi``, ``U8sysv_abi``), or "" when none."""
        if not self.at_qualified_function():
            return ""
        start = self.pos
        self.pos += 1
        name = self.source_name("a calling convention")
        if not is_identifier(name):
            self.fail(f"calling convention {name!r} is not an identifier", start)
        return name

    def at_qualified_function(self) -> bool:
        """Whether ``U <source-name> F`` (a function type with a calling convention) starts
        here; nothing is consumed."""
        if self.peek() != "U" or self.at("U3mut"):
            return False
        i = self.pos + 1
        while i < self.end and self.text[i].isdigit() and self.text[i].isascii():
            i += 1
        digits = self.text[self.pos + 1:i]
        if not digits or digits[0] == "0" or len(digits) > 4:
            return False
        after = i + int(digits)
        return after < self.end and self.text[after] == "F"

    def function_parts(self) -> tuple[Node, list[Node], bool, bool, str]:
        """The return type, parameters, ``...``, prototype flag and calling convention of
        a function type."""
        convention = self.calling_convention()
        self.expect("F", "'F' (a function type)")
        returns = self.type()
        params: list[Node] = []
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
        return returns, params, variadic, prototyped, convention

    def function_node(self, returns: Node, params: list[Node], variadic: bool,
                      prototyped: bool, convention: str, variant: tuple[str, bool]) -> Node:
        abi, unsafe = variant
        fn = FunctionType(as_type(returns), tuple(as_type(p) for p in params), variadic,
                          prototyped, abi, unsafe, convention)
        return self.intern(fn, ("F", variadic, prototyped, abi, unsafe, convention),
                           [returns, *params])

    def type(self, under_pointer: bool = False) -> Node:
        """``<type>``: one component, substituted or spelled out."""
        start = self.pos
        self.nesting += 1
        if self.nesting > 2 * MAX_DEPTH:
            self.fail(f"types nested more than {MAX_DEPTH} deep")
        c = self.peek()
        if c == "S" and self.peek(1) != "t":
            node = self.substitution()
        elif c in ONE_LETTER_CODES:
            self.pos += 1
            node = self.leaf(ONE_LETTER_CODES[c])
            self.c_integers += isinstance(node.item, CInteger)
        elif c == "D":
            node = self.d_code()
        elif c == "u":
            node = self.vendor()
        else:
            node = self.COMPOUND.get(c, Parser.source_named)(self)
            if node.key in self.candidates and isinstance(node.item, Named):
                node = self.distinct(node)
            elif node.key in self.candidates and self.flavour.normalized_integers_keep_c_type:
                node = self.other_origin(node)
            node = self.add(node)
        if isinstance(node.item, Lifetime):
            self.fail("a lifetime where a type is expected", start)
        if isinstance(node.item, FunctionType) and not under_pointer:
            self.bare_function = True
        self.nesting -= 1
        return node

    def qualified(self) -> Node:
        """``<CV-qualifiers> <type>``, ``<CV-qualifiers> ::= [r] [V] [K]`` in that order."""
        flags = []
        for letter in "rVK":
            flags.append(self.peek() == letter)
            self.pos += flags[-1]
        base_start = self.pos
        base = self.type()
        if isinstance(base.item, Qualified):
            self.fail("qualifiers out of order (Itanium writes them as r V K)", base_start)
        return self.intern(Qualified(as_type(base), flags[2], flags[1], flags[0]),
                           ("Q", *flags), [base])

    def pointer(self) -> Node:
        """``P <type>``; under rustc's numbering ``PF..E`` is one candidate, not two, and a
        function pointer spelled out again differs in ABI or ``unsafe``."""
        self.pos += 1
        if self.peek() != "F" and not self.at_qualified_function():
            pointee = self.type(under_pointer=True)
            return self.intern(Pointer(as_type(pointee)), ("P",), [pointee])
        self.function_pointers = True
        if self.flavour.function_type_is_candidate:
            pointee = self.type(under_pointer=True)
            return self.intern(Pointer(as_type(pointee)), ("P",), [pointee])
        self.binders.append(Binder())
        parts = self.function_parts()
        self.binders.pop()
        for variant in FUNCTION_POINTER_VARIANTS:
            pointee = self.function_node(*parts, variant)
            node = self.intern(Pointer(as_type(pointee)), ("P",), [pointee])
            if node.key not in self.candidates:
                return node
        self.fail("more function pointer types spelled alike than ABIs to tell them apart")

    def array(self) -> Node:
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
        return self.intern(Array(as_type(element), length), ("A", length), [element])

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

    def vendor_qualified(self) -> Node:
        """``U3mut <type>`` (Rust ``&mut``) or ``U <source-name> F..E`` (a C function type
        with a calling convention, one candidate as in the encoder)."""
        if self.at("U3mut"):
            return self.mutable()
        if self.at("U7_Atomic"):
            return self.atomic()
        if not self.at_qualified_function():
            self.fail("a vendor qualifier is 'U3mut' (Rust), 'U7_Atomic' (C) or a calling "
                      "convention before a function type ('U6ms_abiF...E')")
        return self.function()

    def atomic(self) -> Node:
        """``U7_Atomic <type>``: C11 ``_Atomic T``, one candidate; clang writes it of no
        qualified, atomic, array or function type (it refuses those)."""
        self.pos += len("U7_Atomic")
        start = self.pos
        base = self.type()
        if isinstance(base.item, (Qualified, Atomic, Array, FunctionType)):
            self.fail("clang writes no _Atomic of a qualified, atomic, array or function type",
                      start)
        return self.intern(Atomic(as_type(base)), ("U7_Atomic",), [base])

    def const_value(self) -> Node:
        """``L <type> <value> E``: a const generic argument (``LbtrueE``, ``Lu3i32n-5E``);
        the value as rustc spells it: ``true``/``false``, a number, ``n-<number>``."""
        self.pos += 1
        ty = self.type()
        start = self.pos
        end = self.text.find("E", start, self.end)
        if end < 0:
            self.fail("expected 'E' (end of a const argument), but the type id ends here")
        value = self.text[start:end]
        digits = value[2:] if value.startswith("n-") else value
        if not (value in ("true", "false") or (
                digits.isdigit() and digits.isascii() and len(digits) <= 40
                and (digits == "0" or digits[0] != "0") and not (value != digits
                                                                   and digits == "0"))):
            self.fail("expected a const argument's value ('true', 'false', a decimal number "
                      "or 'n-' and one)", start)
        self.pos = end + 1
        self.rust_only = True
        return self.intern(ConstValue(as_type(ty), value), ("L", value), [ty])

    def complex(self) -> Node:
        """``C <type>``: C ``_Complex T``."""
        self.pos += 1
        element = self.type()
        return self.intern(Complex(as_type(element)), ("C",), [element])

    def bare_function_type(self) -> Node:
        """``<function-type>`` where a type is expected (a candidate, as in the encoder)."""
        return self.function()

    def std_name(self) -> Node:
        """``St <source-name>``: ``std::``-qualified names (clang's AAPCS ``St9__va_list``),
        kept verbatim as the :class:`Encoded` the C front end makes of them."""
        self.pos += 2
        name = self.source_name("a std:: name")
        return self.leaf(Encoded(f"St{len(name)}{name}"))

    def source_named(self) -> Node:
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

    COMPOUND: ClassVar[dict[str, Callable[[Parser], Node]]] = {
        "U": vendor_qualified, "L": const_value, "r": qualified, "V": qualified, "K": qualified, "P": pointer,
        "A": array, "C": complex, "F": bare_function_type, "S": std_name,
    }

