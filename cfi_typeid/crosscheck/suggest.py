"""``suggest-encoding``: the ``#[cfi_encoding]`` that makes a Rust type encode as a C type.

rustc encodes an ADT carrying ``#[cfi_encoding = "..."]`` as that string verbatim, so a
``#[repr(transparent)]`` newtype (or a ``#[repr(C)]`` struct) with the C type's own encoding is
how Rust code matches C prototypes whose types Rust cannot spell: enums by tag name, ``long``
as ``l``, ``_Float16``.  The string is exactly what clang writes for the C type on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from .advice import ATOMIC_NOTE, CFI_TYPE_NAMES, rust_spelling, vector_field, without_atomic
from ..codes import BUILTIN_CODES
from ..errors import UsageError
from ..itanium.encoder import encode_type
from ..flavours import CLANG
from ..model import CInteger, Named, Type, Vector, unqualified
from ..targets import DEFAULT_TARGET, get_target
from ..transform import normalize


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The encoding string, a Rust declaration that uses it, and what to watch for."""

    c_type: str
    encoding: str
    rust_name: str
    rust_declaration: str
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"c_type": self.c_type, "cfi_encoding": self.encoding,
                "rust_name": self.rust_name, "rust_declaration": self.rust_declaration,
                "notes": list(self.notes)}


#: Words Rust reserves: not usable as a struct name (without ``r#``).
RUST_KEYWORDS = frozenset(
    "as async await break const continue crate do dyn else enum extern false fn for gen if "
    "impl in let loop macro match mod move mut priv pub ref return self Self static struct "
    "super trait true try type typeof union unsafe unsized use virtual where while yield "
    "abstract become box final override".split())


def check_rust_name(name: str) -> str:
    """``name`` when it can name a Rust struct; a :class:`UsageError` saying why not."""
    if not name:
        raise UsageError("--name must not be empty: give the Rust type a name")
    if not name.isidentifier() or not name.isascii():
        raise UsageError(f"{name!r} is not a Rust identifier (letters, digits and '_', not "
                         "starting with a digit)")
    if name in RUST_KEYWORDS or name == "_":
        raise UsageError(f"{name!r} is a Rust keyword: choose another name")
    return name


def _default_name(t: Type) -> str:
    if isinstance(t, Named):
        return t.name
    if isinstance(t, CInteger) and t.kind in CFI_TYPE_NAMES:
        return CFI_TYPE_NAMES[t.kind]
    return "CType"


def suggest_encoding(c_type: str, *, prelude: str = "", target: str = DEFAULT_TARGET,
                     name: str | None = None) -> Suggestion:
    """The ``cfi_encoding`` string and a Rust declaration for the C type named ``c_type``."""
    # imported here: check-bindings imports this module, and reads its C side in another
    # process when it can (the C front end's import is then that process's)
    from ..c.frontend import parse_c_type
    tgt = get_target(target)
    t, _ = parse_c_type(c_type, prelude, tgt)
    t = unqualified(t)
    if isinstance(t, Named) and not t.name:
        raise UsageError(f"{c_type.strip()!r} has no tag: clang encodes a struct, union or "
                         "enum by its name, so there is no encoding to give; name it (a tag, or "
                         "a typedef of it) and ask for that name")
    code = encode_type(t, CLANG)
    rust_name = check_rust_name(_default_name(t) if name is None else name)
    notes: list[str] = []
    if isinstance(t, Named) and t.kind == "enum":
        decl = (f'#[cfi_encoding = "{code}"]\n#[repr(transparent)]\n'
                f"pub struct {rust_name}(pub core::ffi::c_uint);")
        notes.append("clang gives an enum with no negative enumerator the underlying type "
                     "unsigned int (c_uint), otherwise int (c_int): adjust the field to match")
        notes.append(f'a Rust enum works too: #[cfi_encoding = "{code}"] #[repr(u32)] '
                     f"pub enum {rust_name} {{ ... }}")
    elif isinstance(t, Named):
        decl = (f'#[cfi_encoding = "{code}"]\n#[repr(C)]\n'
                f"pub struct {rust_name} {{\n    // the fields of {t.kind} {t.name}\n}}")
        notes.append(f'a #[repr(C)] type named {t.name} already encodes as "{code}" in '
                     'extern "C" signatures; the attribute matters when the Rust name differs '
                     "or the ABI is not \"C\"")
    else:
        field = vector_field(t) if isinstance(t, Vector) else \
            rust_spelling(normalize(without_atomic(t), tgt))
        if isinstance(t, Vector):
            notes.append(f"the field is core::arch's vector of that size (or an array of the "
                         "elements, which has its size but not its calling convention); "
                         "rustc encodes core::arch's vectors by path, never as clang's "
                         f"'{code}'")
        if without_atomic(t) != t:
            notes.append(ATOMIC_NOTE)
        decl = (f'#[cfi_encoding = "{code}"]\n#[repr(transparent)]\n'
                f"pub struct {rust_name}(pub {field});")
        if code not in BUILTIN_CODES:
            notes.append("rustc enters a cfi_encoding type in its substitution dictionary as "
                         "one component, clang enters each part of it separately, so a "
                         "signature that repeats a part of it later may still differ: verify "
                         "the whole signature with the check command")
    return Suggestion(c_type.strip(), code, rust_name, decl, tuple(notes))
