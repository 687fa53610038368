"""Hypothesis strategies for C function types, per target, and for the many ways C spells them.

Two layers, as in pycparser's round-trip tests.  :func:`function_types` draws *models* (what a
type is), limited to what clang-19 accepts on the target: ``__int128`` only on 64-bit targets,
``__float128`` on x86 only, ``_Float16``/``__bf16`` not on i686, ``__fp16`` behind pointers only
except on ARM, ``_BitInt`` wider than 128 only on x86 (all probed with clang-19).  Tags come from
a small pool so that substitutions (``S_``, ``S0_``) happen often.  :class:`SpellingRenderer`
then draws *text* for a model: specifiers in any order, qualifiers before or after, array- and
function-typed parameters that decay, top-level qualifiers that vanish, typedef names, GNU
noise — every variant must parse back to the same model and get the same ids from clang.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Mapping, Sequence, TypeVar

from hypothesis import strategies as st

from ..c.frontend import parse_c_type
from ..model import (
    VOID, Array, Atomic, BitInt, CInt, CInteger, Complex, Encoded, FunctionType, Named, Pointer,
    Primitive, Qualified, Scalar, TYPEDEF_NAMED, Type, Vector,
)
from ..c.render import CRenderer
from ..targets import TARGETS, Target

T = TypeVar("T")

#: The targets the C sweeps draw from: the five the C front end was built on (every other row
#: of the table is checked against clang by tests/test_targets.py and
#: tests/test_c_calling_conventions.py; *-windows-msvc has no Itanium C ids at all).
TRIPLES: tuple[str, ...] = ("x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu",
                            "i686-unknown-linux-gnu", "armv7-unknown-linux-gnueabihf",
                            "riscv64-unknown-linux-gnu")

#: The tag pool.  Every tag is complete in SHARED_PRELUDE, so arrays of them are valid C.
STRUCTS = (Named("S"), Named("Node"))
UNIONS = (Named("U", "union"),)
ENUMS = (Named("E", "enum"), Named("Color", "enum"))
#: Tagless structs known by a typedef name (``typedef struct {...} Anon;`` encodes ``4Anon``);
#: the spelling renderer must write them by that name.  They are not the tags of that name
#: (:data:`~cfi_typeid.model.TYPEDEF_NAMED`).
TAGLESS = (Named("Anon", "struct", TYPEDEF_NAMED), Named("point", "struct", TYPEDEF_NAMED),
           Named("Mode", "enum", TYPEDEF_NAMED), Named("Onion", "union", TYPEDEF_NAMED))

#: Declarations shared by clang and our parser in the differential and round-trip tests.
SHARED_PRELUDE = """\
struct S { int m; };
struct Node { struct Node *next; long value; };
union U { int i; float f; };
enum E { E_A, E_B = 4 };
enum Color { RED = 1 << 2, GREEN = RED * 2, BLUE };
typedef struct { int x; } Anon;
typedef struct { double x, y; } point;
typedef enum { MODE_A, MODE_B = sizeof(int) * 2 } Mode;
typedef union { int i; char c[MODE_B]; } Onion;
typedef struct S S_t;
typedef struct Node Node;
typedef const int cint;
typedef volatile unsigned char vuchar;
typedef int (*handler_t)(char);
typedef const char *cstr;
typedef int arr4_t[4];
typedef void fn_t(int);
typedef unsigned long long u64_alias;
"""

#: What clang needs to know the typedefs our parser predefines, from clang's own macros (so
#: the differential test checks targets.py's typedef table too).
CLANG_MACROS: dict[str, str] = {
    "size_t": "__SIZE_TYPE__", "ptrdiff_t": "__PTRDIFF_TYPE__", "intptr_t": "__INTPTR_TYPE__",
    "uintptr_t": "__UINTPTR_TYPE__", "intmax_t": "__INTMAX_TYPE__",
    "uintmax_t": "__UINTMAX_TYPE__", "int8_t": "__INT8_TYPE__", "int16_t": "__INT16_TYPE__",
    "int32_t": "__INT32_TYPE__", "int64_t": "__INT64_TYPE__", "uint8_t": "__UINT8_TYPE__",
    "uint16_t": "__UINT16_TYPE__", "uint32_t": "__UINT32_TYPE__",
    "uint64_t": "__UINT64_TYPE__", "wchar_t": "__WCHAR_TYPE__", "wint_t": "__WINT_TYPE__",
    "char16_t": "__CHAR16_TYPE__", "char32_t": "__CHAR32_TYPE__", "bool": "_Bool",
    "va_list": "__builtin_va_list",
}
CLANG_TYPEDEFS = "\n".join(f"typedef {macro} {name};"
                           for name, macro in CLANG_MACROS.items()) + "\n"

TYPEDEF_NAMES = (
    "size_t", "ptrdiff_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "int8_t",
    "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "wchar_t",
    "wint_t", "char16_t", "char32_t", "bool", "va_list", "handler_t", "cstr", "arr4_t", "fn_t",
    "u64_alias", "Anon", "point", "Mode", "Onion", "S_t", "Node", "cint", "vuchar",
)

_VA_LIST_TAG = Named("__va_list_tag")

#: Constant expressions the prelude gives a value to, for array lengths.
_CONSTANTS = (("E_B", 4), ("RED", 4), ("GREEN", 8), ("BLUE", 9), ("MODE_B", 8),
              ("sizeof(int)", 4), ("sizeof(short) * 3", 6), ("1 << 4", 16),
              ("E_B ? 7 : 1", 7), ("sizeof(long long) + 'a' - 'a'", 8), ("(2 + 3) % 4", 1))


def _join(specifiers: str, inner: str) -> str:
    return f"{specifiers} {inner}" if inner else specifiers


@lru_cache(maxsize=None)
def typedef_table(triple: str) -> Mapping[Type, tuple[str, ...]]:
    """Model → typedef names for it, on ``triple`` (read by our parser; clang checks it)."""
    target = TARGETS[triple]
    table: dict[Type, tuple[str, ...]] = {}
    for name in TYPEDEF_NAMES:
        t, _ = parse_c_type(name, SHARED_PRELUDE, target)
        table[t] = table.get(t, ()) + (name,)
    return table


@lru_cache(maxsize=None)
def _builtin(triple: str, spelling: str) -> Type:
    """The model of a builtin type whose model depends on the target (``__bf16``)."""
    return parse_c_type(spelling, "", TARGETS[triple])[0]


def va_list_type(triple: str) -> Type:
    """The model of ``__builtin_va_list`` on ``triple``."""
    return _builtin(triple, "__builtin_va_list")


# ---- models ---------------------------------------------------------------------------------

def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """``one_of`` with integer weights (a strategy listed ``w`` times is drawn ``w`` times as
    often): leaves must not crowd out the pointers, arrays and functions that make ids hard."""
    return st.one_of(*[s for w, s in choices for _ in range(w)])


def integer_types(target: Target) -> st.SearchStrategy[Type]:
    kinds = [k for k in CInt if target.has_int128 or k not in (CInt.INT128, CInt.UINT128)]
    return st.sampled_from([CInteger(k) for k in kinds])


def float_types(target: Target) -> list[Type]:
    """Real floating types clang-19 accepts on ``target`` as values."""
    out: list[Type] = [Primitive(Scalar.FLOAT), Primitive(Scalar.DOUBLE),
                       Primitive(Scalar.LONG_DOUBLE)]
    if target.has_float128:
        out.append(Primitive(Scalar.FLOAT128))
    if target.has_float16:
        out.append(Primitive(Scalar.FLOAT16))
    return out


def bitint_types(target: Target) -> st.SearchStrategy[Type]:
    widths = st.one_of(st.integers(2, min(130, target.max_bitint)),
                       st.sampled_from([target.max_bitint, 64, 128]))
    return st.one_of(st.builds(BitInt, widths, st.booleans()),
                     st.just(BitInt(1, False)))


def complex_types(target: Target) -> st.SearchStrategy[Type]:
    integers = [CInteger(k) for k in CInt if k not in (CInt.INT128, CInt.UINT128)]
    return st.builds(Complex, st.one_of(st.sampled_from(float_types(target)),
                                        st.sampled_from(integers), bitint_types(target)))


def leaf_types(target: Target) -> st.SearchStrategy[Type]:
    """Complete scalar and tag types: what a parameter or an array element can be."""
    triple = target.triple
    extras: list[Type] = [Primitive(Scalar.BOOL), *float_types(target)]
    if target.has_bf16:
        extras.append(_builtin(triple, "__bf16"))
    if target.half_args:
        extras.append(Primitive(Scalar.HALF))
    if isinstance(va_list_type(triple), Encoded):
        extras.append(va_list_type(triple))
    return weighted(
        (6, integer_types(target)),
        (2, st.sampled_from(extras)),
        (3, st.sampled_from(STRUCTS + UNIONS + ENUMS + TAGLESS)),
        (1, bitint_types(target)), (1, complex_types(target)),
    )


def atomic_types(target: Target) -> st.SearchStrategy[Type]:
    """C11 ``_Atomic`` of what clang accepts it of on every target: C integers, float and
    double, complete tags (never a _BitInt, an array, a function or a qualified type)."""
    integers = [CInteger(k) for k in CInt if k not in (CInt.INT128, CInt.UINT128)]
    return st.builds(Atomic, st.sampled_from(
        integers + [Primitive(Scalar.FLOAT), Primitive(Scalar.DOUBLE),
                    Primitive(Scalar.BOOL), *STRUCTS, *UNIONS, *ENUMS, *TAGLESS]))


def vector_types(target: Target) -> st.SearchStrategy[Type]:
    """GCC vectors (``vector_size``) of what clang makes them of on ``target``: C integers,
    float, double and _Float16 where they exist, now and then const (a typedef's qualifier,
    which stays inside the vector); 1 to 16 elements, not only powers of two."""
    elements: list[Type] = [CInteger(k) for k in CInt
                            if target.has_int128 or k not in (CInt.INT128, CInt.UINT128)]
    elements += [Primitive(Scalar.FLOAT), Primitive(Scalar.DOUBLE)]
    if target.has_float16:
        elements.append(Primitive(Scalar.FLOAT16))
    element = st.sampled_from(elements)
    return st.builds(Vector, st.one_of(element, element.map(lambda t: Qualified(t, const=True))),
                     st.sampled_from([1, 2, 3, 4, 8, 16]))


def restrictable(t: Type) -> bool:
    """Whether C allows ``restrict`` on ``t``: pointers to object types only."""
    return isinstance(t, Pointer) and not isinstance(
        t.pointee.base if isinstance(t.pointee, Qualified) else t.pointee, FunctionType)


def qualified(s: st.SearchStrategy[Type], restrict_ok: bool = True) -> st.SearchStrategy[Type]:
    """``s`` with cv-qualifiers now and then (and ``restrict`` on pointers)."""
    def add(t: Type, quals: tuple[bool, bool, bool]) -> Type:
        const, volatile, restrict = quals
        restrict = restrict and restrict_ok and restrictable(t)
        if isinstance(t, (Array, FunctionType)):  # C qualifies an array's elements, and
            return t                              # has no qualified function types
        return Qualified(t, const, volatile, restrict) if (const or volatile or restrict) else t
    quals = st.sampled_from([(False, False, False)] * 4 + [
        (True, False, False), (True, False, False), (False, True, False), (True, True, False),
        (False, False, True), (True, False, True)])
    return st.builds(add, s, quals)


@lru_cache(maxsize=None)
def object_types(triple: str, depth: int) -> st.SearchStrategy[Type]:
    """Unqualified complete object types other than arrays: parameters after adjustment."""
    target = TARGETS[triple]
    if depth <= 0:
        return leaf_types(target)
    return weighted((3, leaf_types(target)), (2, pointer_types(triple, depth - 1)))


@lru_cache(maxsize=None)
def pointer_types(triple: str, depth: int) -> st.SearchStrategy[Type]:
    return st.builds(Pointer, pointee_types(triple, depth))


@lru_cache(maxsize=None)
def pointee_types(triple: str, depth: int) -> st.SearchStrategy[Type]:
    """What a pointer may point to: objects, void, __fp16, arrays (even unsized), functions."""
    choices = [(4, object_types(triple, depth)),
               (2, st.sampled_from([VOID, VOID, VOID, Primitive(Scalar.HALF)])),
               (2, array_types(triple, depth, unsized=True)), (2, function_types(triple, depth))]
    if triple.startswith("x86_64"):
        choices.append((1, st.just(va_list_type(triple))))  # va_list *
    return qualified(weighted(*choices))


@lru_cache(maxsize=None)
def array_types(triple: str, depth: int, unsized: bool) -> st.SearchStrategy[Type]:
    """Arrays; only the outermost dimension, under a pointer, may be unsized (``int (*)[]``)."""
    elements = [object_types(triple, depth).filter(lambda t: not _huge(t)),
                st.just(Primitive(Scalar.HALF))]
    if depth > 0:
        elements.append(array_types(triple, depth - 1, unsized=False))
    lengths = st.one_of(st.integers(1, 12), st.just(0))
    if unsized:  # the outermost dimension: long ones too, with clang's size limit in mind
        lengths = st.one_of(lengths, st.integers(13, 1 << 16), st.none())
    return st.builds(Array, qualified(st.one_of(*elements), restrict_ok=True), lengths)


def _huge(t: Type) -> bool:
    """A type whose arrays soon pass clang's object size limit (2**31 bytes on ILP32)."""
    t = t.base if isinstance(t, Qualified) else t
    t = t.element if isinstance(t, Complex) else t
    return isinstance(t, BitInt) and t.bits > 256


@lru_cache(maxsize=None)
def function_types(triple: str, depth: int = 2) -> st.SearchStrategy[FunctionType]:
    """C function types clang-19 accepts on ``triple``, parameters already adjusted."""
    target = TARGETS[triple]
    returns = [(4, object_types(triple, depth)), (2, st.just(VOID))]
    params = [(12, object_types(triple, depth))]
    if triple.startswith("x86_64"):
        params.append((1, st.just(Pointer(_VA_LIST_TAG))))  # va_list, decayed
    if target.half_args:
        returns.append((1, st.just(Primitive(Scalar.HALF))))
    prototyped = st.builds(
        lambda r, ps, v: FunctionType(r, tuple(ps), v and bool(ps)),
        qualified(weighted(*returns)), st.lists(weighted(*params), max_size=5),
        st.integers(0, 3).map(lambda i: i == 0))
    unprototyped = st.builds(lambda r: FunctionType(r, prototyped=False),
                             qualified(weighted(*returns)))
    return weighted((6, prototyped), (1, unprototyped))


def targets_and_functions(depth: int = 2) -> st.SearchStrategy[tuple[str, FunctionType]]:
    return st.sampled_from(TRIPLES).flatmap(
        lambda triple: st.tuples(st.just(triple), function_types(triple, depth)))


# ---- spellings ------------------------------------------------------------------------------

_QUALIFIER_SPELLINGS = {"const": ("const", "const", "__const"),
                        "volatile": ("volatile", "volatile", "__volatile__"),
                        "restrict": ("restrict", "__restrict", "__restrict__")}


class SpellingRenderer(CRenderer):
    """A :class:`CRenderer` that draws each spelling choice, for one target's typedefs.

    Every choice keeps the model: ``parse(render(t)) == t`` must hold whatever is drawn.
    """

    def __init__(self, draw: st.DrawFn, triple: str) -> None:
        self.draw = draw
        self.triple = triple
        self.typedefs = typedef_table(triple)

    def _pick(self, options: Sequence[T]) -> T:
        return options[0] if len(options) == 1 else self.draw(st.sampled_from(options))

    def _coin(self, p_true: int = 1, of: int = 2) -> bool:
        return self.draw(st.integers(0, of - 1)) < p_true

    def integer(self, kind: CInt) -> str:
        if kind is CInt.INT128 and self._coin(1, 3):
            return "__int128_t"
        if kind is CInt.UINT128 and self._coin(1, 3):
            return "__uint128_t"
        words = [w for w in kind.value.split() if w != "int"]
        if "char" not in words and "__int128" not in words and (not words or self._coin()):
            words.append("int")  # `unsigned` and `long` may drop the `int`, `int` may not
        if words[0] not in ("unsigned", "char") and "char" not in words and self._coin(1, 4):
            words.insert(0, self._pick(("signed", "__signed__")))
        if words == ["int"] and self._coin(1, 4):
            words = ["signed"]
        return " ".join(self._pick(list(itertools.permutations(words))[:24]))

    def leaf(self, t: Type) -> str:
        if isinstance(t, Named) and t in TAGLESS:
            return t.name
        if t == Primitive(Scalar.BOOL) and self._coin():
            return "bool"
        if t == Complex(Primitive(Scalar.DOUBLE)) and self._coin(1, 4):
            return "_Complex"  # GNU: plain _Complex is _Complex double
        if isinstance(t, Atomic) and not isinstance(t.base, Pointer) and self._coin():
            return f"_Atomic {self.leaf(t.base)}"  # the qualifier, not _Atomic(T)
        if isinstance(t, Complex):
            element = self.leaf(t.element)
            word = self._pick(("_Complex", "_Complex", "__complex__"))
            return f"{word} {element}" if self._coin() else f"{element} {word}"
        return super().leaf(t)

    def qualifier_words(self, const: bool, volatile: bool, restrict: bool) -> list[str]:
        words = super().qualifier_words(const, volatile, restrict)
        words = [self._pick(_QUALIFIER_SPELLINGS[w]) for w in words]
        return list(self._pick(list(itertools.permutations(words)))) if len(words) > 1 \
            else words

    def qualified_leaf(self, specifiers: str, qualifiers: list[str]) -> str:
        units: list[str] = []
        for word in specifiers.split():
            if units and (units[-1] in ("struct", "union", "enum")
                          or units[-1].count("(") > units[-1].count(")")):  # _Atomic(...)
                units[-1] += " " + word
            else:
                units.append(word)
        for q in qualifiers:
            units.insert(self.draw(st.integers(0, len(units))), q)
        return " ".join(units)

    def declarator(self, t: Type, inner: str) -> str:
        if t in self.typedefs and isinstance(t, Qualified) and self._coin():
            return _join(self._pick(self.typedefs[t]), inner)  # `cint` for `const int`
        base = t.base if isinstance(t, Qualified) else t
        names = self.typedefs.get(base, ())
        forced = base == va_list_type(self.triple) and isinstance(base, Array)
        if names and (forced or self._coin(1, 3)):
            quals = self.qualifier_words(t.const, t.volatile, t.restrict) \
                if isinstance(t, Qualified) else []
            return _join(self.qualified_leaf(self._pick(names), quals), inner)
        if inner and inner[0].isalpha() and self._coin(1, 8):
            inner = f"({inner})"  # redundant parentheses: `int (p0)`, `void ((f))(int)`
        return super().declarator(t, inner)

    def array_length(self, length: int) -> str:
        spellings = {str(length), f"{length}u", f"({length - 1} + 1)", hex(length)}
        spellings |= {expr for expr, value in _CONSTANTS if value == length}
        return self._pick(sorted(spellings))

    def parameter(self, t: Type, index: int) -> str:
        name = f"p{index}" if self._coin() else ""
        storage = "register " if self._coin(1, 12) else ""
        if isinstance(t, Pointer) and self._decays_from_array(t.pointee) \
                and (t.pointee == _VA_LIST_TAG or self._coin(1, 3)):
            if t.pointee == _VA_LIST_TAG:
                text = self.declarator(Array(_VA_LIST_TAG, 1), name)
            else:
                text = self._array_parameter(t.pointee, name)
        elif isinstance(t, Pointer) and isinstance(t.pointee, FunctionType) and self._coin():
            text = self.function(t.pointee, name)
        else:
            if self._coin(1, 4):  # a top-level qualifier, which the id drops
                t = Qualified(t, True, self._coin(), restrictable(t) and self._coin())
            text = self.declarator(t, name)
        if name and self._coin(1, 6):
            text += self._pick((" __attribute__((unused))", " /* a comment */",
                                " __attribute__((__nonnull__))"))
        return storage + text

    def _decays_from_array(self, element: Type) -> bool:
        base = element.base if isinstance(element, Qualified) else element
        return base not in (VOID,) and not isinstance(base, FunctionType) \
            and not (isinstance(base, Array) and base.length is None)

    def _array_parameter(self, element: Type, name: str) -> str:
        """``element name[...]``: an array parameter, which decays to ``element *``."""
        size = self._pick(("", "4", "static 3", "const 2", "restrict", "*", "1 + 1"))
        if size == "*" and not name:
            size = ""
        return self.declarator(element, f"{name}[{size}]")

    def declaration(self, fn: FunctionType, name: str) -> str:
        """A whole prototype, now and then with a storage class or trailing attribute."""
        text = self.function(fn, name)
        prefix = self._pick(("", "", "", "extern ", "__extension__ "))
        suffix = self._pick(("", "", "", " __attribute__((nothrow))"))
        return prefix + text + suffix


@st.composite
def spelled(draw: st.DrawFn, triple: str, fn: FunctionType, name: str = "f") -> str:
    """A C prototype of ``name`` with type ``fn`` on ``triple``, in a drawn spelling."""
    return SpellingRenderer(draw, triple).declaration(fn, name)
