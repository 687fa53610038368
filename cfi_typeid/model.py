"""The one model of types that every front end produces and every back end consumes.

Parsers (C, Rust) build these objects; transforms (normalise, generalise) map them to other
objects of the same model; the encoder turns them into Itanium strings and the decoder turns
strings back into them.  All nodes are frozen, slotted and hashable so that whole answers can be
memoised and the encoder's substitution dictionary can key on them by hash.

C's integer types are a layer of their own (:class:`CInt`): ``long`` is never the same object
as a 64-bit integer (:class:`FixedInt`), which is what Rust's ``c_long`` alias really is.  The two
layers meet only in the normalisation pass, where both become sized integers.
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Callable, Iterable, Literal, TypeAlias, cast

from .dataclass_code import compiled_once

_METHODS = compiled_once("model")  # dataclass methods compiled once (see its module)


class _IdentityEnum(enum.Enum):
    """An enum whose members hash by identity, as they compare.

    ``Enum.__hash__`` is a Python function (``hash(self._name_)``) that every hash of a model
    node reaches; members are singletons compared by identity, so ``object.__hash__`` (a C
    slot) is as correct and several times cheaper.
    """

    __hash__ = object.__hash__


class _Node:
    """The base of every model node: a slot for the node's hash, kept once computed.

    A node's dataclass hash hashes the tuple of its fields, which hashes every child again,
    so a tree was hashed whole at each dictionary look-up (the encoder's substitutions, the
    memoised answers).  :func:`keep_hash` wraps each class's generated hash to compute it at
    the first call and keep it in this slot: the same value, as nodes are immutable.  Not a
    dataclass field, so equality, ``repr``, ``replace`` and pickling never see it (an
    unpickled or replaced node computes its hash again).  :func:`nesting` keeps each node's
    depth in the other slot the same way.
    """

    __slots__ = ("_hash", "_nesting")
    _hash: int
    _nesting: int


class CInt(_IdentityEnum):
    """C's integer types, named as C spells them (the value is the canonical spelling)."""

    CHAR = "char"
    SCHAR = "signed char"
    UCHAR = "unsigned char"
    SHORT = "short"
    USHORT = "unsigned short"
    INT = "int"
    UINT = "unsigned int"
    LONG = "long"
    ULONG = "unsigned long"
    LLONG = "long long"
    ULLONG = "unsigned long long"
    INT128 = "__int128"
    UINT128 = "unsigned __int128"


class FixedInt(_IdentityEnum):
    """Fixed-width integers: Rust's primitives, and what C integers normalise to."""

    I8 = "i8"
    I16 = "i16"
    I32 = "i32"
    I64 = "i64"
    I128 = "i128"
    ISIZE = "isize"
    U8 = "u8"
    U16 = "u16"
    U32 = "u32"
    U64 = "u64"
    U128 = "u128"
    USIZE = "usize"


class Scalar(_IdentityEnum):
    """Leaf types other than integers.  ``BOOL`` is C's ``_Bool`` and Rust's ``bool`` alike."""

    VOID = "void"
    BOOL = "bool"
    FLOAT = "float"
    DOUBLE = "double"
    LONG_DOUBLE = "long double"
    FLOAT128 = "__float128"
    FLOAT16 = "_Float16"
    HALF = "__fp16"
    BFLOAT16 = "__bf16"
    #: ``__bf16`` on ARM targets, which clang-19 mangles ``u6__bf16`` (the AAPCS name) rather
    #: than ``DF16b``; still a builtin, so never a substitution candidate.
    BFLOAT16_ARM = "__bf16 (ARM)"
    CHAR8 = "char8_t"
    CHAR16 = "char16_t"
    CHAR32 = "char32_t"
    WCHAR = "wchar_t"
    #: C23's ``nullptr_t`` (``typeof(nullptr)``), Itanium's ``Dn``
    NULLPTR = "nullptr_t"
    RUST_CHAR = "rust char"
    STR = "str"
    NEVER = "!"


TagKind = Literal["struct", "union", "enum", "type"]


@dataclass(frozen=True, slots=True)
class CInteger(_Node):
    """A C integer type such as ``unsigned long``."""

    kind: CInt


@dataclass(frozen=True, slots=True)
class FixedInteger(_Node):
    """A fixed-width integer: Rust ``i64``, or a normalised C integer.

    ``origin`` is the C type a clang-normalised integer came from (``long``, ``_Bool``): clang
    keys the integer's own substitution by its size but anything built on it by the C type, so
    ``long *`` and ``long long *`` stay two candidates (see ``Flavour``).  None for Rust.
    """

    kind: FixedInt
    origin: CInteger | Primitive | None = None


@dataclass(frozen=True, slots=True)
class Primitive(_Node):
    """A non-integer leaf type (``void``, ``double``, Rust ``char``, ...)."""

    kind: Scalar


@dataclass(frozen=True, slots=True)
class BitInt(_Node):
    """C23 ``_BitInt(N)`` / ``unsigned _BitInt(N)``."""

    bits: int
    signed: bool


@dataclass(frozen=True, slots=True)
class Complex(_Node):
    """C ``_Complex T``."""

    element: Type


@dataclass(frozen=True, slots=True)
class Atomic(_Node):
    """C11 ``_Atomic T`` / ``_Atomic(T)``: clang mangles it ``U7_Atomic <type>``, a vendor
    qualifier that makes a substitution candidate of its own, with any cv-qualifiers outside
    it (``const _Atomic int`` is ``KU7_Atomici``).  ``base`` is never qualified, an array or a
    function (clang refuses those)."""

    base: Type


@dataclass(frozen=True, slots=True)
class Vector(_Node):
    """A GCC/clang vector: ``T __attribute__((vector_size(N)))`` (``count`` = N / sizeof T)
    or ``T __attribute__((ext_vector_type(count)))``.  clang mangles both
    ``Dv <count> _ <element>``, one substitution candidate, but keeps them two types: ``ext``
    takes part in equality, so ``Dv4_iDv4_i`` is an ext and a generic vector side by side.
    ``element`` is an arithmetic type, maybe cv-qualified (``Dv4_Ki``; see
    :mod:`cfi_typeid.c.vectors`)."""

    element: Type
    count: int
    ext: bool = False


@dataclass(frozen=True, slots=True)
class Qualified(_Node):
    """A cv-qualified (or restrict-qualified) type; ``base`` is never itself ``Qualified``."""

    base: Type
    const: bool = False
    volatile: bool = False
    restrict: bool = False


@dataclass(frozen=True, slots=True)
class Pointer(_Node):
    """C ``T *`` / Rust ``*mut T`` (``*const T`` is a pointer to ``Qualified(T, const=True)``)."""

    pointee: Type


@dataclass(frozen=True, slots=True)
class Array(_Node):
    """An array; ``length`` is None for C's ``T[]`` and for a variable-length array.

    ``variable`` is 0, except for a C variable-length array (``int (*p)[n]``), where it is a
    number of its own: no two are equal, as clang never takes one for a substitution of
    another (``_ZTSFviPA_iPA_iE``, where two ``int (*)[4]`` give ``PA4_iS0_``)."""

    element: Type
    length: int | None
    variable: int = 0


@dataclass(frozen=True, slots=True)
class FunctionType(_Node):
    """A function type.

    ``prototyped=False`` is C's ``int f()``, which clang encodes with no parameter list at all
    (``FiE``), unlike ``int f(void)`` (``FivE``).
    """

    returns: Type
    params: tuple[Type, ...] = ()
    variadic: bool = False
    prototyped: bool = True
    #: Rust: the ABI string as written (``"Rust"``, ``"C"``, ``"system"`` ...) and whether the
    #: function pointer is ``unsafe``.  Neither is encoded, but both are part of a Rust
    #: fn-pointer type's identity, so rustc never substitutes ``extern "C" fn(u8)`` for
    #: ``fn(u8)`` or ``unsafe fn(u8)``.  C function types keep the defaults.
    abi: str = "C"
    unsafe: bool = False
    #: C: the calling convention clang mangles as a vendor qualifier before ``F``
    #: (``U6ms_abiFiiE``), such as ``ms_abi`` on x86-64 Linux; empty for none.  The qualified
    #: function is one substitution candidate.  Rust never has one (rustc encodes no ABI).
    calling_convention: str = ""


@dataclass(frozen=True, slots=True)
class Named(_Node):
    """A type known by a plain name: a C struct/union/enum tag or typedef'd tagless struct, or
    what a decoded ``<len><name>`` says.  Encoded ``<len><name>``.  (The Rust front end spells
    a ``repr(C)`` type or an extern type this way through :class:`RustPath`, whose identity is
    the type's path, as rustc's substitution dictionary has it.)

    ``kind`` is kept for rendering only: the encoding does not carry it, so it takes no part in
    equality (``decode(encode(t)) == t`` holds).  ``instance`` tells apart different types
    spelled alike, which only the decoder makes: rustc spells two ``repr(C)`` structs (or
    extern types) named ``S2`` in different modules both ``2S2``, never one as a substitution
    for the other, so an id that spells a name twice names two types.  It is not spelled, but
    takes part in equality, so the encoder does not substitute one for the other either.
    The C front end gives a tagless struct, union or enum named by its typedef
    (``typedef struct {...} Anon;``) the instance :data:`TYPEDEF_NAMED`: it is spelled
    ``4Anon`` as the tag ``struct Anon`` is, but it is another type, and clang spells both
    (``_ZTSFvP4AnonP4AnonE`` for ``void (Anon *, struct Anon *)``).
    """

    name: str
    kind: TagKind = field(default="struct", compare=False)
    instance: int = 0


#: :attr:`Named.instance` of a tagless type that takes its typedef's name (C's "typedef name
#: for linkage purposes"): never equal to the tag of that name, and rendered as the typedef.
TYPEDEF_NAMED = -1


@dataclass(frozen=True, slots=True)
class Encoded(_Node):
    """A type whose encoding is given verbatim (Rust ``#[cfi_encoding = "..."]``).

    ``source`` names the Rust type it came from, for rendering; it takes no part in equality.
    ``instance`` tells apart different types with the same (non-builtin) encoding, which rustc
    spells again rather than substitutes, as :class:`Named`'s does.
    """

    code: str
    source: str = field(default="", compare=False)
    instance: int = 0


@dataclass(frozen=True, slots=True)
class Lifetime(_Node):
    """A Rust lifetime as rustc's encoder sees it, after region erasure.

    Every lifetime of a function's own signature is erased (``binder=None``; ``'static``
    too).  Inside a fn-pointer type, a lifetime bound by a ``for<..>`` binder (written or
    elided) stays: ``binder`` is its de Bruijn index (0: the innermost enclosing fn pointer),
    ``index`` its position in that binder, numbered by first appearance.  Not a type: it
    tells references apart for substitution and is spelled ``u6region[I..E]`` as a generic
    argument.
    """

    binder: int | None = None
    index: int = 0


ERASED = Lifetime()
#: ``'static`` as rustc's pointer generalisation writes it (``&'static ()``).  It is not the
#: erased lifetime, so a generalised reference is never a substitution for an erased one
#: (every ``'static`` a signature spells is erased like any other lifetime).
STATIC = Lifetime(None, 1)


@dataclass(frozen=True, slots=True)
class Reference(_Node):
    """Rust ``&T`` / ``&mut T`` (vendor type ``u3refI<T>E``, ``U3mut`` when mutable).

    ``lifetime`` is not encoded but is part of the identity rustc's substitution dictionary
    sees: inside ``fn(&u8, &u8)`` the two references have distinct bound lifetimes and are
    both spelled out.
    """

    pointee: Type
    mutable: bool = False
    lifetime: Lifetime = ERASED


@dataclass(frozen=True, slots=True)
class Slice(_Node):
    """Rust ``[T]`` (vendor type ``u5sliceI<T>E``)."""

    element: Type


@dataclass(frozen=True, slots=True)
class Tuple(_Node):
    """Rust tuple ``(A, B, ...)`` with at least one element (``()`` is ``void``)."""

    elements: tuple[Type, ...]


@dataclass(frozen=True, slots=True)
class PathSegment(_Node):
    """One segment of a v0 path: namespace tag (``t`` type, ``v`` value) and identifier."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class RustPath(_Node):
    """A Rust nominal type named by a v0-style path, e.g. ``core::option::Option<&T>``.

    Encoded ``u<len>N<ns>...C<disambiguator><len><crate>...`` followed by ``I<args>E`` when it
    has generic arguments (``lifetimes`` first, as ``u6region``).  ``disambiguator`` is the
    text between ``C`` and the crate name's length (``sgEmfK2I1SDT_``); empty when not known,
    which is an error only if the path has to be spelled.

    The substitution dictionary keys on the type (path and arguments), as rustc's does, never
    on its spelling.  Three attributes change the spelling only:

    * ``encoding``: a ``#[cfi_encoding = "..."]`` string, spelled verbatim;
    * ``foreign``: an extern type (``extern "C" { type Foo; }``), spelled ``<len><name>``;
    * ``by_name``: a ``repr(C)`` type in a C-ABI function, spelled ``<len><name>`` there (so
      it takes no part in equality: the same type spelled as a path elsewhere in the id is
      the same substitution candidate).
    """

    crate: str
    disambiguator: str
    segments: tuple[PathSegment, ...]
    args: tuple[Type, ...] = ()
    lifetimes: tuple[Lifetime, ...] = ()
    encoding: str | None = None
    foreign: bool = False
    by_name: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class ConstValue(_Node):
    """A const generic argument, Itanium's literal ``L<type><value>E`` (``Lu5usize32E``,
    ``LbtrueE``); ``value`` is its spelling there (rustc's).  A substitution candidate."""

    type: Type
    value: str


@dataclass(frozen=True, slots=True)
class Projection(_Node):
    """A trait object's associated-type binding (``Output = i32`` of ``dyn Fn() -> i32``):
    ``u<len><path of the associated type>[I<the trait's arguments>E]<term>``, one candidate."""

    path: RustPath
    term: Type


@dataclass(frozen=True, slots=True)
class DynTrait(_Node):
    """A trait object ``dyn Trait<..> + Send``: ``u3dynI<predicates><region>E``.  Each
    predicate is the principal trait or an auto trait (a :class:`RustPath` without ``Self``)
    or a :class:`Projection`, in rustc's order; each is a candidate, and so is the whole."""

    predicates: tuple[Type, ...]
    lifetime: Lifetime = ERASED


Type: TypeAlias = (
    CInteger
    | FixedInteger
    | Primitive
    | BitInt
    | Complex
    | Atomic
    | Vector
    | Qualified
    | Pointer
    | Array
    | FunctionType
    | Named
    | Encoded
    | Reference
    | Slice
    | Tuple
    | RustPath
    | ConstValue
    | Projection
    | DynTrait
)

def keep_hash(cls: type[Any]) -> None:
    """Make ``cls``'s hash the one its dataclass generates, computed once per object and kept
    in its ``_hash`` slot (not a field: equality, ``repr``, ``replace`` and pickling never see
    it).  The model's nodes and the Rust front end's resolved types use it."""
    compute: Callable[[Any], int] = getattr(cls, "__hash__")

    def __hash__(self: Any) -> int:
        # (getattr with a default: a node's first hash raised and caught an AttributeError
        # in Python, which cost twice what its hashing does)
        value: int | None = getattr(self, "_hash", None)
        if value is None:
            value = compute(self)
            object.__setattr__(self, "_hash", value)
        return value

    __hash__.__qualname__ = f"{cls.__qualname__}.__hash__"
    setattr(cls, "__hash__", __hash__)


def _store_slots(classes: Iterable[type[_Node]]) -> None:
    """Give each of ``classes`` an ``__init__`` that stores its fields straight into their
    slots (the member descriptors' own setters), with the dataclass one's signature.

    A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` by name for each
    field, which is most of what building a node costs (a seven-field ``FunctionType``: 2 us,
    0.85 us so); the front ends and the transforms build several nodes per declaration.
    What is stored, and when, is the same (no field has a factory, none a
    ``__post_init__``).  One ``exec`` for all the classes, at import."""
    lines: list[str] = []
    env: dict[str, Any] = {}
    for c, cls in enumerate(classes):
        params, stores = [], []
        for f, spec in enumerate(fields(cast(Any, cls))):
            default = f"=d{c}_{f}" if spec.default is not MISSING else ""
            env[f"d{c}_{f}"] = spec.default
            env[f"s{c}_{f}"] = cls.__dict__[spec.name].__set__
            params.append(f"{spec.name}{default}")
            stores.append(f"    s{c}_{f}(self, {spec.name})")
        lines += [f"def init{c}(self, {', '.join(params)}):", *stores]
    exec(_METHODS.compiled("\n".join(lines)), env)
    for c, cls in enumerate(classes):
        init = env[f"init{c}"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__annotations__ = dict(cls.__init__.__annotations__)
        init.__doc__ = cls.__init__.__doc__
        setattr(cls, "__init__", init)


_NODE_CLASSES: tuple[type[_Node], ...] = (
    CInteger, FixedInteger, Primitive, BitInt, Complex, Atomic, Vector, Qualified, Pointer,
    Array, FunctionType, Named, Encoded, Lifetime, Reference, Slice, Tuple, PathSegment,
    RustPath, ConstValue, Projection, DynTrait)
for _cls in _NODE_CLASSES:
    keep_hash(_cls)
del _cls
# (only the classes built most often: each class compiled costs a one-off run ~0.1 ms)
_store_slots((FunctionType, Pointer, Qualified, Array, Named))
_METHODS.close()

VOID = Primitive(Scalar.VOID)


def qualify(base: Type, *, const: bool = False, volatile: bool = False,
            restrict: bool = False) -> Type:
    """Add qualifiers to ``base``, merging with any it has, keeping the model canonical."""
    if isinstance(base, Qualified):
        const, volatile, restrict = (const or base.const, volatile or base.volatile,
                                     restrict or base.restrict)
        base = base.base
    if not (const or volatile or restrict):
        return base
    return Qualified(base, const, volatile, restrict)


def unqualified(t: Type) -> Type:
    """``t`` without its top-level qualifiers."""
    return t.base if isinstance(t, Qualified) else t


def nesting(t: Type) -> int:
    """How deeply ``t`` nests: 1 for a leaf, one more per pointer, array, qualifier, function,
    reference, tuple or generic argument around it.  Iterative, so that the front ends can
    refuse absurdly deep input before the recursive passes overflow Python's stack.

    Kept in each node below ``t`` (not in ``t``, which is mostly a new function type that is
    asked once): the front ends share subtrees (a prelude's typedefs, Rust's reused parameter
    types), so a new node costs a look at its children."""
    children = _CHILDREN.get(type(t))
    if children is None:
        return 1
    deepest = 0
    for child in children(t):
        depth: int = getattr(child, "_nesting", 0) or _kept_nesting(child)
        if depth > deepest:
            deepest = depth
    return deepest + 1


def _kept_nesting(t: _Node) -> int:
    """:func:`nesting` of ``t``, computed for and kept in each node of it that has none yet."""
    stack = [t]
    while stack:
        node = stack[-1]
        children = _CHILDREN.get(type(node))
        deepest, pending = 0, False
        if children is not None:
            for child in children(node):
                depth = getattr(child, "_nesting", 0)
                if not depth:
                    stack.append(child)
                    pending = True
                elif depth > deepest:
                    deepest = depth
        if not pending:
            stack.pop()
            object.__setattr__(node, "_nesting", deepest + 1)
    return t._nesting


#: The children :func:`nesting` counts, by node class (the leaves have none).
_CHILDREN: dict[type[_Node], Callable[[Any], Iterable[_Node]]] = {
    Pointer: lambda n: (n.pointee,),
    Reference: lambda n: (n.pointee,),
    Qualified: lambda n: (n.base,),
    Atomic: lambda n: (n.base,),
    Array: lambda n: (n.element,),
    Complex: lambda n: (n.element,),
    Vector: lambda n: (n.element,),
    Slice: lambda n: (n.element,),
    FunctionType: lambda n: (n.returns, *n.params),
    Tuple: lambda n: n.elements,
    RustPath: lambda n: n.args,
    DynTrait: lambda n: n.predicates,
    Projection: lambda n: (n.path, n.term),
}
