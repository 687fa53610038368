"""Model types back to C source: the inverse of the C front end.

Two users need it.  The tests render generated function types to C, hand the text both to
clang-19 and to our parser, and require equal answers (and ``parse(render(t)) == t``); the
decoder shows a decoded type id as the C prototype it came from.  So the output must be C that
clang-19 accepts as written, with the declarator syntax done properly: C writes a type "inside
out" (``void (*signal(int, void (*)(int)))(int)``), which is the one hard part here.

:class:`CRenderer` makes every choice between equivalent spellings in one overridable method,
so the test strategies can subclass it to vary the source text (``long unsigned int``,
``int const``, array-typed parameters, typedef names) while the model stays the same.
"""

from __future__ import annotations

import re
from typing import assert_never

from ..errors import NotExpressibleError
from ..model import (
    Array, Atomic, BitInt, CInt, CInteger, Complex, ConstValue, DynTrait, Encoded, FixedInteger,
    FunctionType, Named, Pointer, Primitive, Projection, Qualified, Reference, RustPath, Scalar,
    Slice, TYPEDEF_NAMED, Tuple, Type, VOID, Vector,
)
from ..regex_code import cached_regex

#: Scalars C can spell (``char16_t``/``wchar_t`` are typedefs of integers in C, not types).
C_SCALARS: dict[Scalar, str] = {
    Scalar.VOID: "void", Scalar.BOOL: "_Bool", Scalar.FLOAT: "float", Scalar.DOUBLE: "double",
    Scalar.LONG_DOUBLE: "long double", Scalar.FLOAT128: "__float128",
    Scalar.FLOAT16: "_Float16", Scalar.HALF: "__fp16", Scalar.BFLOAT16: "__bf16",
    Scalar.BFLOAT16_ARM: "__bf16",
    Scalar.NULLPTR: "typeof(nullptr)",  # (C23)
}

#: ``Encoded`` codes that stand for a C builtin: the AAPCS ``va_list`` (aarch64, armv7).
C_ENCODED: dict[str, str] = {"St9__va_list": "__builtin_va_list"}

_IDENTIFIER = cached_regex(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic
    _Generic _Noreturn _Static_assert _Thread_local _BitInt _Float16 __fp16 __bf16 __float128
    __int128 __builtin_va_list __attribute__ __extension__ __restrict __const __signed
    """.split())


class CRenderer:
    """Renders model types as C declarations; each method is one spelling decision."""

    # -- leaves --
    def integer(self, kind: CInt) -> str:
        """The specifiers of a C integer type (tests override: ``long unsigned int``)."""
        return kind.value

    def leaf(self, t: Type) -> str:
        """The specifiers of a type that has no declarator part (a leaf or a tag)."""
        match t:
            case CInteger(kind):
                return self.integer(kind)
            case Primitive(kind):
                if kind not in C_SCALARS:
                    raise NotExpressibleError(f"C has no type {kind.value!r}")
                return C_SCALARS[kind]
            case BitInt(bits, signed):
                return f"{'' if signed else 'unsigned '}_BitInt({bits})"
            case Complex(element):
                if not isinstance(element, (CInteger, Primitive, BitInt)) \
                        or element in (VOID, _BOOL):
                    raise NotExpressibleError("C has _Complex only of arithmetic types")
                return f"_Complex {self.leaf(element)}"
            case Atomic(base):
                # the specifier form, which also says _Atomic(int *) unambiguously
                return f"_Atomic({self.declarator(base, '')})"
            case Vector(element, count, ext):
                if ext:
                    return ext_vector_name(self, t)  # (a typedef: see prelude)
                return self.vector(element, count)
            case Named(name, kind, instance):
                if not _IDENTIFIER.match(name) or name in _KEYWORDS:
                    raise NotExpressibleError(f"{name!r} is not a C tag name")
                if instance == TYPEDEF_NAMED:
                    return name
                if instance:
                    raise NotExpressibleError(f"the id names two different types {name!r}, "
                                              "which one C translation unit cannot declare")
                return name if kind == "type" else f"{kind} {name}"
            case Encoded(code):
                if code not in C_ENCODED:
                    raise NotExpressibleError(f"C has no type encoded {code!r}")
                return C_ENCODED[code]
            case FixedInteger(origin=CInteger() | Primitive() as origin):
                return self.leaf(origin)  # clang-normalised: it still knows its C type
            case FixedInteger(kind):
                raise NotExpressibleError(f"C has no type for the normalised integer "
                                          f"{kind.value!r} (clang writes it only in .normalized "
                                          "ids)")
            case Reference() | Slice() | Tuple() | RustPath() | ConstValue() | Projection() \
                    | DynTrait():
                raise NotExpressibleError(f"C has no {_rust_kind(t)}")
            case Qualified() | Pointer() | Array() | FunctionType():
                raise AssertionError(f"{t!r} is not a leaf")
            case _:
                assert_never(t)

    def vector(self, element: Type, count: int) -> str:
        """A ``vector_size`` vector's specifiers: the element's, or ``__typeof__`` of a
        qualified one (specifiers' own qualifiers would go outside the vector), then the
        attribute with the size as clang prints it, ``count * sizeof(element)`` (which holds
        on every target)."""
        base = element.base if isinstance(element, Qualified) else element
        spec = self.leaf(base)
        if isinstance(element, Qualified):
            spec = f"__typeof__({self.declarator(element, '')})"
        size = f"{count * base.bits // 8}" if isinstance(base, BitInt) \
            else f"{count} * sizeof({self.leaf(base)})"
        return f"{spec} __attribute__((vector_size({size})))"

    def qualifier_words(self, const: bool, volatile: bool, restrict: bool) -> list[str]:
        """The qualifier keywords, in one order (tests override: ``__restrict``, reordered)."""
        return [w for w, on in (("const", const), ("volatile", volatile),
                                ("restrict", restrict)) if on]

    def qualified_leaf(self, specifiers: str, qualifiers: list[str]) -> str:
        """Qualifiers and specifiers in one order (tests override: ``int const``)."""
        return " ".join([*qualifiers, specifiers])

    # -- declarators --
    def declarator(self, t: Type, inner: str) -> str:
        """``t`` declaring ``inner`` (a name, or "" for an abstract declarator): C's
        inside-out syntax, with parentheses where ``*`` must bind before ``[]`` or ``()``."""
        match t:
            case Pointer(pointee):
                return self._pointer(pointee, [], inner)
            case Qualified(Pointer(pointee), const, volatile, restrict):
                return self._pointer(pointee, self.qualifier_words(const, volatile, restrict),
                                     inner)
            case Qualified(Array(element, length), const, volatile, restrict):
                # C17 6.7.3p9: qualifiers on an array type qualify its elements
                return self.declarator(Array(_qualify(element, const, volatile, restrict),
                                             length), inner)
            case Qualified(FunctionType()):
                raise NotExpressibleError("C has no qualified function types")
            case Qualified(base, const, volatile, restrict):
                if restrict:
                    raise NotExpressibleError("C allows restrict only on pointers")
                leaf = self.qualified_leaf(self.leaf(base),
                                           self.qualifier_words(const, volatile, False))
                return _join(leaf, inner)
            case Array(element, length):
                if isinstance(_unqualified(element), FunctionType) \
                        or _unqualified(element) == VOID:
                    raise NotExpressibleError("C has no arrays of functions or of void")
                size = "" if length is None else self.array_length(length)
                return self.declarator(element, f"{inner}[{size}]")
            case FunctionType():
                return self.function(t, inner)
            case _:
                return _join(self.leaf(t), inner)

    def array_length(self, length: int) -> str:
        """An array length (tests override: ``2 * 2``, ``sizeof(int)``, an enumerator)."""
        return str(length)

    def _pointer(self, pointee: Type, qualifiers: list[str], inner: str) -> str:
        star = "*" + " ".join(qualifiers)
        target = _unqualified(pointee)
        if isinstance(target, FunctionType) and target.calling_convention:
            # clang puts the attribute before the '*' on the function pointed to
            star = f"__attribute__(({target.calling_convention})) {star}"
        inner = star + (" " if qualifiers and inner else "") + inner
        if isinstance(_unqualified(pointee), (Array, FunctionType)):
            inner = f"({inner})"
        return self.declarator(pointee, inner)

    def function(self, fn: FunctionType, inner: str) -> str:
        """``fn`` declaring ``inner``: the return type around ``inner(parameters)``."""
        if isinstance(_unqualified(fn.returns), (Array, FunctionType)):
            raise NotExpressibleError("a C function cannot return an array or a function")
        return self.declarator(fn.returns, f"{inner}({self.parameters(fn)})")

    def parameters(self, fn: FunctionType) -> str:
        """The text between a function declarator's parentheses."""
        if not fn.prototyped:
            if fn.params or fn.variadic:
                raise NotExpressibleError("an unprototyped C function has no parameter types")
            return ""
        params = [self.parameter(p, i) for i, p in enumerate(fn.params)]
        if fn.variadic:
            params.append("...")
        return ", ".join(params) if params else "void"

    def parameter(self, t: Type, index: int) -> str:
        """One parameter declaration (tests override: ``int a[]`` for ``int *``)."""
        if _unqualified(t) == VOID:
            raise NotExpressibleError("a C parameter cannot have type void")
        return self.declarator(t, "")

    # -- whole declarations --
    def prelude(self, t: Type) -> str:
        """Declarations of the tags ``t`` mentions, in order of first mention."""
        atomic = _atomic_tags(t, False, set())
        tags = [_complete_tag(n) if n in atomic and n.kind != "enum"
                else self.tag_declaration(n) for n in _tags(t, {}).values()]
        return "\n".join(tags + [f"typedef {self.declarator(v.element, '')} "
                                 f"{ext_vector_name(self, v)} "
                                 f"__attribute__((ext_vector_type({v.count})));"
                                 for v in _ext_vectors(t, {})])

    def tag_declaration(self, tag: Named) -> str:
        """A declaration that makes ``tag`` known.  An enum cannot be forward-declared in C, so
        it gets a one-enumerator definition; the enumerators do not reach the type id.  A
        tagless type known by its typedef's name is defined, as only a definition can make
        one."""
        if tag.instance == TYPEDEF_NAMED:
            return _complete_tag(tag)
        match tag.kind:
            case "enum":
                return f"enum {tag.name} {{ {tag.name}__0 }};"
            case "type":
                return f"typedef struct {tag.name} {tag.name};"
            case _:
                return f"{tag.kind} {tag.name};"


def _rust_kind(t: Reference | Slice | Tuple | RustPath | ConstValue | Projection
               | DynTrait) -> str:
    """What a Rust-only type is, in words, for an error message."""
    match t:
        case Reference(mutable=mutable):
            return f"references (Rust &{'mut ' if mutable else ''}T)"
        case Slice():
            return "slices (Rust [T])"
        case Tuple():
            return "tuples (Rust (A, B, ..))"
        case RustPath(crate=crate, segments=segments):
            return f"Rust path types ({'::'.join([crate, *(s.name for s in segments)])})"
        case ConstValue():
            return "const generic arguments"
        case Projection() | DynTrait():
            return "trait objects (Rust dyn Trait)"
        case _:
            assert_never(t)


def _tags(t: Type, found: dict[Named, Named]) -> dict[Named, Named]:
    match t:
        case Named():
            found.setdefault(t, t)  # (the tag and the typedef-named type spelled alike: two)
        case Qualified(inner) | Pointer(inner) | Array(inner) | Complex(inner) | Atomic(inner):
            _tags(inner, found)
        case Vector(element):  # (only an enum can be a vector's element)
            _tags(_enum(element), found)
        case FunctionType():
            _tags(t.returns, found)
            for p in t.params:
                _tags(p, found)
        case _:
            pass
    return found


def _enum(t: Type) -> Type:
    """A vector's element, a tag in it said to be an enum (the id does not say)."""
    if isinstance(t, Named):
        return Named(t.name, "enum", t.instance)
    return Qualified(_enum(t.base), t.const, t.volatile, t.restrict) \
        if isinstance(t, Qualified) else t


def ext_vector_name(renderer: CRenderer, t: Vector) -> str:
    """The typedef name an ``ext_vector_type`` vector is rendered by (C allows the attribute
    in typedefs only): ``cfi_ext_vector4_const_int``."""
    words = re.sub(r"\W+", "_", renderer.declarator(_enum(t.element), "")).strip("_")
    return f"cfi_ext_vector{t.count}_{words}"


def _ext_vectors(t: Type, found: dict[Vector, None]) -> dict[Vector, None]:
    """The ext vectors ``t`` mentions, in order of first mention."""
    match t:
        case Vector(element, ext=True):
            found.setdefault(Vector(_enum(element), t.count, True), None)
        case Qualified(inner) | Pointer(inner) | Array(inner) | Atomic(inner):
            _ext_vectors(inner, found)
        case FunctionType():
            for part in (t.returns, *t.params):
                _ext_vectors(part, found)
        case _:
            pass
    return found


def _complete_tag(tag: Named) -> str:
    """A definition of ``tag``: C has ``_Atomic`` only of complete types (the id does not say
    what is in it)."""
    body = "{ char members_unknown; }"
    if tag.instance == TYPEDEF_NAMED:
        inner = f"{{ {tag.name}__0 }}" if tag.kind == "enum" else body
        return f"typedef {'struct' if tag.kind == 'type' else tag.kind} {inner} {tag.name};"
    if tag.kind == "type":
        return f"typedef struct {tag.name} {body} {tag.name};"
    return f"{tag.kind} {tag.name} {body};"


def _atomic_tags(t: Type, under: bool, found: set[Named]) -> set[Named]:
    """The tags that are (possibly qualified) ``_Atomic`` types in ``t``."""
    match t:
        case Named():
            if under:
                found.add(t)
        case Atomic(inner):
            _atomic_tags(inner, True, found)
        case Qualified(inner):
            _atomic_tags(inner, under, found)
        case Pointer(inner) | Array(inner):
            _atomic_tags(inner, False, found)
        case FunctionType():
            for p in (t.returns, *t.params):
                _atomic_tags(p, False, found)
        case _:
            pass
    return found


#: (one object each, not one made per parameter rendered to compare with)
_BOOL = Primitive(Scalar.BOOL)


def _qualify(t: Type, const: bool, volatile: bool, restrict: bool) -> Type:
    if isinstance(t, Qualified):
        return Qualified(t.base, const or t.const, volatile or t.volatile,
                         restrict or t.restrict)
    return Qualified(t, const, volatile, restrict)


def _unqualified(t: Type) -> Type:
    return t.base if isinstance(t, Qualified) else t


def _join(specifiers: str, inner: str) -> str:
    return f"{specifiers} {inner}" if inner else specifiers


DEFAULT_RENDERER = CRenderer()


def render_c_declaration(fn: FunctionType, name: str = "f") -> tuple[str, str]:
    """``(prelude, decl)``: the tag declarations ``fn`` needs and a prototype of ``name``
    with type ``fn``, e.g. ``("struct S;", "void f(struct S *, int (*)[4], ...)")``.

    Raises :class:`NotExpressibleError` for types C cannot spell (Rust references, slices,
    tuples and paths, normalised integers, ``restrict`` on a non-pointer ...).
    """
    if not _IDENTIFIER.match(name) or name in _KEYWORDS:
        raise NotExpressibleError(f"{name!r} is not a C function name")
    return DEFAULT_RENDERER.prelude(fn), DEFAULT_RENDERER.function(fn, name)


def render_c_type(t: Type) -> str:
    """``t`` as a C type name (an abstract declarator): ``int (*)(char)``, ``const char *``."""
    return DEFAULT_RENDERER.declarator(t, "")
