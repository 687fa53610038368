"""The library's entry points: parse → transform → encode, with whole answers memoised.

A front end per language turns text into a :class:`FunctionType`; :func:`typeids_of` turns a
function type into its four type id strings for one flavour and target; KCFI hashes are taken of
those strings.  Caches hold whole answers keyed by frozen inputs, never encodings of sub-terms
(those depend on each call's substitution dictionary).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Callable, Mapping

from .itanium.encoder import encode_function_type
from .errors import UsageError
from .flavours import CLANG, RUSTC, Flavour
from .hashes import kcfi_hash
from .itanium.suffixes import GENERALIZED_SUFFIX, NORMALIZED_SUFFIX
from .memo import remember
from .model import FunctionType, Type
from .targets import DEFAULT_C_STANDARD, DEFAULT_TARGET, Target, get_target, with_c_standard
from .transform import generalize_function, normalize_function



@dataclass(frozen=True, slots=True)
class TypeIds:
    """The four type ids a compiler attaches to one function, as strings."""

    plain: str
    generalized: str
    normalized: str
    normalized_generalized: str

    def select(self, *, normalize_integers: bool, generalize_pointers: bool) -> str:
        """The id for one option set."""
        if normalize_integers:
            return self.normalized_generalized if generalize_pointers else self.normalized
        return self.generalized if generalize_pointers else self.plain

    def to_json(self, kcfi: str = "xxhash64") -> dict[str, str]:
        """The ``typeids`` object of a batch output line (hashes as ``0x%08x``)."""
        return {
            "plain": self.plain,
            "generalized": self.generalized,
            "normalized": self.normalized,
            "normalized_generalized": self.normalized_generalized,
            "kcfi": f"0x{kcfi_hash(self.plain, kcfi):08x}",
            "kcfi_normalized": f"0x{kcfi_hash(self.normalized, kcfi):08x}",
        }

    def __reduce__(self) -> tuple[type[TypeIds], tuple[str, str, str, str]]:
        """Pickled as ``TypeIds(*fields)``.  Compiled by mypyc, the default pickle stores a
        state dictionary that unpickling sets attribute by attribute, which the frozen class
        refuses: every record the forked C side of ``check-bindings`` sent back failed to
        load, and the C side was read again in the parent."""
        return TypeIds, (self.plain, self.generalized, self.normalized,
                         self.normalized_generalized)


def transformed(fn: FunctionType, flavour: Flavour, target: Target, *,
                normalize_integers: bool, generalize_pointers: bool) -> FunctionType:
    """``fn`` as the compiler sees it under one option set: integers normalised first, then
    pointers generalised, as both compilers do."""
    if normalize_integers:
        fn = normalize_function(fn, target, flavour)
    if generalize_pointers:
        fn = generalize_function(fn, flavour)
    return fn


def typeids_of(fn: FunctionType, flavour: Flavour, target: Target, salt: str = "") -> TypeIds:
    """All four ids of ``fn``.  ``salt`` (``cfi_salt``) goes before the option suffixes."""
    tail = f".{salt}" if salt else ""
    # The transforms hand back the very node they were given when nothing in it changes (no
    # pointer to generalise, no integer to normalise), and an encoding depends on nothing
    # but the node and the flavour, so an unchanged function is encoded once, not again.
    plain = encode_function_type(fn, flavour)
    normalized_fn = normalize_function(fn, target, flavour)
    normalized = plain if normalized_fn is fn else encode_function_type(normalized_fn, flavour)
    generalized_fn = generalize_function(fn, flavour)
    generalized = plain if generalized_fn is fn else encode_function_type(generalized_fn, flavour)
    if normalized_fn is fn:
        both = generalized
    else:
        both_fn = generalize_function(normalized_fn, flavour)
        both = normalized if both_fn is normalized_fn else encode_function_type(both_fn, flavour)
    return TypeIds(
        plain=f"_ZTS{plain}{tail}",
        generalized=f"_ZTS{generalized}{tail}{GENERALIZED_SUFFIX}",
        normalized=f"_ZTS{normalized}{tail}{NORMALIZED_SUFFIX}",
        normalized_generalized=f"_ZTS{both}{tail}{NORMALIZED_SUFFIX}{GENERALIZED_SUFFIX}",
    )


# ---- languages ----------------------------------------------------------------------------

CratesKey = tuple[tuple[str, str], ...]
FrontEnd = Callable[[str, str, Target, str | None, CratesKey], tuple[FunctionType, Flavour]]


def _c_front_end(decl: str, prelude: str, target: Target, crate: str | None,
                 crates: CratesKey) -> tuple[FunctionType, Flavour]:
    return _c_parser()(decl, prelude, target), CLANG


@lru_cache(maxsize=None)
def _c_parser() -> Callable[[str, str, Target], FunctionType]:
    """The C front end, imported at its first use: a Rust run does without it (~20 ms of
    imports), and a look-up here costs a batch line less than an import statement."""
    from .c.frontend import parse_c_function
    return parse_c_function


def _rust_front_end(decl: str, prelude: str, target: Target, crate: str | None,
                    crates: CratesKey) -> tuple[FunctionType, Flavour]:
    from .rust.frontend import parse_rust_function
    return parse_rust_function(decl, prelude, target, crate, dict(crates)), RUSTC


LANGUAGES: Mapping[str, FrontEnd] = MappingProxyType({"c": _c_front_end, "rust": _rust_front_end})


def prelude_warnings(prelude: str, *, lang: str = "c", target: str = DEFAULT_TARGET,
                     std: str = DEFAULT_C_STANDARD) -> tuple[str, ...]:
    """The declarations of a C ``prelude`` that were skipped (it is read as tolerantly as a
    header: one bad declaration costs itself only), each as ``prelude:LINE:COL: warning:
    ...``; a declaration that uses one of them fails, saying so.  Rust preludes are read
    strictly: none."""
    return _prelude_warnings(prelude, lang, target, std)


@lru_cache(maxsize=256)
def _prelude_warnings(prelude: str, lang: str, target: str, std: str = DEFAULT_C_STANDARD
                      ) -> tuple[str, ...]:
    # (cached by position: batch asks once per line, and lru_cache keys keyword arguments
    # several times slower)
    if lang != "c" or not prelude:
        return ()
    from .c.frontend import prelude_scope
    out = []
    t = with_c_standard(get_target(target), std)
    for skipped in prelude_scope(prelude, t).prelude_skipped:
        offset: int = getattr(skipped, "offset", 0)
        message: str = getattr(skipped, "message", "")
        name: str = getattr(skipped, "name", "")
        before = prelude[:offset]
        line, column = before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
        named = f" '{name}'" if name else ""
        out.append(f"prelude:{line}:{column}: warning: skipped{named}: {message}")
    return tuple(out)


def parse_function(decl: str, *, lang: str = "c", target: str = DEFAULT_TARGET,
                   prelude: str = "", crate: str | None = None,
                   crates: Mapping[str, str] | None = None,
                   std: str = DEFAULT_C_STANDARD) -> FunctionType:
    """The model of the function type ``decl`` declares (see :func:`typeid`)."""
    return _parse(lang, decl, prelude, target, crate, _crates_key(crates), std)[0]


def _crates_key(crates: Mapping[str, str] | None) -> CratesKey:
    return tuple(sorted(crates.items())) if crates else ()


@lru_cache(maxsize=4096)
def _parse(lang: str, decl: str, prelude: str, target: str, crate: str | None,
           crates: CratesKey, std: str = DEFAULT_C_STANDARD
           ) -> tuple[FunctionType, Flavour, Target]:
    front_end = LANGUAGES.get(lang)
    if front_end is None:
        raise UsageError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    t = get_target(target)
    if std != DEFAULT_C_STANDARD:
        t = with_c_standard(t, std)
    fn, flavour = front_end(decl, prelude, t, crate, crates)
    return fn, flavour, t


@lru_cache(maxsize=65536)
def _typeids(lang: str, decl: str, prelude: str, target: str, crate: str | None,
             crates: CratesKey, salt: str, std: str = DEFAULT_C_STANDARD) -> TypeIds:
    fn, flavour, t = _parse(lang, decl, prelude, target, crate, crates, std)
    if flavour is CLANG and t.microsoft_mangling:
        raise UsageError(microsoft_mangling_reason(t))
    return typeids_of(fn, flavour, t, salt)


def microsoft_mangling_reason(t: Target) -> str:
    """Why there is no Itanium C type id on ``t`` (``*-windows-msvc``)."""
    return (f"clang's CFI type ids on {t.triple} are Microsoft-mangled, not Itanium "
            "(int f(int, long) is ?6AHHJ@Z, and its KCFI hash is that string's), so this tool "
            "has no C id there; rustc's ids stay Itanium on every target, so a C and a Rust "
            "function can never get the same id on *-windows-msvc (use *-windows-gnu, where "
            "both are Itanium)")


def typeids(decl: str, *, lang: str = "c", target: str = DEFAULT_TARGET, prelude: str = "",
            crate: str | None = None, crates: Mapping[str, str] | None = None,
            salt: str = "", std: str = DEFAULT_C_STANDARD) -> TypeIds:
    """All four type ids of ``decl`` (see :func:`typeid` for the arguments)."""
    return _typeids(lang, decl, prelude, target, crate, _crates_key(crates),
                    salt, std)


# ---- the memoised entry points ------------------------------------------------------------
#
# Tight loops call ``typeid``/``kcfi`` with the same few declarations over and over, so a
# repeated call must cost a handful of dict operations: one dict per entry point, keyed by the
# positional tuple of the arguments (``lru_cache`` on keyword arguments costs several times
# more).  The dicts hold whole answers only; when one is full it is emptied, which bounds its
# memory without the bookkeeping of an LRU.  Errors are never cached.

_ANSWERS_MAX = 1 << 16
_TYPEID_ANSWERS: dict[tuple[object, ...], str] = {}
_KCFI_ANSWERS: dict[tuple[object, ...], int] = {}


def typeid(decl: str, *, lang: str = "c", target: str = DEFAULT_TARGET, prelude: str = "",
           normalize_integers: bool = False, generalize_pointers: bool = False,
           crate: str | None = None, crates: Mapping[str, str] | None = None,
           salt: str = "", std: str = DEFAULT_C_STANDARD) -> str:
    """The CFI type id the compiler gives the function ``decl`` declares.

    ``decl`` is a C prototype (``int f(const char *, ...);``), a C type name (``void (long)``;
    a pointer to a function names the function it points to), or, with ``lang="rust"``, a Rust
    function item or function pointer type.  ``prelude`` holds declarations ``decl`` uses
    (typedefs, structs, enums; Rust items).  ``target`` is a target triple (see
    :data:`cfi_typeid.targets.TARGETS`).  ``normalize_integers`` and ``generalize_pointers``
    mirror ``-fsanitize-cfi-icall-experimental-normalize-integers`` /
    ``-Zsanitizer-cfi-normalize-integers`` and ``-fsanitize-cfi-icall-generalize-pointers``.
    ``salt`` is a ``cfi_salt`` string.  ``std`` is the C standard (clang's ``-std=``:
    ``gnu17``, clang-19's default, or ``c23``/``gnu23``).  Raises :class:`cfi_typeid.CfiTypeidError` subclasses
    for bad input.
    """
    key: tuple[object, ...] = (decl, prelude, normalize_integers, generalize_pointers, lang,
                               target, crate, salt)
    if crates:
        key += (_crates_key(crates),)
    if std != DEFAULT_C_STANDARD:
        key += ("std", std)
    answer = _TYPEID_ANSWERS.get(key)
    if answer is None:
        ids = typeids(decl, lang=lang, target=target, prelude=prelude, crate=crate,
                      crates=crates, salt=salt, std=std)
        answer = remember(_TYPEID_ANSWERS, key, ids.select(
            normalize_integers=normalize_integers, generalize_pointers=generalize_pointers),
            _ANSWERS_MAX)
    return answer


def kcfi(decl: str, *, lang: str = "c", target: str = DEFAULT_TARGET, prelude: str = "",
         normalize_integers: bool = False, generalize_pointers: bool = False,
         crate: str | None = None, crates: Mapping[str, str] | None = None, salt: str = "",
         hash: str = "xxhash64", std: str = DEFAULT_C_STANDARD) -> int:
    """The KCFI type hash (``!kcfi_type``) of ``decl``: see :func:`typeid`.  ``hash`` is
    ``xxhash64`` (LLVM's default) or ``fnv1a`` (``-fsanitize-kcfi-hash=FNV-1a``)."""
    key: tuple[object, ...] = (decl, prelude, normalize_integers, generalize_pointers, lang,
                               target, crate, salt, hash)
    if crates:
        key += (_crates_key(crates),)
    if std != DEFAULT_C_STANDARD:
        key += ("std", std)
    answer = _KCFI_ANSWERS.get(key)
    if answer is None:
        answer = remember(_KCFI_ANSWERS, key, kcfi_hash(typeid(
            decl, lang=lang, target=target, prelude=prelude,
            normalize_integers=normalize_integers, generalize_pointers=generalize_pointers,
            crate=crate, crates=crates, salt=salt, std=std), hash), _ANSWERS_MAX)
    return answer
