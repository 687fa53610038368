"""Shared fixtures and markers: tests that need a compiler skip, saying why, where it is absent
(CI installs clang-19; rustc comes with the machine)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from oracles import CLANG, RUSTC

# In CI (CI=true) property tests draw the same examples on every run, so a landing never
# hinges on luck; run locally, they explore new ones each time (and keep failures in
# .hypothesis/ to replay them).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

needs_clang = pytest.mark.skipif(CLANG is None, reason="clang-19 not installed "
                                 "(apt-get install -y clang-19); CI installs it")
needs_rustc = pytest.mark.skipif(RUSTC is None, reason="rustc not installed")
