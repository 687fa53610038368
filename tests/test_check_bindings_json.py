"""check-bindings' --json document is written by its own indenting writer (the json module's
indented encoder is pure Python): the same text as ``json.dumps(doc, indent=2)`` for any
document, and json.dumps itself for what the writer does not take."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from cfi_typeid.cli.check_bindings import dumps_indented

_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_DOCS = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.tuples(inner, inner)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=30)


@given(_DOCS)
@settings(max_examples=400, deadline=None)
def test_same_text_as_json_dumps(doc: object) -> None:
    assert dumps_indented(doc) == json.dumps(doc, indent=2)


def test_what_it_does_not_take_goes_to_json_dumps() -> None:
    for doc in ({1: "int key"}, [math.nan, math.inf], {"a": [-math.inf]}):
        assert dumps_indented(doc) == json.dumps(doc, indent=2)
