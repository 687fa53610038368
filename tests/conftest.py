"""Shared fixtures and markers: tests that need a compiler skip, saying why, where it is absent
(CI installs clang-19; rustc comes with the machine)."""

from __future__ import annotations

import pytest

from oracles import CLANG, RUSTC

needs_clang = pytest.mark.skipif(CLANG is None, reason="clang-19 not installed "
                                 "(apt-get install -y clang-19); CI installs it")
needs_rustc = pytest.mark.skipif(RUSTC is None, reason="rustc not installed")
