"""From Lark parse trees of ``grammar/rust.lark`` to the syntax objects of :mod:`rust_ast`:
one method per grammar rule (the type rules are in :mod:`rust_tree_types`).  Attributes other
than ``repr`` and ``cfi_encoding``, patterns, bounds and where clauses are read and dropped
(they never change a type id)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from ..errors import ParseError
from ..parsing.lalr import Meta, Token
from .ast import (
    AdtItem, AliasItem, Attrs, ConstItem, ExternBlock, Field, FnItem, ForeignTypeItem, Generics,
    ImplItem, Item, ModItem, Owner, PathType, Receiver, SourceFile, TraitBound, TraitItem,
    TypeExpr, UseItem, Variant,
)
from .tree_types import (
    TYPE_CLASSES, Quals, Return, TypeRules, Variadic, Where, has, of, one, pos, tokens, unquote,
)
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

_NO_GENERICS = Generics()
_ITEM_CLASSES = (AdtItem, AliasItem, ForeignTypeItem, FnItem, ConstItem, UseItem, ModItem,
                 ExternBlock, TraitItem, ImplItem)


@dataclass(frozen=True, slots=True)
class _AssocType:
    name: str
    #: the value an impl gives it (None in a trait without a default)
    type: TypeExpr | None = None
    #: bounded ``where Self: Sized`` (not part of a trait object)
    self_sized: bool = False


@dataclass(frozen=True, slots=True)
class _ImplTrait:
    path: PathType


@dataclass(frozen=True, slots=True)
class _Attr:
    path: tuple[str, ...]
    value: Any  # a string for #[a = "..."], a list of _Attr/tokens for #[a(...)], else None
    at: int


def _items(children: Sequence[object]) -> tuple[Item, ...]:
    """The items among ``children``, a ``use`` with several leaves flattened."""
    out: list[Item] = []
    for c in children:
        if isinstance(c, tuple):
            out += c
        elif isinstance(c, _ITEM_CLASSES):
            out.append(c)
    return tuple(out)


def _repr_hint(a: _Attr) -> str:
    """``C``, ``u8``, ``packed``; with an argument ``align(8)``, ``packed(2)``."""
    name = a.path[-1]
    if isinstance(a.value, list) and len(a.value) == 1 and isinstance(a.value[0], Token):
        return f"{name}({a.value[0]})"
    return name


def _fn_attrs(fn: FnItem, attrs: list[_Attr]) -> FnItem:
    """``fn`` with the attributes that change its id (``#[track_caller]``)."""
    for a in attrs:
        if a.path == ("track_caller",):
            return replace(fn, track_caller=True, track_caller_at=a.at)
    return fn


def _attrs(text: str, attrs: list[_Attr]) -> Attrs:
    reprs: list[str] = []
    encoding, encoding_at = None, 0
    for a in attrs:
        if a.path == ("repr",) and isinstance(a.value, list):
            reprs += [_repr_hint(x) for x in a.value if isinstance(x, _Attr)]
        elif a.path == ("cfi_encoding",):
            if not isinstance(a.value, str):
                raise ParseError('cfi_encoding takes a string: #[cfi_encoding = "..."]', text,
                                 a.at)
            encoding, encoding_at = a.value.strip(), a.at
            if not encoding:
                raise ParseError("invalid empty cfi_encoding", text, a.at)
    return Attrs(tuple(reprs), encoding, encoding_at)


class RustTransformer(TypeRules):
    """Builds :mod:`rust_ast` objects.  Stateless: the text being parsed, for errors, is the
    one in :data:`~cfi_typeid.rust.tree_types.SOURCE`."""

    # ---- files and items ----------------------------------------------------------------

    def prelude(self, meta: Meta, ch: list[Any]) -> SourceFile:
        return SourceFile(_items(ch))

    def decl(self, meta: Meta, ch: list[Any]) -> SourceFile:
        tail = ch[-1] if ch and isinstance(ch[-1], TYPE_CLASSES) else None
        return SourceFile(_items(ch), tail)

    def item(self, meta: Meta, ch: list[Any]) -> Item | tuple[UseItem, ...] | None:
        item = ch[-1]
        if isinstance(item, (AdtItem, ForeignTypeItem)):
            item = replace(item, attrs=_attrs(self.text, of(ch, _Attr)))
        elif isinstance(item, FnItem) and len(ch) > 1:
            item = _fn_attrs(item, of(ch, _Attr))
        return item if isinstance(item, (tuple, *_ITEM_CLASSES)) else None

    def foreign_item(self, meta: Meta, ch: list[Any]) -> Item | tuple[UseItem, ...] | None:
        return self.item(meta, ch)

    def last_fn(self, meta: Meta, ch: list[Any]) -> FnItem:
        return _fn_attrs(one(ch, FnItem), of(ch, _Attr))

    def fn_item(self, meta: Meta, ch: list[Any]) -> FnItem:
        return one(ch, FnItem)  # type: ignore[no-any-return]

    def _adt(self, kind: str, meta: Meta, ch: list[Any], fields: tuple[Field, ...] = (),
             variants: tuple[Variant, ...] = ()) -> AdtItem:
        name = tokens(ch, "IDENT")[0]
        generics = one(ch, Generics) or Generics()
        return AdtItem(kind, name.value, generics, Attrs(), fields,  # type: ignore[arg-type]
                       variants, name.start_pos or 0)

    def struct_named(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("struct", meta, ch, tuple(one(ch, list) or ()))

    def struct_tuple(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return replace(self._adt("struct", meta, ch, tuple(one(ch, list) or ())), ctor=True)

    def struct_unit(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return replace(self._adt("struct", meta, ch), ctor=True)

    def union_item(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("union", meta, ch, tuple(one(ch, list) or ()))

    def enum_item(self, meta: Meta, ch: list[Any]) -> AdtItem:
        return self._adt("enum", meta, ch, variants=tuple(one(ch, list) or ()))

    def fields(self, meta: Meta, ch: list[Any]) -> list[Field]:
        return of(ch, Field)

    def tuple_fields(self, meta: Meta, ch: list[Any]) -> list[Field]:
        return of(ch, Field)

    def field(self, meta: Meta, ch: list[Any]) -> Field:
        return Field(tokens(ch, "IDENT")[-1].value, ch[-1])

    def tuple_field(self, meta: Meta, ch: list[Any]) -> Field:
        return Field(None, ch[-1])

    def variants(self, meta: Meta, ch: list[Any]) -> list[Variant]:
        return of(ch, Variant)

    def variant(self, meta: Meta, ch: list[Any]) -> Variant:
        return Variant(tokens(ch, "IDENT")[0].value, tuple(one(ch, list) or ()))

    def variant_named(self, meta: Meta, ch: list[Any]) -> list[Field]:
        return list(one(ch, list) or [])

    def variant_tuple(self, meta: Meta, ch: list[Any]) -> list[Field]:
        return list(one(ch, list) or [])

    def alias_item(self, meta: Meta, ch: list[Any]) -> AliasItem:
        name = tokens(ch, "IDENT")[0]
        return AliasItem(name.value, one(ch, Generics) or Generics(), ch[-1],
                         name.start_pos or 0)

    def const_item(self, meta: Meta, ch: list[Any]) -> ConstItem:
        name = tokens(ch, "IDENT", "UNDERSCORE")[0]
        return ConstItem(name.value, one(ch, TYPE_CLASSES), ch[-1], name.start_pos or 0)

    def static_item(self, meta: Meta, ch: list[Any]) -> None:
        return None

    def extern_crate(self, meta: Meta, ch: list[Any]) -> None:
        return None

    def foreign_static(self, meta: Meta, ch: list[Any]) -> None:
        return None

    def mod_item(self, meta: Meta, ch: list[Any]) -> ModItem:
        name = tokens(ch, "IDENT")[0]
        return ModItem(name.value, _items(ch), name.start_pos or 0)

    def mod_decl(self, meta: Meta, ch: list[Any]) -> ModItem:
        raise self.error("'mod m;' refers to another file: write the module inline, "
                         "'mod m { ... }'", pos(meta, ch))

    def extern_block(self, meta: Meta, ch: list[Any]) -> ExternBlock:
        strings = tokens(ch, "STRING")
        abi = unquote(strings[0]) if strings else "C"
        items = tuple(replace(i, abi=abi) if isinstance(i, FnItem) else i
                      for i in _items(ch))
        return ExternBlock(abi, items, pos(meta, ch))

    def foreign_type(self, meta: Meta, ch: list[Any]) -> ForeignTypeItem:
        name = tokens(ch, "IDENT")[0]
        return ForeignTypeItem(name.value, Attrs(), name.start_pos or 0)

    def foreign_fn(self, meta: Meta, ch: list[Any]) -> FnItem:
        return self._fn(ch, Quals(False, False, False, "C", pos(meta, ch)))

    def fn_sig(self, meta: Meta, ch: list[Any]) -> FnItem:
        quals: Quals = ch[0]
        fn = self._fn(ch, quals)
        return replace(fn, is_async=True) if quals.is_async else fn

    def _fn(self, ch: list[Any], quals: Quals) -> FnItem:
        name: Token | None = None
        generics, params, returns = _NO_GENERICS, [], None
        for c in ch:  # one pass: every signature goes through here
            if isinstance(c, Token):
                name = name or (c if c.type == "IDENT" else None)
            elif isinstance(c, list):
                params = c
            elif isinstance(c, Return):
                returns = c.type
            elif isinstance(c, Generics):
                generics = c
        assert name is not None  # the grammar puts one IDENT after "fn"
        receiver = params[0] if params and isinstance(params[0], Receiver) else None
        types, variadic = self._params(params[1:] if receiver else params)
        return FnItem(name.value, generics, types, returns, quals.abi, quals.unsafe, variadic,
                      name.start_pos, receiver)
    def fn_params(self, meta: Meta, ch: list[Any]) -> list[Any]:
        return [c for c in ch if isinstance(c, (Variadic, Receiver, *TYPE_CLASSES))]

    def param(self, meta: Meta, ch: list[Any]) -> TypeExpr:
        return ch[-1]  # type: ignore[no-any-return]

    def variadic_param(self, meta: Meta, ch: list[Any]) -> Variadic:
        return Variadic(tokens(ch, "ELLIPSIS")[0].start_pos or 0)

    def self_param(self, meta: Meta, ch: list[Any]) -> Receiver:
        typed = one(ch, TYPE_CLASSES)
        if typed is not None:
            return Receiver("typed", typed, at=pos(meta, ch))
        return Receiver("value", at=pos(meta, ch))

    def ref_self_param(self, meta: Meta, ch: list[Any]) -> Receiver:
        lifetime = tokens(ch, "LIFETIME")
        return Receiver("mut" if has(ch, "MUT") else "ref", None,
                        lifetime[0].value if lifetime else None, pos(meta, ch))

    # ---- traits ---------------------------------------------------------------------------

    def trait_item(self, meta: Meta, ch: list[Any]) -> TraitItem:
        name = tokens(ch, "IDENT")[0]
        members = [m for c in ch if isinstance(c, list) for m in c]
        generics = one(ch, Generics) or Generics()
        owner = Owner("trait", name.value, generics, at=name.start_pos or 0)
        assoc = of(ch, _AssocType)
        return TraitItem(name.value, generics,
                         tuple(b for b in members if isinstance(b, TraitBound)),
                         tuple(m.name for m in assoc if not m.self_sized),
                         tuple(replace(f, owner=owner) for f in of(ch, FnItem)),
                         has(ch, "AUTO"), name.start_pos or 0,
                         tuple(m.name for m in assoc if m.self_sized))

    def impl_item(self, meta: Meta, ch: list[Any]) -> ImplItem:
        trait = one(ch, _ImplTrait)
        self_type = one(ch, TYPE_CLASSES)
        name = getattr(self_type, "segments", None)
        assoc = tuple((a.name, a.type) for a in of(ch, _AssocType) if a.type is not None)
        owner = Owner("impl", name[-1].name if name else "<type>", one(ch, Generics) or Generics(),
                      self_type, trait.path if trait else None, pos(meta, ch), assoc)
        return ImplItem(tuple(replace(f, owner=owner) for f in of(ch, FnItem)), pos(meta, ch))

    def impl_trait(self, meta: Meta, ch: list[Any]) -> _ImplTrait:
        return _ImplTrait(ch[0])

    def trait_member(self, meta: Meta, ch: list[Any]) -> Any:
        member = ch[-1]
        return _fn_attrs(member, of(ch, _Attr)) if isinstance(member, FnItem) else member

    def assoc_type(self, meta: Meta, ch: list[Any]) -> _AssocType:
        return _AssocType(tokens(ch, "IDENT")[0].value, one(ch, TYPE_CLASSES),
                          any(w.self_sized for w in of(ch, Where)))

    def assoc_const(self, meta: Meta, ch: list[Any]) -> None:
        return None

    def pattern(self, meta: Meta, ch: list[Any]) -> None:
        return None

    # ---- use trees ------------------------------------------------------------------------

    def use_item(self, meta: Meta, ch: list[Any]) -> tuple[UseItem, ...]:
        return tuple(ch[0])

    def use_tree(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        leaves: list[UseItem] = ch[-1]
        if has(ch, "COLONS"):
            leaves = [replace(u, is_global=True) for u in leaves]
        return leaves

    def use_prefix(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        seg: str = ch[0]
        return [replace(u, path=(seg, *u.path)) for u in ch[-1]]

    def use_leaf(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        seg: str = ch[0]
        alias = tokens(ch, "IDENT", "UNDERSCORE")
        return [UseItem((seg,), alias[-1].value if alias else seg, at=pos(meta, ch))]

    def use_glob(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        return [UseItem((), "*", at=pos(meta, ch))]

    def use_group(self, meta: Meta, ch: list[Any]) -> list[UseItem]:
        return [u for group in ch if isinstance(group, list) for u in group]

    def use_seg(self, meta: Meta, ch: list[Any]) -> str:
        return str(ch[0].value)

    # ---- attributes -----------------------------------------------------------------------

    def outer_attr(self, meta: Meta, ch: list[Any]) -> _Attr:
        return ch[-1]  # type: ignore[no-any-return]

    def attr(self, meta: Meta, ch: list[Any]) -> _Attr:
        value = ch[1] if len(ch) > 1 else None
        return _Attr(ch[0], value, pos(meta, ch))

    def unsafe_attr(self, meta: Meta, ch: list[Any]) -> _Attr:
        return ch[-1]  # type: ignore[no-any-return]

    def attr_path(self, meta: Meta, ch: list[Any]) -> tuple[str, ...]:
        return tuple(t.value for t in tokens(ch, "IDENT"))

    def attr_value(self, meta: Meta, ch: list[Any]) -> str | None:
        tok: Token = ch[-1]
        return unquote(tok) if tok.type == "STRING" else None

    def attr_list(self, meta: Meta, ch: list[Any]) -> list[Any]:
        return list(ch)

    def attr_arg(self, meta: Meta, ch: list[Any]) -> Any:
        if isinstance(ch[0], tuple):
            return _Attr(ch[0], ch[1] if len(ch) > 1 else None, pos(meta, ch))
        return ch[0]

    def literal(self, meta: Meta, ch: list[Any]) -> Token:
        return ch[0]  # type: ignore[no-any-return]


_METHODS.close()
