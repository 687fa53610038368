"""The code table shared by encoder and decoder is a bijection, and seq-ids count as Itanium's."""

from __future__ import annotations

from cfi_typeid.codes import C_INT_CODES, FIXED_INT_CODES, SCALAR_CODES, seq_id


def test_leaf_codes_are_a_bijection() -> None:
    codes = [*C_INT_CODES.values(), *SCALAR_CODES.values(), *FIXED_INT_CODES.values()]
    assert len(codes) == len(set(codes))


def test_seq_ids() -> None:
    assert [seq_id(i) for i in (0, 1, 2, 10, 36, 37, 38)] == [
        "S_", "S0_", "S1_", "S9_", "SZ_", "S10_", "S11_"]
