"""The decoder's laws, stated as properties:

* ``decode(encode(t)) == t`` for the C function types of ``tests/strategies.py`` on every
  target, with every option set (a ``.generalized``/``.normalized`` id decodes to the
  generalised/normalised type), in clang's flavour (recognised) and rustc's (forced);
* the same for Rust-only models drawn here, and ``encode(decode(s)) == s`` for Rust models
  with what ids do not show (bound lifetimes, ABIs);
* anything else raises only :class:`DecodeError`, and decoding time grows linearly.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfi_typeid import DecodeError, decode, decode_typeid
from cfi_typeid.api import typeids_of
from cfi_typeid.itanium.encoder import encode_function_type
from cfi_typeid.flavours import CLANG, RUSTC
from cfi_typeid.model import (
    VOID, Array, ConstValue, DynTrait, FixedInt, FixedInteger, FunctionType, Lifetime, Named,
    PathSegment, Pointer, Projection,
    Primitive, Qualified, Reference, RustPath, Scalar, Slice, TYPEDEF_NAMED, Tuple, Type,
)
from cfi_typeid.targets import TARGETS
from cfi_typeid.transform import generalize, normalize
from strategies import targets_and_functions

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(targets_and_functions(), st.sampled_from(["", "salt"]))
def test_c_types_round_trip_through_clang_ids(case: tuple[str, FunctionType],
                                              salt: str) -> None:
    triple, fn = case
    target = TARGETS[triple]
    ids = typeids_of(fn, CLANG, target, salt)
    normalized = normalize(fn, target, CLANG)
    expected = {
        ids.plain: fn,
        ids.generalized: generalize(fn, CLANG),
        ids.normalized: normalized,
        ids.normalized_generalized: generalize(normalized, CLANG),
    }
    for typeid, model in expected.items():
        decoded = decode_typeid(typeid)
        # which C type a normalised integer came from shows only where clang spells a
        # compound twice; the decoder then picks one (see decoder.C_ORIGINS)
        assert without_origins(decoded.function) == without_origins(model), typeid
        assert decoded.flavour is CLANG and decoded.salt == salt


@SETTINGS
@given(targets_and_functions())
def test_c_types_round_trip_through_rustc_numbering(case: tuple[str, FunctionType]) -> None:
    _, fn = case
    typeid = "_ZTS" + encode_function_type(fn, RUSTC)
    decoded_rustc = decode(typeid, flavour="rustc")
    assert "_ZTS" + encode_function_type(decoded_rustc, RUSTC) == typeid
    if "Array(" not in repr(fn):  # rustc's A<len><elem> can be ambiguous (see decoder)
        assert decoded_rustc == without_origins(fn)
    # unforced, the reading chosen re-encodes to the same id
    decoded = decode_typeid(typeid)
    assert "_ZTS" + encode_function_type(decoded.function, decoded.flavour) == typeid


def without_origins(x: Any) -> Any:
    """``x`` with what an id does not spell dropped: every :class:`FixedInteger`'s
    ``origin``, and that a tagless type took its typedef's name (``typedef struct {...} Anon``
    is spelled ``4Anon`` as the tag ``struct Anon`` is; decoded, it is that tag)."""
    if isinstance(x, FixedInteger):
        return FixedInteger(x.kind)
    if isinstance(x, Named) and x.instance == TYPEDEF_NAMED:
        return Named(x.name, x.kind)
    if isinstance(x, tuple):
        return tuple(without_origins(e) for e in x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.replace(x, **{f.name: without_origins(getattr(x, f.name))
                                         for f in dataclasses.fields(x) if f.init})
    return x


# ---- Rust models ------------------------------------------------------------------------------

FIXED = st.sampled_from([FixedInteger(k) for k in FixedInt])
RUST_LEAVES = st.one_of(FIXED, st.sampled_from([
    Primitive(Scalar.BOOL), Primitive(Scalar.RUST_CHAR), Primitive(Scalar.DOUBLE),
    Primitive(Scalar.FLOAT), Named("Pt"), Named("Ext"),
]))
PATH_NAMES = st.sampled_from([("probe", "sXXId2UFtzX_", ("m", "S")), ("probe", "sXXId2UFtzX_",
                              ("Q",)), ("core", "sgEmfK2I1SDT_", ("option", "Option"))])


def _path(name: tuple[str, str, tuple[str, ...]], args: list[Type],
          lifetimes: list[Lifetime]) -> RustPath:
    crate, dis, segments = name
    return RustPath(crate, dis, tuple(PathSegment("t", s) for s in segments), tuple(args),
                    tuple(lifetimes))


def rust_types(inside_fn_pointer: bool = False) -> st.SearchStrategy[Type]:
    """Rust types as rustc's front end would hand them over; with ``inside_fn_pointer``,
    references carry bound lifetimes and function pointers any ABI (what ids do not show)."""
    lifetimes = (st.builds(Lifetime, st.just(0), st.integers(0, 2)) if inside_fn_pointer
                 else st.just(Lifetime()))

    def extend(inner: st.SearchStrategy[Type]) -> st.SearchStrategy[Type]:
        # a function pointer binds the lifetimes of the references in it; its own
        # signature's are erased
        in_fn = inner if inside_fn_pointer or not _RUST_INSIDE else _RUST_INSIDE[0]
        return st.one_of(
            st.builds(Reference, inner, st.booleans(), lifetimes),
            st.builds(lambda t: Reference(Slice(t)), inner),
            st.builds(lambda ts: Tuple(tuple(ts)), st.lists(inner, min_size=1, max_size=3)),
            st.builds(_path, PATH_NAMES, st.lists(inner, max_size=2),
                      st.lists(lifetimes, max_size=1)),
            st.builds(Pointer, inner),
            st.builds(lambda t: Pointer(Qualified(t, const=True)), inner),
            st.builds(lambda t, n: Array(t, n), inner, st.integers(1, 8)),
            st.builds(lambda r, ps, abi: Pointer(FunctionType(r, tuple(ps), abi=abi[0],
                                                              unsafe=abi[1])),
                      in_fn, st.lists(in_fn, max_size=3),
                      st.sampled_from([("C", False), ("Rust", False), ("C", True)])
                      if inside_fn_pointer else st.just(("C", False))),
        )
    return st.recursive(RUST_LEAVES, extend, max_leaves=12)


_RUST_INSIDE: list[st.SearchStrategy[Type]] = []
_RUST_INSIDE.append(rust_types(inside_fn_pointer=True))


def rust_functions() -> st.SearchStrategy[FunctionType]:
    """Functions whose own references have erased lifetimes; function pointers in them bind
    theirs and have any ABI."""
    return st.builds(lambda r, ps: FunctionType(r, tuple(ps)),
                     st.one_of(st.just(VOID), rust_types()), st.lists(rust_types(), max_size=4))


def _references_inside_fn_pointers(t: Type, inside: bool = False) -> bool:
    match t:
        case Reference(pointee):
            return inside or _references_inside_fn_pointers(pointee, inside)
        case Pointer(FunctionType() as fn):
            return any(_references_inside_fn_pointers(p, True) for p in (fn.returns, *fn.params))
        case Pointer(x) | Qualified(x) | Array(x) | Slice(x):
            return _references_inside_fn_pointers(x, inside)
        case Tuple(xs):
            return any(_references_inside_fn_pointers(x, inside) for x in xs)
        case RustPath():
            return any(_references_inside_fn_pointers(x, inside) for x in t.args) or (
                inside and bool(t.lifetimes))
        case _:
            return False


@SETTINGS
@given(rust_functions())
def test_rust_models_round_trip(fn: FunctionType) -> None:
    typeid = "_ZTS" + encode_function_type(fn, RUSTC)
    decoded = decode(typeid, flavour="rustc")
    if not any(_references_inside_fn_pointers(t) for t in (fn.returns, *fn.params)) \
            and not any(x in repr(fn) for x in ("Array(element=Named", "abi='Rust'",
                                                "unsafe=True")):
        # (ABIs do not show in an id; rustc's A<len><elem> is ambiguous when the element's name starts with its length:
        # A12Pt is [Pt; 1] or [*mut u16; 12]; then only the id round-trips)
        assert decoded == fn
    assert "_ZTS" + encode_function_type(decoded, RUSTC) == typeid
    # Unforced, the decoder picks rustc, or a clang reading that is the same model, or (when
    # the id is one both compilers write, for different types: ``FvPPFbvES0_E``) it offers
    # the rustc reading as the alternative.
    guess = decode_typeid(typeid)
    assert guess.flavour is RUSTC or guess.function == decoded or guess.alternative == decoded


@SETTINGS
@given(rust_functions())
def test_rust_ids_round_trip_whatever_they_hide(fn: FunctionType) -> None:
    """Bound lifetimes and ABIs do not show in an id, but decoding picks ones that make the
    same components distinct, so re-encoding gives the id back."""
    typeid = "_ZTS" + encode_function_type(fn, RUSTC)
    assert "_ZTS" + encode_function_type(decode(typeid, flavour="rustc"), RUSTC) == typeid


# ---- malformed input --------------------------------------------------------------------------

@settings(max_examples=2000, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_only_decode_error(text: str) -> None:
    _decode_or_decode_error(text)
    _decode_or_decode_error("_ZTSF" + text)


ALPHABET = "FvEPKVrSA_0123456789uIiljcxzNCtsUmefdbhDBh3rfI"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_id_like_junk_raises_only_decode_error(text: str) -> None:
    _decode_or_decode_error("_ZTSF" + text)


@SETTINGS
@given(targets_and_functions(), st.data())
def test_truncated_and_mutated_ids(case: tuple[str, FunctionType], data: st.DataObject) -> None:
    _, fn = case
    typeid = "_ZTS" + encode_function_type(fn, CLANG)
    cut = data.draw(st.integers(0, len(typeid) - 1))
    try:
        decode(typeid[:cut])
        raise AssertionError(f"a truncated id decoded: {typeid[:cut]!r}")
    except DecodeError as e:
        assert 0 <= e.offset <= cut
    i = data.draw(st.integers(0, len(typeid) - 1))
    c = data.draw(st.sampled_from(ALPHABET))
    _decode_or_decode_error(typeid[:i] + c + typeid[i + 1:])
    _decode_or_decode_error(typeid[:i] + c + typeid[i:])


def _decode_or_decode_error(text: str) -> None:
    try:
        decoded = decode_typeid(text)
    except DecodeError as e:
        assert 0 <= e.offset <= len(text)
        assert "^" in str(e)
        return
    assert isinstance(decoded.function, FunctionType)


# ---- linear time ------------------------------------------------------------------------------

def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        decode(text)
        best = min(best, time.perf_counter() - start)
    return best


def test_decoding_time_is_linear_in_substitutions() -> None:
    def many_refs(n: int) -> str:
        return "_ZTSFvPKc" + "S0_" * n + "E"
    small, large = _seconds(many_refs(4000)), _seconds(many_refs(32000))
    assert large < 8 * small * 3, (small, large)  # linear: about 8x; quadratic: 64x


def test_decoding_time_is_linear_in_candidates() -> None:
    def many_types(n: int) -> str:
        return "_ZTSFv" + "".join(f"P{c}" for c in ("1a", "1b") for _ in range(1)) + \
            "".join(f"{len(f'T{i}')}T{i}" for i in range(n)) + "E"
    small, large = _seconds(many_types(2000)), _seconds(many_types(16000))
    assert large < 8 * small * 3, (small, large)


# ---- trait objects, const arguments, calling conventions ---------------------------------------

_CORE = "sgEmfK2I1SDT_"
AUTO = [RustPath("core", _CORE, (PathSegment("t", "marker"), PathSegment("t", n)))
        for n in ("Send", "Sync", "Unpin")]
CONSTS = st.one_of(
    st.builds(lambda b: ConstValue(Primitive(Scalar.BOOL), b), st.sampled_from(["true", "false"])),
    st.builds(lambda k, v: ConstValue(FixedInteger(k), f"n{v}" if v < 0 else str(v)),
              st.sampled_from([FixedInt.I32, FixedInt.U8, FixedInt.USIZE, FixedInt.I64]),
              st.integers(-300, 300)).filter(lambda c: not (c.value.startswith("n")
                                                            and c.type.kind.value[0] == "u")),
)


def dyn_traits(inner: st.SearchStrategy[Type]) -> st.SearchStrategy[Type]:
    """``dyn Principal<args> + <projections> + <auto traits>``, as rustc orders them."""
    def build(principal: tuple[str, str, tuple[str, ...]], args: list[Type],
              assoc: list[tuple[str, Type]], autos: list[int]) -> Type:
        path = _path(principal, args, [])
        projections = [Projection(RustPath(path.crate, path.disambiguator,
                                           (*path.segments, PathSegment("t", name)), path.args),
                                  term) for name, term in dict(assoc).items()]
        return DynTrait((path, *projections, *(AUTO[i] for i in sorted(set(autos)))))
    return st.builds(build, PATH_NAMES, st.lists(inner, max_size=2),
                     st.lists(st.tuples(st.sampled_from(["Output", "Item"]), inner), max_size=2),
                     st.lists(st.integers(0, 2), max_size=3))


def breadth_types() -> st.SearchStrategy[Type]:
    def extend(inner: st.SearchStrategy[Type]) -> st.SearchStrategy[Type]:
        return st.one_of(
            st.builds(Reference, dyn_traits(inner), st.booleans()),
            st.builds(lambda d: Pointer(Qualified(d, const=True)), dyn_traits(inner)),
            st.builds(_path, PATH_NAMES, st.lists(st.one_of(inner, CONSTS), min_size=1,
                                                  max_size=3), st.just([])),
            st.builds(Reference, inner),
            st.builds(lambda ts: Tuple(tuple(ts)), st.lists(inner, min_size=1, max_size=2)),
        )
    return st.recursive(RUST_LEAVES, extend, max_leaves=10)


@SETTINGS
@given(st.builds(lambda r, ps: FunctionType(r, tuple(ps)), st.one_of(st.just(VOID), breadth_types()),
                 st.lists(breadth_types(), max_size=4)))
def test_trait_objects_and_const_arguments_round_trip(fn: FunctionType) -> None:
    typeid = "_ZTS" + encode_function_type(fn, RUSTC)
    assert decode(typeid, flavour="rustc") == fn, typeid
    guess = decode_typeid(typeid)
    assert guess.function == fn or guess.alternative == fn, typeid


@SETTINGS
@given(targets_and_functions(), st.sampled_from(["ms_abi", "sysv_abi"]), st.data())
def test_calling_conventions_round_trip(case: tuple[str, FunctionType], convention: str,
                                        data: st.DataObject) -> None:
    """clang's ``U6ms_abi`` on the function itself or on a function pointer parameter."""
    _, fn = case
    if data.draw(st.booleans()):
        fn = dataclasses.replace(fn, calling_convention=convention)
    else:
        pointee = dataclasses.replace(fn, calling_convention=convention)
        fn = FunctionType(VOID, (Pointer(pointee), *fn.params[:1], Pointer(pointee)))
    for flavour in (CLANG, RUSTC):
        typeid = "_ZTS" + encode_function_type(fn, flavour)
        decoded = decode(typeid, flavour=flavour.name)
        assert "_ZTS" + encode_function_type(decoded, flavour) == typeid
        if flavour is CLANG:
            assert decoded == without_origins(fn), typeid
