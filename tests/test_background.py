"""sources.background: a call run in a thread gives its value, or raises its error, in the
caller's thread, each time it is asked."""

from __future__ import annotations

import pytest

from cfi_typeid.errors import UsageError
from cfi_typeid.sources.background import Background


def test_value_and_error() -> None:
    asked = Background(lambda: {"core": "s1_"})
    assert asked.result() == {"core": "s1_"} and asked.result() is asked.result()

    def fails() -> None:
        raise UsageError("no rustc")
    failed = Background(fails)
    for _ in range(2):
        with pytest.raises(UsageError, match="no rustc"):
            failed.result()
