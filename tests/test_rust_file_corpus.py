"""Real files, as they come: bindgen's bindings of system headers and the ``libc`` crate
expanded by rustc, read by ``scan_rust`` unedited; every foreign function must be answered and
get rustc's four ids.  CI reads zlib, stdio and all of libc (a few seconds);
``CFI_TYPEID_RUST_CORPUS=all`` adds bzlib, sqlite3, png and signal.

Run as a script for the per-file report: ``python tests/test_rust_file_corpus.py``."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from cfi_typeid.rust.crates import disambiguators_from_ir, standard_disambiguators
from cfi_typeid.sources.rust_file import _scan

from rust_corpus import (
    BINDGEN, HEADERS, LIBC_DIRS, RUSTC, bindgen, libc_expanded, pointer_truth, truth,
    v0_item_path,
)

ALL = os.environ.get("CFI_TYPEID_RUST_CORPUS") == "all"
IN_CI = ("zlib", "stdio")


def _header_available(name: str) -> bool:
    return Path("/usr/include", HEADERS[name]).exists()


def check_file(path: Path, crate: str, edition: str) -> dict[str, Any]:
    """Read ``path`` with ``scan_rust`` and compare with rustc: the report of one file."""
    text = path.read_text()
    start = time.perf_counter()
    ids, ir = truth(text, crate, edition)
    rustc_s = time.perf_counter() - start  # wall clock: rustc runs in a child process
    crates = dict(standard_disambiguators()[0])
    local = disambiguators_from_ir(ir).get(crate)
    if local:  # the local crate's, as plain rustc gives it (what a build's IR tells)
        crates[crate] = local
    start = time.process_time()
    scan, report = _scan(text, "x86_64-unknown-linux-gnu", path.name, edition, crate, crates,
                         ())
    ours_s = time.process_time() - start
    ours = {d.symbol: d for d in scan.declarations if d.kind == "function"}
    foreign = {k: v for k, v in ids.items() if not k.startswith(("cfi_typeid_refs", "_R"))}
    right = [s for s, v in foreign.items() if s in ours and v == [
        ours[s].typeids.plain, ours[s].typeids.generalized, ours[s].typeids.normalized,
        ours[s].typeids.normalized_generalized]]
    by_path = {(*filter(None, d.module.split("::")), d.name): d for d in scan.declarations
               if d.kind == "function" and d.symbol not in foreign}
    defined = {p: v for p, v in ((v0_item_path(k), v) for k, v in ids.items())
               if p is not None and p in by_path}
    defined_right = sum(v == [by_path[p].typeids.plain, by_path[p].typeids.generalized,
                              by_path[p].typeids.normalized,
                              by_path[p].typeids.normalized_generalized]
                        for p, v in defined.items())
    return {"file": path.name, "items": report.items, "declarations": len(scan.declarations),
            "rust functions": len(defined), "rust functions right": defined_right,
            "foreign functions": len(foreign), "answered": sum(s in ours for s in foreign),
            "right": len(right), "diagnostics": [str(d) for d in scan.diagnostics],
            "skipped": dict(report.skipped), "seconds": round(ours_s, 2),
            "rustc seconds": round(rustc_s, 2),
            "kinds": {k: sum(d.kind == k for d in scan.declarations)
                      for k in ("function", "type", "field")}}


def check_pointers(path: Path, crate: str, edition: str) -> tuple[int, int]:
    """Fn-pointer aliases and fields at the crate root (written as ``fn``/``Option<fn>``, or
    through an alias): (records checked, right) against the ids rustc tests a call
    through each with."""
    from cfi_typeid.rust.file import FileReader
    from cfi_typeid.rust.resolve import Env
    from cfi_typeid.rust.types import RAdt
    text = path.read_text()
    crates = dict(standard_disambiguators()[0])
    scan, _ = _scan(text, "x86_64-unknown-linux-gnu", path.name, edition, crate, crates, ())
    items = FileReader(text, path.name, crate).read()
    from cfi_typeid.rust.frontend import builtin_crates
    from cfi_typeid.rust.resolve import Resolver
    from cfi_typeid.targets import get_target
    resolver = Resolver(builtin_crates(get_target("x86_64-unknown-linux-gnu")),
                        get_target("x86_64-unknown-linux-gnu"), edition)
    syntax = {(c.kind, c.name): c for c in items.candidates if not c.module.path}
    records, calls = [], []
    for d in scan.declarations:
        c = syntax.get((d.kind, d.name))
        if d.kind == "function" or c is None:
            continue
        t = resolver.type(c.syntax, Env(c.module))
        calls.append((d.name, d.kind, isinstance(t, RAdt), len(d.function.params)))
        records.append(d)
    if not calls:
        return 0, 0
    answers = pointer_truth(text, crate, edition, calls)
    right = sum(a == {"plain": d.typeids.plain, "normalized": d.typeids.normalized,
                      "generalized": d.typeids.generalized,
                      "normalized_generalized": d.typeids.normalized_generalized}
                for a, d in zip(answers, records))
    return len(records), right


#: Bindings with no fn-pointer alias or field (bindgen's stdio.rs): nothing to check there.
_NO_FN_POINTERS = frozenset({"stdio"})


@pytest.mark.skipif(RUSTC is None or BINDGEN is None, reason="needs rustc and bindgen")
@pytest.mark.parametrize("name", [n for n in HEADERS if ALL or n in ("zlib", "signal")])
def test_bindgen_pointer_types_and_fields(name: str, tmp_path: Path) -> None:
    if not _header_available(name):
        pytest.skip(f"/usr/include/{HEADERS[name]} is not installed")
    checked, right = check_pointers(bindgen(HEADERS[name], tmp_path / f"{name}.rs"), "probe",
                                    "2021")
    assert right == checked, (checked, right)
    assert (checked == 0) == (name in _NO_FN_POINTERS), (name, checked)


def _assert_all_right(result: dict[str, Any]) -> None:
    assert result["rust functions right"] == result["rust functions"], result
    assert result["foreign functions"] > 0
    assert result["answered"] == result["foreign functions"], result
    assert result["right"] == result["foreign functions"], result


@pytest.mark.skipif(RUSTC is None or BINDGEN is None, reason="needs rustc and bindgen")
@pytest.mark.parametrize("name", [n for n in HEADERS if ALL or n in IN_CI])
def test_bindgen_file(name: str, tmp_path: Path) -> None:
    if not _header_available(name):
        pytest.skip(f"/usr/include/{HEADERS[name]} is not installed")
    result = check_file(bindgen(HEADERS[name], tmp_path / f"{name}.rs"), "probe", "2021")
    _assert_all_right(result)
    assert not result["diagnostics"], result["diagnostics"]


@pytest.mark.skipif(RUSTC is None or not LIBC_DIRS, reason="needs rustc and librust-libc-dev")
def test_libc_expanded(tmp_path: Path) -> None:
    result = check_file(libc_expanded(LIBC_DIRS[-1], tmp_path), "libc", "2015")
    _assert_all_right(result)
    assert not result["diagnostics"], result["diagnostics"]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        files = [(bindgen(h, work / f"{n}.rs"), "probe", "2021")
                 for n, h in HEADERS.items() if _header_available(n)]
        if LIBC_DIRS:
            files.append((libc_expanded(LIBC_DIRS[-1], work), "libc", "2015"))
        for path, crate, edition in files:
            r = check_file(path, crate, edition)
            print(f"{r['file']}: {r['items']} items, {r['declarations']} declarations "
                  f"{r['kinds']}, {r['foreign functions']} foreign functions, "
                  f"{r['answered']} answered, {r['right']} right, "
                  f"{len(r['diagnostics'])} diagnostics, skipped {r['skipped']}, "
                  f"{r['seconds']} s CPU (rustc {r['rustc seconds']} s wall); "
                  f"Rust functions rustc defines: {r['rust functions']}, "
                  f"{r['rust functions right']} right")
            if crate == "probe":
                checked, right = check_pointers(path, crate, edition)
                print(f"    fn-pointer aliases and fields: {checked} checked, {right} right")


if __name__ == "__main__":
    main()
