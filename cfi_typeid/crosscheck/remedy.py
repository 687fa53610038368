"""The Rust edits that make a pair match, found by rewriting the Rust side and proved by encoding.

:mod:`~cfi_typeid.crosscheck.advice` explains the first component that differs; a remedy goes
further: it rewrites the Rust model component by component toward what rustc encodes as the C
type under one option set (the bare fn for an ``Option`` callback, a ``cfi_types`` integer for
a C integer, a ``#[cfi_encoding]`` newtype for an enum), then encodes the *whole* rewritten
signature again.  Only a remedy whose ids equal C's is offered as a fix (``works``); otherwise
the remedy says why no Rust change does and what would (flags on both sides).  The substitution
numbering is why the last step matters: a signature whose components all match one by one can
still differ as a whole.  ``tests/test_remedy.py`` applies every kind of edit and compiles both
sides with clang-19 and rustc.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .advice import (
    CFI_TYPE_NAMES, GENERALIZE_FLAGS, NORMALIZE_FLAGS, is_fn_pointer, option_argument,
)
from ..api import transformed
from ..codes import C_INT_CODES
from ..errors import CfiTypeidError
from ..flavours import CLANG, RUSTC
from ..itanium.encoder import encode_function_type, encode_type
from ..memo import remember
from ..model import (
    VOID, Array, CInteger, FixedInteger, FunctionType, Named, PathSegment, Pointer,
    Primitive, Qualified, Reference, RustPath, Scalar, Type, qualify, unqualified,
)
from ..targets import Target
from ..transform import generalize, normalize
from ..dataclass_code import compiled_once

_METHODS = compiled_once(__name__)  # dataclass methods compiled once (see its module)

#: The local module the ``cfi_types`` integers live in (the cfi-types crate's newtypes).
CFI_TYPES = "cfi_types"

#: C integer kinds the ``cfi_types`` module (and ``bindgen --ctypes-prefix``) names: the
#: ``core::ffi::cfi`` names the advice gives.
CFI_INT_NAMES = CFI_TYPE_NAMES


@dataclass(frozen=True, slots=True)
class Edit:
    """One top-level component of the Rust signature retyped (``position`` -1: the return)."""

    position: int
    old: Type
    new: Type
    #: What the edit does, in a few words ("drop the Option", "cfi_types integer", ...).
    labels: tuple[str, ...]

    @property
    def where(self) -> str:
        return "return type" if self.position < 0 else f"parameter {self.position + 1}"

    @property
    def text(self) -> str:
        """The new type as Rust source."""
        return rust_text(self.new)


@dataclass(frozen=True, slots=True)
class Remedy:
    """What makes one pair match under one option set: edits proved to work, or why none do."""

    options: str
    edits: tuple[Edit, ...] = ()
    #: ``#[cfi_encoding]`` newtypes the edits use: name → declaration.
    newtypes: tuple[tuple[str, str], ...] = ()
    works: bool = False
    #: What the edits take for granted ("the callback is never null"), or "".
    assumption: str = ""
    #: Where no Rust change works (or the edits assume something): what would.
    note: str = ""
    function: FunctionType | None = field(default=None, compare=False, repr=False)

    @property
    def uses_cfi_types(self) -> bool:
        return any("cfi_types integer" in e.labels for e in self.edits)

    def to_json(self) -> dict[str, object]:
        return {"options": [self.options], "works": self.works,
                "edits": [{"where": e.where, "rust_type": e.text, "does": list(e.labels)}
                          for e in self.edits],
                "newtypes": [d for _, d in self.newtypes], "assumption": self.assumption,
                "note": self.note}

    def describe(self) -> str:
        """One line: the edits, or the note."""
        if not self.works:
            return self.note
        parts = [f"{e.where}: {e.text} ({', '.join(e.labels)})" for e in self.edits]
        out = "; ".join(parts) or "(no change)"
        if self.assumption:
            out += f" — assuming {self.assumption}"
        if self.note:
            out += f"; {self.note}"
        return out


class _NoFix(Exception):
    """No Rust type encodes as this C component: the reason."""


_NULLABLE_NOTE = (
    "if the callback may be null, no Rust type matches under these flags; what does is pointer "
    f"generalization on both sides ({GENERALIZE_FLAGS}; with integer normalization, "
    f"{NORMALIZE_FLAGS}, for bindgen's c_int aliases) and the parameter declared *mut "
    "core::ffi::c_void")
_NUMBERING_NOTE = (
    "no Rust change matches: every component encodes alike but the substitutions are numbered "
    "differently (a fn pointer, or a #[cfi_encoding] type, is one substitution candidate for "
    "rustc, while clang counts the parts inside it, and a builtin such as _Float16's DF16_ not "
    "at all); what does is pointer generalization on "
    f"both sides ({GENERALIZE_FLAGS}) with the callback parameters declared *mut "
    "core::ffi::c_void")


class _Rewriter:
    """Rewrites Rust components toward the C ones under one option set."""

    def __init__(self, target: Target, normalize_integers: bool, generalize_pointers: bool
                 ) -> None:
        self.target = target
        self.norm = normalize_integers
        self.gen = generalize_pointers
        self.labels: list[str] = []
        self.newtypes: dict[str, str] = {}
        self.assumptions: list[str] = []

    def code(self, t: Type, flavour: object) -> str:
        fl = CLANG if flavour is CLANG else RUSTC
        if self.norm:
            t = normalize(t, self.target, fl)
        if self.gen:
            t = generalize(t, fl)
        return encode_type(t, fl)

    def same(self, c: Type, r: Type) -> bool:
        return self.code(c, CLANG) == self.code(r, RUSTC)

    def fix(self, c: Type, r: Type) -> Type:
        if self.same(c, r):
            return r
        inner = option_argument(r)
        if inner is not None and is_fn_pointer(inner) and isinstance(c, Pointer):
            if self.gen:
                return self.void_pointer("Option callback as *mut c_void")
            self.labels.append("drop the Option")
            self.assumptions.append("the callback is never null")
            return self.fix(c, inner)
        if isinstance(r, Reference):
            self.labels.append("raw pointer for the reference")
            pointee = r.pointee if r.mutable else qualify(r.pointee, const=True)
            return self.fix(c, Pointer(pointee))
        match c, r:
            case Pointer(FunctionType()), Pointer(FunctionType()) if self.gen:
                return self.void_pointer("fn pointer as *mut c_void")
            case Pointer(FunctionType() as cf), Pointer(FunctionType() as rf):
                return Pointer(self.fix_function(cf, rf))
            case Pointer(cp), Pointer(rp):
                return Pointer(self.fix_pointee(cp, rp))
            case (CInteger() | Named(kind="enum")), (FixedInteger() | CInteger()):
                return self.integer(c, r)
            case Array(), Array():
                return self.newtype(c, r, "array")
            case _, Array() if not isinstance(c, Array):
                self.labels.append("point to the element")
                return self.fix(c, r.element)
            case Primitive(Scalar.VOID), Primitive(Scalar.NEVER):
                self.labels.append("no '-> !'")
                return VOID
            case Primitive(Scalar.FLOAT16), Primitive(Scalar.HALF):
                return self.newtype(c, r, "Float16")
            case _:
                raise _NoFix(f"no Rust type is written {self.code(c, CLANG)!r} here "
                             f"(the Rust side is {self.code(r, RUSTC)!r})")

    def void_pointer(self, label: str) -> Type:
        self.labels.append(label)
        return Pointer(VOID)

    def fix_pointee(self, c: Type, r: Type) -> Type:
        if isinstance(c, Qualified) and (c.volatile or c.restrict):
            raise _NoFix("Rust has no volatile (or restrict) pointee")
        c_const = isinstance(c, Qualified) and c.const
        r_const = isinstance(r, Qualified) and r.const
        if c_const != r_const:
            self.labels.append("*const" if c_const else "*mut")
        new = self.fix(unqualified(c), unqualified(r))
        return qualify(new, const=c_const)

    def fix_function(self, c: FunctionType, r: FunctionType) -> FunctionType:
        if len(c.params) != len(r.params) or c.variadic != r.variadic or not c.prototyped:
            raise _NoFix("the callback's parameter lists differ")
        returns = self.fix(c.returns, r.returns)
        params = tuple(self.fix(cp, rp) for cp, rp in zip(c.params, r.params))
        return FunctionType(returns, params, r.variadic, r.prototyped, r.abi, r.unsafe)

    def integer(self, c: Type, r: Type) -> Type:
        if isinstance(c, Named):
            return self.newtype(c, r, "enum")
        assert isinstance(c, CInteger)
        if self.norm:
            n = normalize(c, self.target, CLANG)
            if isinstance(n, FixedInteger):
                self.labels.append("integer of the C size")
                return FixedInteger(n.kind)
        if c.kind not in CFI_INT_NAMES:
            raise _NoFix(f"Rust has no type encoded as C's {c.kind.value}")
        self.labels.append("cfi_types integer")
        return CInteger(c.kind)

    def newtype(self, c: Type, r: Type, what: str) -> Type:
        code = self.code(c, CLANG)
        base = c.name if isinstance(c, Named) else what
        name = f"Cfi_{base}" if not base.startswith("Cfi") else base
        name = _unique(name, code, self.newtypes)
        inner = rust_text(r)
        self.newtypes[name] = (f'#[cfi_encoding = "{code}"]\n#[repr(transparent)]\n'
                               f"pub struct {name}(pub {inner});")
        self.labels.append(f"#[cfi_encoding] newtype {name}")
        return RustPath("probe", "", (PathSegment("t", name),), encoding=code)


def _unique(name: str, code: str, taken: dict[str, str]) -> str:
    out, n = name, 1
    while out in taken and f'"{code}"' not in taken[out]:
        n += 1
        out = f"{name}{n}"
    return out


#: Whole remedies by their (frozen) inputs: a header's bindings repeat a few signatures
#: many times (``int f(sqlite3 *)``).
_REMEDIES: dict[tuple[FunctionType, FunctionType, Target, bool, bool, str], Remedy] = {}


def remedy(c_fn: FunctionType, r_fn: FunctionType, target: Target, *,
           normalize_integers: bool, generalize_pointers: bool, name: str = "",
           known_to_differ: bool = False) -> Remedy:
    """Edits to the Rust signature ``r_fn`` that give it C's id under one option set (the same
    on both sides), proved by encoding the rewritten signature; or why none do.
    ``known_to_differ``: the caller compared the two ids under that option set already and
    they differ (the answer is the same, one encoding of each side sooner)."""
    key = (c_fn, r_fn, target, normalize_integers, generalize_pointers, name)
    found = _REMEDIES.get(key)
    if found is None:
        found = remember(_REMEDIES, key, _remedy(c_fn, r_fn, target, normalize_integers,
                                                 generalize_pointers, name, known_to_differ),
                         4096)
    return found


def _remedy(c_fn: FunctionType, r_fn: FunctionType, target: Target, normalize_integers: bool,
            generalize_pointers: bool, name: str, known_to_differ: bool = False) -> Remedy:
    opts = dict(normalize_integers=normalize_integers, generalize_pointers=generalize_pointers)
    name = name or _set_name(normalize_integers, generalize_pointers)
    if not known_to_differ and _ids_equal(c_fn, r_fn, target, opts):
        return Remedy(name, works=True, function=r_fn)
    rw = _Rewriter(target, normalize_integers, generalize_pointers)
    edits: list[Edit] = []
    try:
        if len(c_fn.params) != len(r_fn.params) or c_fn.variadic != r_fn.variadic \
                or not c_fn.prototyped:
            raise _NoFix("the parameter lists differ: make both declarations take the same "
                         "parameters (and '...' on both sides or neither)")
        positions = [(-1, c_fn.returns, r_fn.returns),
                     *((i, cp, rp) for i, (cp, rp) in enumerate(zip(c_fn.params, r_fn.params)))]
        new_parts: list[Type] = []
        for pos, c, r in positions:
            rw.labels = []
            new = rw.fix(c, r)
            if new != r:
                edits.append(Edit(pos, r, new, tuple(dict.fromkeys(rw.labels))))
            new_parts.append(new)
    except (_NoFix, CfiTypeidError) as e:
        return Remedy(name, note=f"no Rust change matches: {e}")
    fixed = FunctionType(new_parts[0], tuple(new_parts[1:]), r_fn.variadic, r_fn.prototyped,
                         r_fn.abi, r_fn.unsafe)
    assumption = "; ".join(dict.fromkeys(rw.assumptions))
    newtypes = tuple(sorted(rw.newtypes.items()))
    if not _ids_equal(c_fn, fixed, target, opts):
        note = _NUMBERING_NOTE
        if assumption:
            note = f"{note}; {_NULLABLE_NOTE}"
        return Remedy(name, note=note)
    note = _NULLABLE_NOTE if assumption else ""
    return Remedy(name, tuple(edits), newtypes, True, assumption, note, fixed)


def _set_name(norm: bool, gen: bool) -> str:
    return "+".join(p for p, on in (("normalized", norm), ("generalized", gen)) if on) \
        or "plain"


def _ids_equal(c_fn: FunctionType, r_fn: FunctionType, target: Target,
               opts: dict[str, bool]) -> bool:
    c = transformed(c_fn, CLANG, target, **opts)
    r = transformed(r_fn, RUSTC, target, **opts)
    return encode_function_type(c, CLANG) == encode_function_type(r, RUSTC)


# ---- the rewritten types as Rust source ---------------------------------------------------

def rust_text(t: Type) -> str:
    """``t`` as Rust source that names items the way bindgen's file does (bare names of the
    file's own module, ``cfi_types::c_int``, ``core::ffi::c_void``)."""
    match t:
        case CInteger(kind):
            return f"{CFI_TYPES}::{CFI_INT_NAMES[kind]}"
        case Pointer(FunctionType() as fn):
            return _fn_text(fn)
        case Pointer(Qualified(base, const=True)):
            return f"*const {rust_text(base)}"
        case Pointer(pointee):
            return f"*mut {rust_text(pointee)}"
        case Primitive(Scalar.VOID):
            return "core::ffi::c_void"
        case RustPath(crate="core" | "std", args=(arg,)) if option_argument(t) is not None:
            return f"::core::option::Option<{rust_text(arg)}>"
        case RustPath(encoding=str()) | RustPath(by_name=True) | RustPath(foreign=True) \
                if t.crate not in ("core", "std", "alloc"):
            return t.segments[-1].name
        case Array(element, length) if length is not None:
            return f"[{rust_text(element)}; {length}]"
        case _:
            from ..rust.render import render_rust_type
            return render_rust_type(t).replace("crate::", "")


def _fn_text(fn: FunctionType) -> str:
    params = [rust_text(p) for p in fn.params]
    if fn.variadic:
        params.append("...")
    ret = "" if fn.returns == VOID else f" -> {rust_text(fn.returns)}"
    unsafe = "unsafe " if fn.unsafe else ""
    abi = f'extern "{fn.abi}" ' if fn.abi != "Rust" else ""
    return f"{unsafe}{abi}fn({', '.join(params)}){ret}"


#: The ``cfi_types`` module an edit set needs: the cfi-types crate's newtypes, whose encoding
#: applies only without integer normalization (so they normalize as the C types do).
CFI_TYPES_MODULE = (
    "/// The C integer types as the cfi-types crate defines them (`#[cfi_encoding]` newtypes),\n"
    "/// for CFI ids that match clang's; with that crate as a dependency, delete this module.\n"
    "/// Needs `#![feature(cfi_encoding, cfg_sanitizer_cfi)]` at the crate root.\n"
    "#[allow(non_camel_case_types)]\n"
    f"pub mod {CFI_TYPES} {{\n"
    "    pub use core::ffi::c_void;\n"
    + "".join(
        f'    #[cfg_attr(not(sanitizer_cfi_normalize_integers), cfi_encoding = "{code}")]\n'
        f"    #[repr(transparent)]\n"
        f"    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]\n"
        f"    pub struct {name}(pub core::ffi::{name});\n"
        for name, code in ((n, C_INT_CODES[kind]) for kind, n in CFI_TYPE_NAMES.items()))
    + "}\n")


_METHODS.close()
