"""The probed crate disambiguators check-bindings uses are cached per compiler version and
crate name: the cached answer is the probe's, and a second call does not run the probe."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfi_typeid.errors import UsageError
from cfi_typeid.rust import crates
from conftest import needs_rustc


@needs_rustc
def test_cached_probe_is_the_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = crates.cached_probe_disambiguators("probe")
    assert first == crates.probe_disambiguators("probe")
    assert list((tmp_path / "cfi_typeid").glob("probe-*.json"))

    def no_probe(*args: object) -> dict[str, str]:
        raise AssertionError("probed again")
    monkeypatch.setattr(crates, "probe_disambiguators", no_probe)
    assert crates.cached_probe_disambiguators("probe") == first
    with pytest.raises(AssertionError):  # another crate name is another probe
        crates.cached_probe_disambiguators("other")


def test_bad_crate_name_is_refused_before_probing() -> None:
    with pytest.raises(UsageError):
        crates.cached_probe_disambiguators("not a name", rustc="/bin/true")
