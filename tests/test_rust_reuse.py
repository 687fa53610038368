"""What the Rust front end reuses between declarations (resolved parameter types per crate
root, lowered types per target and crate map) must never change an answer or an error."""

from __future__ import annotations

import pytest

from cfi_typeid import api
from cfi_typeid.errors import ParseError

PRELUDE = "#[repr(transparent)] pub struct S(u8);\npub struct Nz;"


def plain(decl: str, prelude: str = PRELUDE) -> str:
    return api.typeid(decl, lang="rust", prelude=prelude, crates={"probe": "sXXId2UFtzX_"})


def test_a_declarations_own_items_are_not_shadowed_by_reuse() -> None:
    assert plain('extern "C" fn f1(a: S)') == "_ZTSFvu2u8E"
    # the same parameter text, but the declaration defines its own S
    assert plain('#[repr(transparent)] struct S(u16); extern "C" fn f2(a: S)') == "_ZTSFvu3u16E"
    assert plain('extern "C" fn f3(a: S)') == "_ZTSFvu2u8E"


def test_reused_types_keep_their_answers_across_positions() -> None:
    first = plain('extern "C" fn g1(a: *const [S; 2], b: &u8) -> S')
    again = plain('extern "C" fn g2(x: u16, a: *const [S; 2], b: &u8) -> S')
    assert first.replace("Fu2u8", "Fu2u8u3u16", 1) == again


def test_zero_sized_parameters_are_left_out_when_reused() -> None:
    assert plain("fn h1(a: Nz, b: u8)") == plain("fn h2(b: u8, a: Nz)") == "_ZTSFvu2u8E"


@pytest.mark.parametrize("decl,column", [
    ("fn e1(a: S, b: Nope)", 16),
    ("fn e2(a: S, b: u8, c: Nope)", 23),
    ("fn e3(a: Nope)", 10),
])
def test_errors_after_reused_types_keep_their_positions(decl: str, column: int) -> None:
    plain("fn warm(a: S, b: u8)")
    with pytest.raises(ParseError) as e:
        plain(decl)
    assert f"input:1:{column}:" in str(e.value)
    assert "cannot find type 'Nope'" in str(e.value)
