"""The cases of rustc's own CFI type-id tests (``tests/rustc_suite.py``), compiled with the
rustc installed here: per test file, how many cases, how many this tool answers, and every
answer equal to rustc's in all four ids; the refused ones refused for the reason recorded.
Prints the per-file table (``pytest -s``)."""

from __future__ import annotations

import re

import pytest

from cfi_typeid import api
from cfi_typeid.errors import CfiTypeidError
from cfi_typeid.rust.crates import disambiguators_from_ir
from conftest import needs_rustc
from cfi_typeid.hashes import kcfi_hash
from oracles import ids_from_ir, kcfi_from_ir, rustc_ir
from rustc_suite import (CFI_DYN_CALL_ASKS, CFI_DYN_CALLERS, CFI_DYN_OWN, DIFFERENT,
                         DROP_IN_PLACE_ITEMS, KCFI_BUNDLE_SOURCE, KCFI_BUNDLE_TARGETS,
                         KCFI_DYN_EQUIVALENT,
                         KCFI_DYN_CALLS, KCFI_SUITE, REFUSED,
                         REFUSED_MESSAGES, SUITE,
                         TRAIT_GENERIC, TRAIT_ITEMS)

pytestmark = [needs_rustc, pytest.mark.rustc]

HEAD = "#![allow(warnings)]\n#![feature(cfi_encoding, extern_types, f16, f128)]\n"


def _source(prelude: str, cases: list[str]) -> str:
    body = []
    for case in cases:
        if case in REFUSED:
            continue
        if case.startswith("trait"):  # the prelude declares the trait; asked for through dyn
            continue
        if case.startswith("impl"):
            body.append(case)
        else:
            body.append(f"{case} {{ loop {{}} }}")
    uses = "".join(f"pub static USE_{inst.split('::')[0]}: fn({sig.split('(', 1)[1].split(')')[0].replace('<T>', '<i32>')}) = "
                   f"{inst};\n" for sig, inst in TRAIT_GENERIC.items() if sig in cases)
    return HEAD + prelude + "\n".join(body) + "\n" + uses


def _theirs(ids: dict[str, list[str]], case: str) -> list[str]:
    if case.startswith(("impl", "trait")):  # the impl's method: NtB2_<trait><method> (v0)
        trait = re.search(r"(?:impl|trait) (\w+)", case).group(1)  # type: ignore[union-attr]
        method = re.findall(r"fn (\w+)", case)[-1]
        return next(v for k, v in ids.items()
                    if f"{len(trait)}{trait}{len(method)}{method}" in k)
    name = re.search(r"fn (\w+)", case).group(1)  # type: ignore[union-attr]
    return next(v for k, v in ids.items()
                if re.search(rf"(?<![0-9]){len(name)}{name}(?![0-9])", k) and "USE_" not in k)


@pytest.mark.parametrize("file", list(SUITE))
def test_rustc_suite_file(file: str) -> None:
    prelude, cases = SUITE[file]
    ir = rustc_ir(_source(prelude, cases), extra=["-Clink-dead-code"])
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    answered = matched = differ = 0
    wrong = []
    for case in cases:
        decl = case
        for sig, inst in TRAIT_GENERIC.items():
            if case == sig:
                decl = f"{sig} {{}} {inst}"
        try:
            got = api.typeids(decl, lang="rust", prelude=HEAD + prelude, crates=crates)
        except CfiTypeidError as e:
            assert case in REFUSED, (case, str(e))
            assert REFUSED_MESSAGES.get(case, "") in str(e), (case, str(e))
            continue
        assert case not in REFUSED, case
        answered += 1
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        theirs = _theirs(ids, case)
        if set(ours) <= set(theirs) and ours[0] == theirs[0] or (
                case.startswith("impl") and set(ours) <= set(theirs)):
            matched += 1
            assert case not in DIFFERENT, f"now equal to rustc's: {case}"
        elif case in DIFFERENT:  # a recorded encoding difference (expected to fail)
            differ += 1
        else:
            wrong.append(f"{case}\n  rustc {theirs}\n  ours  {ours}")
    print(f"\n{file}: {len(cases)} cases, {answered} answered, {matched} equal to rustc's"
          + (f", {differ} known different" if differ else ""))
    assert not wrong, "\n".join(wrong)


_BUNDLE = re.compile(r'"kcfi"\(i32 (-?\d+)\)')


@pytest.mark.parametrize("file", list(KCFI_SUITE))
def test_rustc_kcfi_file(file: str) -> None:
    """Each case's ``!kcfi_type`` hash, and every ``"kcfi"`` operand bundle of the crate (the
    call sites through ``fn`` pointers), is the hash of the id this tool gives for the file's
    flags."""
    prelude, cases, normalize, generalize = KCFI_SUITE[file]
    extra = ["-Clink-dead-code"] + (["-Zsanitizer-cfi-generalize-pointers"] if generalize else [])
    if not normalize:
        extra.append("-Cunsafe-allow-abi-mismatch=sanitizer")
    src = HEAD + prelude + "".join(f"#[inline(never)] {c} {{ loop {{}} }}\n" for c in cases)
    # foo/bar/baz call their pointer, so that the IR carries the call sites' bundles
    src = src.replace("arg: i32) -> i32 { loop {} }", "arg: i32) -> i32 { f(arg) }")
    src = src.replace("arg2: i32) -> i32 { loop {} }", "arg2: i32) -> i32 { f(arg1, arg2) }")
    src = src.replace("arg3: i32) -> i32 { loop {} }",
                      "arg3: i32) -> i32 { f(arg1, arg2, arg3) }")
    ir = rustc_ir(src, kcfi=True, normalize=normalize, extra=extra)
    hashes, crates = kcfi_from_ir(ir), disambiguators_from_ir(ir)
    ours_all, wrong = set(), []
    for case in cases:
        got = api.typeids(case, lang="rust", prelude=HEAD + prelude, crates=crates)
        ours = kcfi_hash(got.select(normalize_integers=normalize, generalize_pointers=generalize))
        ours_all.add(ours)
        name = re.search(r"fn (\w+)", case).group(1)  # type: ignore[union-attr]
        theirs = next(v for k, v in hashes.items() if f"{len(name)}{name}" in k)
        if ours != theirs:
            wrong.append(f"{case}: rustc {theirs:#010x}, ours {ours:#010x}")
    bundles = {int(b) & 0xFFFFFFFF for b in _BUNDLE.findall(ir)}
    assert bundles, "no kcfi operand bundle in the IR"
    print(f"\n{file}: {len(cases)} cases, {len(cases)} answered, {len(cases) - len(wrong)} "
          f"equal to rustc's; {len(bundles & ours_all)} of {len(bundles)} call-site bundles")
    assert not wrong, "\n".join(wrong)
    assert bundles <= ours_all, sorted(hex(b) for b in bundles - ours_all)


def test_rustc_drop_in_place() -> None:
    """The drop glue rustc makes for a ``dyn Send`` vtable (drop-in-place file) carries the id
    of ``fn(*mut dyn Drop)`` on rustc 1.95 (the file's pattern, ``U3mutu3refI..E`` for
    ``&mut dyn Drop``, is a later rustc's); this tool gives that id for that signature, and
    the ``&mut dyn Drop`` one for ``fn(&mut dyn Drop)`` (core's path needs core's
    disambiguator, read from the IR)."""
    cases = ["pub fn probe_raw(_: *mut dyn core::ops::Drop)",
             "pub fn probe_ref(_: &mut dyn core::ops::Drop)"]
    ir = rustc_ir(HEAD + DROP_IN_PLACE_ITEMS + "".join(f"{c} {{ loop {{}} }}\n" for c in cases),
                  extra=["-Clink-dead-code"])
    ids, crates = ids_from_ir(ir), disambiguators_from_ir(ir)
    glue = [v for k, v in ids.items() if "drop_in_place" in k and "PresentDrop" in k]
    assert glue, "no drop glue for PresentDrop in the IR"
    firsts = []
    for case in cases:
        got = api.typeids(case, lang="rust", prelude=HEAD + DROP_IN_PLACE_ITEMS, crates=crates)
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        name = re.search(r"fn (\w+)", case).group(1)  # type: ignore[union-attr]
        theirs = next(v for k, v in ids.items() if f"{len(name)}{name}" in k)
        assert ours[0] == theirs[0] and set(ours) <= set(theirs), (case, theirs, ours)
        firsts.append(ours)
    assert set(glue[0]) == set(firsts[0]), (glue, firsts[0])
    print("\ncfi/emit-type-metadata-id-itanium-cxx-abi-drop-in-place.rs: 2 cases (+ the glue), "
          "2 answered, 2 equal to rustc's; the glue's ids are fn(*mut dyn Drop)'s")


def test_rustc_kcfi_trait_objects() -> None:
    """kcfi/emit-type-metadata-trait-objects.rs: the ``"kcfi"`` bundle of each call through a
    trait object is the hash of the trait method's id through ``dyn``; the traits with
    generics or associated types through ``dyn`` are refused (their values only an impl
    gives)."""
    callers = list(KCFI_DYN_CALLS.values())
    src = HEAD + TRAIT_ITEMS + "\n".join(callers) + "\n"
    ir = rustc_ir(src, kcfi=True, normalize=False,
                  extra=["-Clink-dead-code", "-Cunsafe-allow-abi-mismatch=sanitizer"])
    # KCFI IR carries hashes only: the crates' disambiguators come from the CFI build
    crates = disambiguators_from_ir(rustc_ir(src, extra=["-Clink-dead-code"]))
    answered = matched = 0
    for case, caller in KCFI_DYN_CALLS.items():
        name = re.search(r"fn (\w+)", caller).group(1)  # type: ignore[union-attr]
        body = re.search(rf"^define[^\n]*{len(name)}{name}[^\n]*\n(.*?)^}}", ir, re.M | re.S)
        assert body, name
        bundles = {int(b) & 0xFFFFFFFF for b in _BUNDLE.findall(body.group(1))}
        written = 0
        try:
            got = api.typeids(case, lang="rust", prelude=HEAD + TRAIT_ITEMS, crates=crates)
        except CfiTypeidError as e:
            assert case in REFUSED and REFUSED_MESSAGES[case] in str(e), (case, str(e))
            # the same call's id, asked with the trait object after the block
            got = api.typeids(KCFI_DYN_EQUIVALENT[case], lang="rust",
                              prelude=HEAD + TRAIT_ITEMS, crates=crates)
            written = 1
        assert (case in REFUSED) == bool(written), case
        answered += 1 - written
        assert bundles == {kcfi_hash(got.plain)}, (case, sorted(map(hex, bundles)), got.plain)
        matched += 1
    print(f"\nkcfi/emit-type-metadata-trait-objects.rs: {len(KCFI_DYN_CALLS)} cases, "
          f"{answered} answered as trait blocks, {matched - answered} more as trait blocks "
          f"followed by their trait object; {matched} equal to rustc's")


_TYPE_TEST = re.compile(r'llvm\.type\.test\(ptr %\w+, metadata !"([^"]+)"')


def test_rustc_cfi_trait_objects() -> None:
    """cfi/emit-type-metadata-trait-objects.rs: the ``llvm.type.test`` of each call through a
    trait object (foo1..foo5, bar1..bar5) is this tool's id for the trait's method through
    ``dyn`` (rustc normalizes integers here, so the ``.normalized`` ids are compared), and
    the fooN have rustc's ids."""
    src = HEAD + TRAIT_ITEMS + CFI_DYN_CALLERS
    ir = rustc_ir(src, lto=False, extra=["-Clinker-plugin-lto", "-Clink-dead-code"])
    crates = disambiguators_from_ir(ir)
    tests = {}
    for m in re.finditer(r'^define[^\n]*?@"?(\w+)"?\(.*?\n(.*?)^}', ir, re.M | re.S):
        name = re.search(r"\d(foo\d|bar\d)", m.group(1))
        found = _TYPE_TEST.findall(m.group(2))
        if name and found:
            tests[name.group(1)] = set(found)
    matched = 0
    for caller, ask in CFI_DYN_CALL_ASKS.items():
        got = api.typeids(ask, lang="rust", prelude=HEAD + TRAIT_ITEMS, crates=crates)
        assert tests.get(caller) == {got.normalized}, (caller, tests.get(caller), got)
        matched += 1
    ids = ids_from_ir(rustc_ir(src, extra=["-Clink-dead-code"]))
    for name, ask in CFI_DYN_OWN.items():
        theirs = next(v for k, v in ids.items() if f"4{name}" in k)
        got = api.typeids(ask, lang="rust", prelude=HEAD + TRAIT_ITEMS, crates=crates)
        ours = [got.plain, got.generalized, got.normalized, got.normalized_generalized]
        assert ours == theirs, (name, ours, theirs)
        matched += 1
    cases = len(CFI_DYN_CALL_ASKS) + len(CFI_DYN_OWN)
    print(f"\ncfi/emit-type-metadata-trait-objects.rs: {cases} cases ({len(CFI_DYN_CALL_ASKS)} "
          f"call sites, {len(CFI_DYN_OWN)} functions), {matched} answered, {matched} equal to "
          "rustc's")


@pytest.mark.parametrize("target", KCFI_BUNDLE_TARGETS)
def test_rustc_kcfi_operand_bundle(target: str) -> None:
    """kcfi/emit-kcfi-operand-bundle.rs on its targets: ``foo``'s ``!kcfi_type`` and the
    ``"kcfi"`` bundle of its call through ``fn(i32) -> i32``."""
    ir = rustc_ir(KCFI_BUNDLE_SOURCE, target=target, kcfi=True, normalize=False,
                  extra=["-Cunsafe-allow-abi-mismatch=sanitizer"])
    hashes = kcfi_from_ir(ir)
    own = next(v for k, v in hashes.items() if k.endswith("3foo"))
    ours = api.typeids("pub fn foo(f: fn(i32) -> i32, arg: i32) -> i32", lang="rust",
                       target=target, crates={"probe": "x"})
    assert own == kcfi_hash(ours.plain), (hex(own), ours.plain)
    bundles = {int(b) & 0xFFFFFFFF for b in _BUNDLE.findall(ir)}
    pointer = api.typeids("fn(i32) -> i32", lang="rust", target=target)
    assert bundles == {kcfi_hash(pointer.plain)}, (sorted(map(hex, bundles)), pointer.plain)
    print(f"\nkcfi/emit-kcfi-operand-bundle.rs ({target}): 2 cases (foo's hash, its call-site "
          "bundle), 2 answered, 2 equal to rustc's")
