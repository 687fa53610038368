"""The type, generics and constant-expression rules of the Rust transformer
(:class:`cfi_typeid.rust.tree.RustTransformer`), with the helpers both halves share."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Sequence

from ..errors import ParseError
from ..parsing.lalr import Meta, Token
from .ast import (
    ArrayType, AssocArg, BinaryExpr, CallExpr, CastExpr, ConstArg, DynType, FnPtrType,
    FnSugar, GenericArg, Generics, IntLit, LifetimeArg, NegExpr, NeverType, NotExpr, OtherLit,
    PathExpr, PathSeg, PathType, PtrType, RefType, SliceType, TraitBound, TupleType, TypeExpr,
    UnsupportedType,
)
from .lexer import EscapeError, int_value, unescape
from ..dataclass_code import compiled_once
from ..regex_code import cached_regex

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

_INT_SUFFIX = cached_regex(r"[iu](?:8|16|32|64|128|size)$")
TYPE_CLASSES = (PathType, RefType, PtrType, SliceType, ArrayType, TupleType, NeverType,
                FnPtrType, UnsupportedType, DynType)


@dataclass(frozen=True, slots=True)
class Quals:
    const: bool
    is_async: bool
    unsafe: bool
    abi: str | None
    at: int


@dataclass(frozen=True, slots=True)
class Where:
    """A where clause, read for the one predicate that changes a type id: ``Self: Sized``."""

    self_sized: bool = False


@dataclass(frozen=True, slots=True)
class Variadic:
    at: int


@dataclass(frozen=True, slots=True)
class Abi:
    name: str


@dataclass(frozen=True, slots=True)
class Return:
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class ForLifetimes:
    names: tuple[str, ...]


def unquote(token: str) -> str:
    """The value of a Rust string literal token; an escape rustc refuses is a
    :class:`ParseError` at its place, and so is text that is not UTF-8 (a lone surrogate,
    which undecodable input bytes become)."""
    at = getattr(token, "start_pos", 0) or 0
    try:
        value = unescape(token)
        value.encode("utf-8")
    except EscapeError as e:
        text, what = SOURCE.get()
        raise ParseError(e.message, text, at + e.offset, what=what) from None
    except UnicodeEncodeError:
        text, what = SOURCE.get()
        raise ParseError("a string that is not UTF-8 text (a lone surrogate)", text, at,
                         what=what) from None
    return value


def pos(meta: Meta, children: Sequence[object]) -> int:
    if not meta.empty:
        return int(meta.start_pos)
    for c in children:
        if isinstance(c, Token) and c.start_pos is not None:
            return c.start_pos
    return 0


def tokens(children: Sequence[object], *types: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type in types]


def has(children: Sequence[object], type_: str) -> bool:
    return bool(tokens(children, type_))


def of(children: Sequence[object], cls: type[Any] | tuple[type[Any], ...]) -> list[Any]:
    return [c for c in children if isinstance(c, cls)]


def one(children: Sequence[object], cls: type[Any] | tuple[type[Any], ...]) -> Any:
    found = of(children, cls)
    return found[0] if found else None


#: The text being parsed and what to call it in errors, for the rule methods (which are
#: stateless, so one instance serves every parse).
SOURCE: ContextVar[tuple[str, str]] = ContextVar("SOURCE", default=("", "input"))


class TypeRules:
    """Types, generics and constant expressions.  Each method takes a :class:`Meta` and the
    rule's children (Lark's ``v_args(meta=True)`` style); ``text``/``what`` locate errors.
    Rules that share a method each have a ``def`` (no ``b = a`` in the class body): mypyc,
    which compiles this module and :mod:`.tree`, cannot bind a method under a second name."""

    @property
    def text(self) -> str:
        return SOURCE.get()[0]

    @property
    def what(self) -> str:
        return SOURCE.get()[1]

    def error(self, message: str, at: int) -> ParseError:
        return ParseError(message, self.text, at, what=self.what)

    def _params(self, params: list[Any]) -> tuple[tuple[TypeExpr, ...], bool]:
        for p in params[:-1]:
            if isinstance(p, Variadic):
                raise self.error("'...' must be the last parameter", p.at)
        variadic = bool(params) and isinstance(params[-1], Variadic)
        return tuple(p for p in params if not isinstance(p, Variadic)), variadic
    def fn_qualifiers(self, meta: Meta, ch: list[Any]) -> Quals:
        abi = ch[-1].name if ch and isinstance(ch[-1], Abi) else None  # extern_abi is last
        kinds = {c.type for c in ch if isinstance(c, Token)}
        return Quals("CONST" in kinds, "ASYNC" in kinds, "UNSAFE" in kinds, abi, pos(meta, ch))

    def extern_abi(self, meta: Meta, ch: list[Any]) -> Abi:
        strings = tokens(ch, "STRING")
        return Abi(unquote(strings[0]) if strings else "C")

    def ret_type(self, meta: Meta, ch: list[Any]) -> Return:
        return Return(ch[-1])
    # ---- generics -------------------------------------------------------------------------

    def generics(self, meta: Meta, ch: list[Any]) -> Generics:
        kinds = [c for c in ch if isinstance(c, tuple)]
        return Generics(tuple(k[1] for k in kinds if k[0] == "lt"),
                        tuple(k[1] for k in kinds if k[0] == "ty"),
                        tuple(k[1] for k in kinds if k[0] == "const"), pos(meta, ch),
                        tuple((k[0], k[1]) for k in kinds if k[0] != "lt"),
                        tuple(k[2] for k in kinds if k[0] == "const"),
                        tuple(k[2] for k in kinds if k[0] == "ty"),
                        tuple(k[1] for k in kinds if k[0] == "ty" and k[3]))

    def lifetime_param(self, meta: Meta, ch: list[Any]) -> tuple[str, str]:
        return ("lt", tokens(ch, "LIFETIME")[0].value)

    def type_param(self, meta: Meta, ch: list[Any]
                   ) -> tuple[str, str, TypeExpr | None, bool]:
        default = ch[-1] if ch and isinstance(ch[-1], TYPE_CLASSES) else None
        maybe = any(b.maybe for b in one(ch, list) or ())
        return ("ty", tokens(ch, "IDENT")[0].value, default, maybe)

    def const_param(self, meta: Meta, ch: list[Any]) -> tuple[str, str, TypeExpr]:
        return ("const", tokens(ch, "IDENT")[0].value, one(ch, TYPE_CLASSES))

    def for_lifetimes(self, meta: Meta, ch: list[Any]) -> ForLifetimes:
        return ForLifetimes(tuple(t.value for t in tokens(ch, "LIFETIME")))

    def where_clause(self, meta: Meta, ch: list[Any]) -> Where:
        return Where(any(isinstance(c, Where) and c.self_sized for c in ch))

    def where_pred(self, meta: Meta, ch: list[Any]) -> Where | None:
        """``Self: Sized`` is noted (an associated type bounded so is not part of a trait
        object); other predicates never change an id."""
        bounded = one(ch, PathType)
        if bounded is None or [s.name for s in bounded.segments] != ["Self"]:
            return None
        sized = any(b.path is not None and not b.maybe
                    and b.path.segments[-1].name == "Sized" for b in one(ch, list) or ())
        return Where(sized) if sized else None

    def lifetime_bounds(self, meta: Meta, ch: list[Any]) -> None:
        return None

    def generic_default(self, meta: Meta, ch: list[Any]) -> None:
        return None

    def bounds(self, meta: Meta, ch: list[Any]) -> list[TraitBound]:
        return of(ch, TraitBound)

    def bound(self, meta: Meta, ch: list[Any]) -> TraitBound:
        lifetime = tokens(ch, "LIFETIME")
        path = one(ch, PathType)
        if path is None:
            return TraitBound(None, lifetime=lifetime[0].value if lifetime else None,
                              at=pos(meta, ch))
        binder = one(ch, ForLifetimes)
        return TraitBound(path, one(ch, FnSugar), has(ch, "QUESTION"), at=pos(meta, ch),
                          for_lifetimes=binder.names if binder else ())

    def fn_sugar(self, meta: Meta, ch: list[Any]) -> FnSugar:
        returns = one(ch, Return)
        return FnSugar(tuple(of(ch, TYPE_CLASSES)), returns.type if returns else None,
                       pos(meta, ch))
    # ---- types ----------------------------------------------------------------------------

    def path_type(self, meta: Meta, ch: list[Any]) -> PathType:
        """A segment without generic arguments comes as its name token (``?path_seg``)."""
        if len(ch) == 1 and isinstance(ch[0], Token):  # a lone name (``u8``): most paths
            return PathType((PathSeg(ch[0].value, (), ch[0].start_pos),), False, ch[0].start_pos)
        is_global = bool(ch) and isinstance(ch[0], Token) and ch[0].type == "COLONS"
        segments = tuple(c if isinstance(c, PathSeg) else PathSeg(c.value, (), c.start_pos)
                         for c in ch if not isinstance(c, Token) or c.type != "COLONS")
        return PathType(segments, is_global, pos(meta, ch))

    def path_seg(self, meta: Meta, ch: list[Any]) -> PathSeg:
        name: Token = ch[0]
        args = ch[1] if len(ch) > 1 else ()
        return PathSeg(name.value, tuple(args), name.start_pos or 0)

    def generic_args(self, meta: Meta, ch: list[Any]) -> tuple[GenericArg, ...]:
        return tuple(c for c in ch if not isinstance(c, Token))

    def generic_arg(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[0]  # type: ignore[no-any-return]

    def lifetime_arg(self, meta: Meta, ch: list[Any]) -> LifetimeArg:
        return LifetimeArg(ch[0].value, ch[0].start_pos or 0)

    def const_arg(self, meta: Meta, ch: list[Any]) -> ConstArg:
        value = ch[-1] if ch and not isinstance(ch[-1], Token) else None
        if value is None and ch and isinstance(ch[0], Token) and ch[0].type == "INT":
            value = self.int_lit(meta, [ch[0]])
        return ConstArg(value, pos(meta, ch))

    def neg_const_arg(self, meta: Meta, ch: list[Any]) -> ConstArg:
        tok: Token = ch[-1]
        return ConstArg(NegExpr(self.int_lit(meta, [tok])), pos(meta, ch))

    def assoc_arg(self, meta: Meta, ch: list[Any]) -> AssocArg:
        return AssocArg(tokens(ch, "IDENT")[0].value, ch[-1], pos(meta, ch))

    def ref_type(self, meta: Meta, ch: list[Any]) -> RefType:
        lifetime = tokens(ch, "LIFETIME")
        return RefType(ch[-1], has(ch, "MUT"), lifetime[0].value if lifetime else None,
                       pos(meta, ch))

    def ptr_type(self, meta: Meta, ch: list[Any]) -> PtrType:
        star, const_or_mut, inner = ch
        return PtrType(inner, const_or_mut.type == "MUT", star.start_pos)

    def slice_type(self, meta: Meta, ch: list[Any]) -> SliceType:
        return SliceType(ch[0], pos(meta, ch))

    def array_type(self, meta: Meta, ch: list[Any]) -> ArrayType:
        return ArrayType(ch[0], ch[1], pos(meta, ch))

    def tuple_type(self, meta: Meta, ch: list[Any]) -> TupleType:
        return TupleType(tuple(of(ch, TYPE_CLASSES)), pos(meta, ch))

    def paren_type(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[0]  # type: ignore[no-any-return]

    def never_type(self, meta: Meta, ch: list[Any]) -> NeverType:
        return NeverType(pos(meta, ch))

    def infer_type(self, meta: Meta, ch: list[Any]) -> UnsupportedType:
        return UnsupportedType("the placeholder type '_' is not allowed in a signature",
                               pos(meta, ch))

    def impl_type(self, meta: Meta, ch: list[Any]) -> UnsupportedType:
        return UnsupportedType("'impl Trait' parameters make a generic function: write a "
                               "concrete type", pos(meta, ch))

    def dyn_type(self, meta: Meta, ch: list[Any]) -> DynType:
        return DynType(tuple(of(ch, TraitBound)), pos(meta, ch))

    def fn_ptr_type(self, meta: Meta, ch: list[Any]) -> FnPtrType:
        quals: Quals = one(ch, Quals)
        if quals.const or quals.is_async:
            raise self.error("a function pointer type cannot be const or async", quals.at)
        params, variadic = self._params(one(ch, list) or [])
        returns = one(ch, Return)
        binder = one(ch, ForLifetimes)
        return FnPtrType(params, returns.type if returns else None,
                         quals.abi, quals.unsafe, variadic,
                         binder.names if binder else (), pos(meta, ch))

    def fn_ptr_params(self, meta: Meta, ch: list[Any]) -> list[Any]:
        out: list[Any] = of(ch, TYPE_CLASSES)
        out += [Variadic(t.start_pos or 0) for t in tokens(ch, "ELLIPSIS")]
        return out

    def fn_ptr_param(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[-1]  # type: ignore[no-any-return]

    # ---- constant expressions ---------------------------------------------------------------

    def int_lit(self, meta: Meta, ch: list[Any]) -> IntLit:
        tok: Token = ch[0]
        value = int_value(tok.value)
        if value is None:
            raise self.error("integer literal is too large (more than 128 bits)",
                             tok.start_pos or 0)
        suffix = _INT_SUFFIX.search(tok.value)
        return IntLit(value, suffix.group() if suffix else None, tok.start_pos or 0)

    def other_lit(self, meta: Meta, ch: list[Any]) -> OtherLit:
        tok: Token = ch[0]
        what = {"FLOAT": "a float", "STRING": "a string", "CHAR": "a character"}[tok.type]
        return OtherLit(what, tok.start_pos or 0)

    def not_expr(self, meta: Meta, ch: list[Any]) -> NotExpr:
        return NotExpr(ch[-1], pos(meta, ch))

    def cast_expr(self, meta: Meta, ch: list[Any]) -> CastExpr:
        return CastExpr(ch[0], one(ch, PathType), pos(meta, ch))

    def call_expr(self, meta: Meta, ch: list[Any]) -> CallExpr:
        path: PathExpr = ch[0]
        return CallExpr(path.path, one(ch, TYPE_CLASSES), pos(meta, ch))

    def binary(self, meta: Meta, ch: list[Any]) -> BinaryExpr:
        return BinaryExpr(ch[1].value, ch[0], ch[2], pos(meta, ch))

    def neg(self, meta: Meta, ch: list[Any]) -> NegExpr:
        return NegExpr(ch[-1], pos(meta, ch))

    def expr_path(self, meta: Meta, ch: list[Any]) -> PathExpr:
        return PathExpr(self.cast_type(meta, ch), pos(meta, ch))

    def cast_type(self, meta: Meta, ch: list[Any]) -> PathType:
        segs = tuple(PathSeg(t.value, (), t.start_pos or 0) for t in ch
                     if isinstance(t, Token) and t.type != "COLONS")
        return PathType(segs, has(ch[:1], "COLONS"), pos(meta, ch))


_METHODS.close()
