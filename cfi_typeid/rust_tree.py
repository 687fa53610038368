"""From Lark parse trees of ``grammar/rust.lark`` to the syntax objects of :mod:`rust_ast`:
one method per grammar rule.  Attributes other than ``repr`` and ``cfi_encoding``, patterns,
bounds and where clauses are read and dropped (they never change a type id)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

from lark import Token, Transformer, v_args
from lark.tree import Meta

from .errors import ParseError
from .rust_ast import (
    AdtItem, AliasItem, ArrayType, Attrs, BinaryExpr, ConstArg, ConstItem, ExternBlock,
    Field, FnItem, FnPtrType, ForeignTypeItem, GenericArg, Generics, IntLit, Item, LifetimeArg,
    ModItem, NegExpr, NeverType, PathExpr, PathSeg, PathType, PtrType, RefType, SliceType,
    SourceFile, TupleType, TypeExpr, UnsupportedType, UseItem, Variant,
)

_INT_DIGITS = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+")
_TYPE_CLASSES = (PathType, RefType, PtrType, SliceType, ArrayType, TupleType, NeverType,
                 FnPtrType, UnsupportedType)
_ITEM_CLASSES = (AdtItem, AliasItem, ForeignTypeItem, FnItem, ConstItem, UseItem, ModItem,
                 ExternBlock)


@dataclass(frozen=True, slots=True)
class _Attr:
    path: tuple[str, ...]
    value: Any  # a string for #[a = "..."], a list of _Attr/tokens for #[a(...)], else None
    at: int


@dataclass(frozen=True, slots=True)
class _Quals:
    const: bool
    is_async: bool
    unsafe: bool
    abi: str | None
    at: int


@dataclass(frozen=True, slots=True)
class _Variadic:
    at: int


def unquote(token: str) -> str:
    """The value of a Rust string literal token."""
    if token.startswith("b"):
        token = token[1:]
    if token.startswith("r"):
        return token[1:].strip("#")[1:-1]
    return codecs.decode(token[1:-1], "unicode_escape")


def _pos(meta: Meta, children: Sequence[object]) -> int:
    if not meta.empty:
        return int(meta.start_pos)
    for c in children:
        if isinstance(c, Token) and c.start_pos is not None:
            return c.start_pos
    return 0


def _tokens(children: Sequence[object], *types: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type in types]


def _has(children: Sequence[object], type_: str) -> bool:
    return bool(_tokens(children, type_))


def _of(children: Sequence[object], cls: type[Any] | tuple[type[Any], ...]) -> list[Any]:
    return [c for c in children if isinstance(c, cls)]


def _one(children: Sequence[object], cls: type[Any] | tuple[type[Any], ...]) -> Any:
    found = _of(children, cls)
    return found[0] if found else None


def _items(children: Sequence[object]) -> tuple[Item, ...]:
    """The items among ``children``, a ``use`` with several leaves flattened."""
    out: list[Item] = []
    for c in children:
        if isinstance(c, tuple):
            out += c
        elif isinstance(c, _ITEM_CLASSES):
            out.append(c)
    return tuple(out)


def _attrs(text: str, attrs: list[_Attr]) -> Attrs:
    reprs: list[str] = []
    encoding, encoding_at = None, 0
    for a in attrs:
        if a.path == ("repr",) and isinstance(a.value, list):
            reprs += [x.path[-1] for x in a.value if isinstance(x, _Attr)]
        elif a.path == ("cfi_encoding",):
            if not isinstance(a.value, str):
                raise ParseError('cfi_encoding takes a string: #[cfi_encoding = "..."]', text,
                                 a.at)
            encoding, encoding_at = a.value.strip(), a.at
            if not encoding:
                raise ParseError("invalid empty cfi_encoding", text, a.at)
    return Attrs(tuple(reprs), encoding, encoding_at)


@v_args(meta=True)
class RustTransformer(Transformer[Token, Any]):
    """Builds :mod:`rust_ast` objects; ``text`` is the parsed text, for errors."""

    def __init__(self, text: str, what: str) -> None:
        super().__init__()
        self.text = text
        self.what = what

    def error(self, message: str, at: int) -> ParseError:
        return ParseError(message, self.text, at, what=self.what)

    # ---- files and items ----------------------------------------------------------------

    def prelude(self, meta: Meta, ch: list[Any]) -> SourceFile:
        return SourceFile(_items(ch))

    def decl(self, meta: Meta, ch: list[Any]) -> SourceFile:
        tail = ch[-1] if ch and isinstance(ch[-1], _TYPE_CLASSES) else None
        return SourceFile(_items(ch), tail)

    def item(self, meta: Meta, ch: list[Any]) -> Item | tuple[UseItem, ...] | None:
        item = ch[-1]
        if isinstance(item, (AdtItem, ForeignTypeItem)):
            item = replace(item, attrs=_attrs(self.text, _of(ch, _Attr)))
        return item if isinstance(item, (tuple, *_ITEM_CLASSES)) else None

    foreign_item = item

    def last_fn(self, meta: Meta, ch: list[Any]) -> FnItem:
        return _one(ch, FnItem)  # type: ignore[no-any-return]

    def fn_item(self, meta: Meta, ch: list[Any]) -> FnItem:
        return _one(ch, FnItem)  # type: ignore[no-any-return]

    def _adt(self, kind: str, meta: Meta, ch: list[Any], fields: tuple[Field, ...] = (),
             variants: tuple[Variant, ...] = ()) -> AdtItem:
        name = _tokens(ch, "IDENT")[0]
        generics = _one(ch, Generics) or Generics()
        return AdtItem(kind, name.value, generics, Attrs(), fields,  # type: ignore[arg-type]
                       variants, name.start_pos or 0)

    def struct_named(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("struct", meta, ch, tuple(_one(ch, list) or ()))

    struct_tuple = struct_named

    def struct_unit(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("struct", meta, ch)

    def union_item(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("union", meta, ch, tuple(_one(ch, list) or ()))

    def enum_item(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("enum", meta, ch, variants=tuple(_one(ch, list) or ()))

    def fields(self, meta: Meta, ch: list[Any]) -> list[Field]:
        return _of(ch, Field)

    tuple_fields = fields

    def field(self, meta: Meta, ch: list[Any]) -> Field:
        return Field(_tokens(ch, "IDENT")[-1].value, ch[-1])

    def tuple_field(self, meta: Meta, ch: list[Any]) -> Field:
        return Field(None, ch[-1])

    def variants(self, meta: Meta, ch: list[Any]) -> list[Variant]:
        return _of(ch, Variant)

    def variant(self, meta: Meta, ch: list[Any]) -> Variant:
        return Variant(_tokens(ch, "IDENT")[0].value, tuple(_one(ch, list) or ()))

    def variant_named(self, meta: Meta, ch: list[Any]) -> list[Field]:
        return list(_one(ch, list) or [])

    variant_tuple = variant_named

    def alias_item(self, meta: Meta, ch: list[Any]) -> AliasItem:
        name = _tokens(ch, "IDENT")[0]
        return AliasItem(name.value, _one(ch, Generics) or Generics(), ch[-1],
                         name.start_pos or 0)

    def const_item(self, meta: Meta, ch: list[Any]) -> ConstItem:
        name = _tokens(ch, "IDENT", "UNDERSCORE")[0]
        return ConstItem(name.value, _one(ch, _TYPE_CLASSES), ch[-1], name.start_pos or 0)

    def static_item(self, meta: Meta, ch: list[Any]) -> None:
        return None

    extern_crate = foreign_static = static_item

    def mod_item(self, meta: Meta, ch: list[Any]) -> ModItem:
        name = _tokens(ch, "IDENT")[0]
        return ModItem(name.value, _items(ch), name.start_pos or 0)

    def mod_decl(self, meta: Meta, ch: list[Any]) -> ModItem:
        raise self.error("'mod m;' refers to another file: write the module inline, "
                         "'mod m { ... }'", _pos(meta, ch))

    def extern_block(self, meta: Meta, ch: list[Any]) -> ExternBlock:
        strings = _tokens(ch, "STRING")
        abi = unquote(strings[0]) if strings else "C"
        items = tuple(replace(i, abi=abi) if isinstance(i, FnItem) else i
                      for i in _items(ch))
        return ExternBlock(abi, items, _pos(meta, ch))

    def foreign_type(self, meta: Meta, ch: list[Any]) -> ForeignTypeItem:
        name = _tokens(ch, "IDENT")[0]
        return ForeignTypeItem(name.value, Attrs(), name.start_pos or 0)

    def foreign_fn(self, meta: Meta, ch: list[Any]) -> FnItem:
        return self._fn(ch, _Quals(False, False, False, "C", _pos(meta, ch)))

    def fn_sig(self, meta: Meta, ch: list[Any]) -> FnItem:
        quals: _Quals = ch[0]
        if quals.is_async:
            raise self.error("an async fn returns a future: its type id is not that of "
                             "the signature written", quals.at)
        return self._fn(ch, quals)

    def _fn(self, ch: list[Any], quals: _Quals) -> FnItem:
        name = _tokens(ch, "IDENT")[0]
        params, variadic = self._params(_one(ch, list) or [])
        returns = _one(ch, _Return)
        return FnItem(name.value, _one(ch, Generics) or Generics(), params,
                      returns.type if returns else None, quals.abi, quals.unsafe, variadic,
                      name.start_pos or 0)

    def _params(self, params: list[Any]) -> tuple[tuple[TypeExpr, ...], bool]:
        for p in params[:-1]:
            if isinstance(p, _Variadic):
                raise self.error("'...' must be the last parameter", p.at)
        variadic = bool(params) and isinstance(params[-1], _Variadic)
        return tuple(p for p in params if not isinstance(p, _Variadic)), variadic

    def fn_qualifiers(self, meta: Meta, ch: list[Any]) -> _Quals:
        abi = _one(ch, _Abi)
        return _Quals(_has(ch, "CONST"), _has(ch, "ASYNC"), _has(ch, "UNSAFE"),
                      abi.name if abi else None, _pos(meta, ch))

    def extern_abi(self, meta: Meta, ch: list[Any]) -> _Abi:
        strings = _tokens(ch, "STRING")
        return _Abi(unquote(strings[0]) if strings else "C")

    def ret_type(self, meta: Meta, ch: list[Any]) -> _Return:
        return _Return(ch[-1])

    def fn_params(self, meta: Meta, ch: list[Any]) -> list[Any]:
        return [c for c in ch if isinstance(c, (_Variadic, *_TYPE_CLASSES))]

    def param(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[-1]  # type: ignore[no-any-return]

    def variadic_param(self, meta: Meta, ch: list[Any]) -> _Variadic:
        return _Variadic(_tokens(ch, "ELLIPSIS")[0].start_pos or 0)

    def self_param(self, meta: Meta, ch: list[Any]) -> None:
        raise self.error("methods are not supported: write the function with the receiver's "
                         "type as an ordinary parameter", _pos(meta, ch))

    def pattern(self, meta: Meta, ch: list[Any]) -> None:
        return None

    # ---- use trees ------------------------------------------------------------------------

    def use_item(self, meta: Meta, ch: list[Any]) -> tuple[UseItem, ...]:
        return tuple(ch[0])

    def use_tree(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        leaves: list[UseItem] = ch[-1]
        if _has(ch, "COLONS"):
            leaves = [replace(u, is_global=True) for u in leaves]
        return leaves

    def use_prefix(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        seg: str = ch[0]
        return [replace(u, path=(seg, *u.path)) for u in ch[-1]]

    def use_leaf(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        seg: str = ch[0]
        alias = _tokens(ch, "IDENT", "UNDERSCORE")
        return [UseItem((seg,), alias[-1].value if alias else seg, at=_pos(meta, ch))]

    def use_glob(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        return [UseItem((), "*", at=_pos(meta, ch))]

    def use_group(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        return [u for group in ch if isinstance(group, list) for u in group]

    def use_seg(self, meta: Meta, ch: list[Any]) -> str:
        return str(ch[0].value)

    # ---- attributes -----------------------------------------------------------------------

    def outer_attr(self, meta: Meta, ch: list[Any]) -> _Attr:
        return ch[-1]  # type: ignore[no-any-return]

    def attr(self, meta: Meta, ch: list[Any]) -> _Attr:
        value = ch[1] if len(ch) > 1 else None
        return _Attr(ch[0], value, _pos(meta, ch))

    def unsafe_attr(self, meta: Meta, ch: list[Any]) -> _Attr:
        return ch[-1]  # type: ignore[no-any-return]

    def attr_path(self, meta: Meta, ch: list[Any]) -> tuple[str, ...]:
        return tuple(t.value for t in _tokens(ch, "IDENT"))

    def attr_value(self, meta: Meta, ch: list[Any]) -> str | None:
        tok: Token = ch[-1]
        return unquote(tok.value) if tok.type == "STRING" else None

    def attr_list(self, meta: Meta, ch: list[Any]) -> list[Any]:
        return list(ch)

    def attr_arg(self, meta: Meta, ch: list[Any]) -> Any:
        if isinstance(ch[0], tuple):
            return _Attr(ch[0], ch[1] if len(ch) > 1 else None, _pos(meta, ch))
        return ch[0]

    def literal(self, meta: Meta, ch: list[Any]) -> Token:
        return ch[0]  # type: ignore[no-any-return]

    # ---- generics -------------------------------------------------------------------------

    def generics(self, meta: Meta, ch: list[Any]) -> Generics:
        kinds = [c for c in ch if isinstance(c, tuple)]
        return Generics(tuple(n for k, n in kinds if k == "lt"),
                        tuple(n for k, n in kinds if k == "ty"),
                        tuple(n for k, n in kinds if k == "const"), _pos(meta, ch))

    def lifetime_param(self, meta: Meta, ch: list[Any]) -> tuple[str, str]:
        return ("lt", _tokens(ch, "LIFETIME")[0].value)

    def type_param(self, meta: Meta, ch: list[Any]) -> tuple[str, str]:
        return ("ty", _tokens(ch, "IDENT")[0].value)

    def const_param(self, meta: Meta, ch: list[Any]) -> tuple[str, str]:
        return ("const", _tokens(ch, "IDENT")[0].value)

    def for_lifetimes(self, meta: Meta, ch: list[Any]) -> _ForLifetimes:
        return _ForLifetimes(tuple(t.value for t in _tokens(ch, "LIFETIME")))

    def where_clause(self, meta: Meta, ch: list[Any]) -> None:
        return None

    bounds = bound = where_pred = lifetime_bounds = generic_default = fn_sugar = where_clause

    # ---- types ----------------------------------------------------------------------------

    def path_type(self, meta: Meta, ch: list[Any]) -> PathType:
        is_global = bool(ch) and isinstance(ch[0], Token) and ch[0].type == "COLONS"
        return PathType(tuple(_of(ch, PathSeg)), is_global, _pos(meta, ch))

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
        return ConstArg(_pos(meta, ch))

    def assoc_arg(self, meta: Meta, ch: list[Any]) -> None:
        raise self.error("associated type bindings are not supported", _pos(meta, ch))

    def ref_type(self, meta: Meta, ch: list[Any]) -> RefType:
        lifetime = _tokens(ch, "LIFETIME")
        return RefType(ch[-1], _has(ch, "MUT"), lifetime[0].value if lifetime else None,
                       _pos(meta, ch))

    def ptr_type(self, meta: Meta, ch: list[Any]) -> PtrType:
        return PtrType(ch[-1], _has(ch, "MUT"), _pos(meta, ch))

    def slice_type(self, meta: Meta, ch: list[Any]) -> SliceType:
        return SliceType(ch[0], _pos(meta, ch))

    def array_type(self, meta: Meta, ch: list[Any]) -> ArrayType:
        return ArrayType(ch[0], ch[1], _pos(meta, ch))

    def tuple_type(self, meta: Meta, ch: list[Any]) -> TupleType:
        return TupleType(tuple(_of(ch, _TYPE_CLASSES)), _pos(meta, ch))

    def paren_type(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[0]  # type: ignore[no-any-return]

    def never_type(self, meta: Meta, ch: list[Any]) -> NeverType:
        return NeverType(_pos(meta, ch))

    def infer_type(self, meta: Meta, ch: list[Any]) -> UnsupportedType:
        return UnsupportedType("the placeholder type '_' is not allowed in a signature",
                               _pos(meta, ch))

    def impl_type(self, meta: Meta, ch: list[Any]) -> UnsupportedType:
        return UnsupportedType("'impl Trait' parameters make a generic function: write a "
                               "concrete type", _pos(meta, ch))

    def dyn_type(self, meta: Meta, ch: list[Any]) -> UnsupportedType:
        return UnsupportedType("trait objects ('dyn Trait') are not supported: rustc encodes "
                               "them with their predicates (u3dynI..E)", _pos(meta, ch))

    def fn_ptr_type(self, meta: Meta, ch: list[Any]) -> FnPtrType:
        quals: _Quals = _one(ch, _Quals)
        if quals.const or quals.is_async:
            raise self.error("a function pointer type cannot be const or async", quals.at)
        params, variadic = self._params(_one(ch, list) or [])
        returns = _one(ch, _Return)
        binder = _one(ch, _ForLifetimes)
        return FnPtrType(params, returns.type if returns else None,
                         quals.abi, quals.unsafe, variadic,
                         binder.names if binder else (), _pos(meta, ch))

    def fn_ptr_params(self, meta: Meta, ch: list[Any]) -> list[Any]:
        out: list[Any] = _of(ch, _TYPE_CLASSES)
        out += [_Variadic(t.start_pos or 0) for t in _tokens(ch, "ELLIPSIS")]
        return out

    def fn_ptr_param(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[-1]  # type: ignore[no-any-return]

    # ---- constant expressions ---------------------------------------------------------------

    def int_lit(self, meta: Meta, ch: list[Any]) -> IntLit:
        tok: Token = ch[0]
        return IntLit(_int_value(tok.value), tok.start_pos or 0)

    def binary(self, meta: Meta, ch: list[Any]) -> BinaryExpr:
        return BinaryExpr(ch[1].value, ch[0], ch[2], _pos(meta, ch))

    def neg(self, meta: Meta, ch: list[Any]) -> NegExpr:
        return NegExpr(ch[-1], _pos(meta, ch))

    def expr_path(self, meta: Meta, ch: list[Any]) -> PathExpr:
        segs = tuple(PathSeg(t.value, (), t.start_pos or 0) for t in _tokens(ch, "IDENT"))
        return PathExpr(PathType(segs, False, _pos(meta, ch)), _pos(meta, ch))


@dataclass(frozen=True, slots=True)
class _Abi:
    name: str


@dataclass(frozen=True, slots=True)
class _Return:
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class _ForLifetimes:
    names: tuple[str, ...]


def _int_value(token: str) -> int:
    """The value of an integer literal token (``0x1F``, ``1_000usize``)."""
    m = _INT_DIGITS.match(token.replace("_", ""))
    assert m is not None  # the grammar's INT only matches these
    return int(m.group(), 0)
