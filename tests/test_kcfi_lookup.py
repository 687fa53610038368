"""kcfi_lookup: hashes in every spelling, back to their declarations, against clang's IR."""

from __future__ import annotations

import pytest

import cfi_typeid
from cfi_typeid.api import typeids
from cfi_typeid.errors import UsageError
from cfi_typeid.hashes import fnv1a32, kcfi_hash
from cfi_typeid.kcfi.lookup import kcfi_lookup, parse_hashes, with_salt
from kcfi_objects import call_hashes, clang_object, defined_tags
from kcfi_records import c_declarations, declaration
from oracles import CLANG

DMESG = ("[   12.345678] CFI failure at foo+0x1c/0x60 (target: bar+0x0/0x40; "
         "expected type: 0x1e2c5b9c)")


def test_spellings() -> None:
    got = parse_hashes(["0x1e2c5b9c", "-1109213240", "3185754056", "movl $0xe1d3a464,%r10d",
                        DMESG, "41 ba 64 a4 d3 e1  movl    $0xe1d3a464, %r10d",
                        "mov r10d, 0xe1d3a464"])
    assert [h.value for h in got] == [0x1E2C5B9C, 0xBDE2BFC8, 0xBDE2BFC8, 0x1E2C5B9C,
                                      0x1E2C5B9C, 0x1E2C5B9C, 0x1E2C5B9C]
    assert [h.form for h in got] == ["hex", "decimal", "decimal", "call-site", "dmesg",
                                     "call-site", "call-site"]
    assert (got[4].caller, got[4].target) == ("foo", "bar")
    two = parse_hashes([DMESG + "\n" + DMESG.replace("1e2c5b9c", "bde2bfc8") + "\nnoise"],
                       lenient=True)
    assert [h.value for h in two] == [0x1E2C5B9C, 0xBDE2BFC8]
    with pytest.raises(UsageError, match="not a KCFI hash"):
        parse_hashes(["_ZTSFvlE"])
    with pytest.raises(UsageError):
        parse_hashes(["99999999999"])


def test_salt_is_placed_as_the_compilers_place_it() -> None:
    ids = typeids("void f(long *)")
    salted = typeids("void f(long *)", salt="s1")
    for attr in ("plain", "generalized", "normalized", "normalized_generalized"):
        assert with_salt(getattr(ids, attr), "s1") == getattr(salted, attr)


def test_every_option_set_algorithm_and_salt() -> None:
    decls = [declaration("f", "void f(long)"), declaration("g", "void g(long *)"),
             declaration("cb", "void (*cb)(long)", kind="member", symbol="")]
    ids = typeids("void f(long)")
    answers = kcfi_lookup([kcfi_hash(ids.plain), "0x04a70834",
                           fnv1a32(ids.generalized), kcfi_hash(with_salt(ids.plain, "k")),
                           0x12345678], decls, salts=("", "k"))
    first = {(m.name, m.option_set, m.hash_algorithm, m.salt) for m in answers[0].matches}
    assert first == {("f", "plain", "xxhash64", ""), ("cb", "plain", "xxhash64", "")}
    assert {m.option_set for m in answers[1].matches} == {"normalized"}
    assert {(m.option_set, m.hash_algorithm) for m in answers[2].matches} == {
        ("generalized", "fnv1a")}
    assert {m.salt for m in answers[3].matches} == {"k"}
    assert answers[4].matches == () and "cfi=norand" in answers[4].explanation
    assert answers[0].matches[0].typeid == "_ZTSFvlE"


def test_public_name_and_dmesg_target() -> None:
    decls = [declaration("caller_type", "void caller_type(long)"),
             declaration("bar", "int bar(int)")]
    line = DMESG.replace("0x1e2c5b9c", f"0x{kcfi_hash('_ZTSFvlE'):08x}")
    (answer,) = cfi_typeid.kcfi_lookup([line], decls)
    assert [m.name for m in answer.matches] == ["caller_type"]
    assert {m.typeid for m in answer.target_matches} == {"_ZTSFiiE"}
    assert answer.to_json()["target_declarations"][0]["hash"] == f"0x{kcfi_hash('_ZTSFiiE'):08x}"


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
@pytest.mark.parametrize("target", ["x86_64-linux-gnu", "aarch64-linux-gnu"])
def test_every_hash_clang_emits_finds_its_function(target: str) -> None:
    triple = {"x86_64-linux-gnu": "x86_64-unknown-linux-gnu",
              "aarch64-linux-gnu": "aarch64-unknown-linux-gnu"}[target]
    _, ir = clang_object(target)
    decls = c_declarations(triple)
    tags = {**defined_tags(ir)}
    answers = kcfi_lookup(list(tags.values()), decls)
    for (name, _), answer in zip(tags.items(), answers):
        assert name in {m.name for m in answer.matches if m.option_set == "plain"}
    for answer in kcfi_lookup(sorted(call_hashes(ir)), decls):
        assert answer.matches  # every call site's type is among the prototypes
