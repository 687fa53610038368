"""Peak memory of long C declarations, a small multiple of the input (issue 17), measured at
three sizes: a long parameter list answered, refused for its meaning (``int int`` at the end,
found by the rule methods) and refused for its syntax.  The refusals once cost ~150 bytes a
character: the declaration was parsed again into a Lark tree to look for a syntax error
after the meaning error; a long one is now checked by parsers that keep no tree."""

from __future__ import annotations

import json
import tracemalloc
from typing import Callable

import pytest

from cfi_typeid.cli.batch import process_line

SIZES = (1000, 3000, 9000)
#: Bytes of peak memory per character of the declaration, at most (measured: 2 to 12).
BOUND = 32


def _params(n: int, salt: str) -> str:
    return ", ".join(f"int {salt}{i}" for i in range(n))


FAMILIES: dict[str, Callable[[str], str]] = {
    "answered": lambda params: f"void f({params})",
    "meaning error at the end": lambda params: f"void f({params}, int int)",
    "meaning error first, syntax error at the end": lambda params: f"void f(int int, {params} int)",
    "syntax error at the end": lambda params: f"void f({params} int)",
    "unknown type name at the end": lambda params: f"void f({params}, foo_t)",
    "unterminated": lambda params: f"void f({params}",
}


def _peak_per_character(line: str, size: int) -> float:
    tracemalloc.start()
    try:
        process_line(line)
        return tracemalloc.get_traced_memory()[1] / size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", list(FAMILIES))
def test_long_parameter_lists_take_memory_a_small_multiple_of_their_size(name: str) -> None:
    for make in FAMILIES.values():  # (the parsers are built before: once a process)
        process_line(json.dumps({"decl": make(_params(600, "w"))}))
    per_character = []
    for n in SIZES:
        decl = FAMILIES[name](_params(n, f"p{n}_"))  # (a new text each time: no memo)
        per_character.append(_peak_per_character(json.dumps({"decl": decl}), len(decl)))
    shown = ", ".join(f"n={n}: {b:.1f} B/char" for n, b in zip(SIZES, per_character))
    assert max(per_character) <= BOUND, shown
    assert per_character[-1] <= 2 * per_character[0] + 4, f"grows with the size: {shown}"


def test_a_long_declaration_gets_the_error_a_tree_parse_gives() -> None:
    """The parsers without a tree report what the tree parse reports, at the same place."""
    from cfi_typeid.c import frontend
    params = _params(2000, "q")
    lines = [json.dumps({"decl": make(params)}) for make in FAMILIES.values()]
    fast = [process_line(line) for line in lines]
    long = frontend._LONG
    frontend._LONG = 10**12  # every declaration the old way
    try:
        # (a blank first: another text, so no answer remembered from above)
        old = [process_line(line.replace('"decl": "', '"decl": " ')) for line in lines]
    finally:
        frontend._LONG = long
    for new, before in zip(fast, old):
        if "error" in before:
            assert new["error"]["message"] == before["error"]["message"]
            assert new["error"]["column"] == before["error"]["column"] - 1
        else:
            assert new == before
