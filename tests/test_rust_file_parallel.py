"""rust-file's shared parsing: a large file's second half parsed in a forked process gives
the records, diagnostics and skip counts of the file parsed in one process, on bindgen's real
files and on a file with errors, modules, consts that are not read and items that fail."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest

from cfi_typeid.rust import file as rust_file
from cfi_typeid.sources import rust_file as reader
from cfi_typeid.sources.background import Forked

from rust_corpus import BINDGEN, HEADERS, bindgen

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

CRATES = {"core": "sgEmfK2I1SDT_", "std": "sjrHSEGnQ3la_", "alloc": "slNYArtu3iFW_"}

MIXED = '''\
pub const A: u32 = 3;
pub const BAD: u32 = { let x = 1; x };
#[repr(C)] pub struct P { pub x: [u8; A as usize], pub cb: Option<unsafe extern "C" fn(i32)> }
mod m { pub type T = extern "C" fn(*mut super::P) -> u8; pub fn f(a: T) {} }
extern "C" { pub fn g(p: *const P, n: usize) -> i32; pub fn broken(x: ) ; }
#[link_name = "\\u{1}h2"] extern "C" { pub fn h(t: m::T, s: &str); }
pub fn uses_missing(x: Missing) {}
impl P { fn method(&self) {} }
#[test] fn layout() { assert_eq!(1, 1); }
'''


class _Waiting(Forked[Any]):
    """A forked call whose value this process waits for: every shared item is taken from
    the other process, so the test does not depend on the machine's load."""

    def ready(self) -> bool:
        return True


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    monkeypatch.setattr(rust_file, "MIN_SHARED_CHARACTERS", 0)
    parsed_here = [0]
    real_parse = rust_file.FileReader.parse

    def counting(self: Any, *args: Any) -> Any:
        parsed_here[0] += 1
        return real_parse(self, *args)
    monkeypatch.setattr(rust_file.FileReader, "parse", counting)
    one = reader._scan(text, "x86_64-unknown-linux-gnu", "t.rs", "2021", "probe", CRATES, ())
    alone = parsed_here[0]
    wait: Callable[[Callable[[], Any]], Any] = lambda call: _Waiting(call, fork=True)
    monkeypatch.setattr(reader, "_elsewhere", lambda parallel: wait)
    shared = reader._scan(text, "x86_64-unknown-linux-gnu", "t.rs", "2021", "probe", CRATES,
                          (), True)
    return one, shared, parsed_here[0] - alone  # (items parsed here when shared)


def test_mixed_file_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    text = MIXED * 3
    (scan, report), (shared_scan, shared_report), _ = _both(text, monkeypatch)
    assert scan == shared_scan and scan.diagnostics and scan.declarations
    assert report == shared_report


@pytest.mark.skipif(str(rust_file.__file__).endswith(".so"),
                    reason="compiled (mypyc), FileReader calls its own parse directly: the "
                    "method cannot be replaced to count the calls")
def test_other_process_parses_the_second_half(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"extern \"C\" {{ pub fn f{i}(a: *mut u8, b: i64) -> u32; }}\n"
                   for i in range(40))
    (scan, _), (shared, _), here = _both(text, monkeypatch)
    assert scan == shared and len(scan.declarations) == 40
    assert 0 < here <= 23  # the last items were parsed in the other process only


@pytest.mark.skipif(BINDGEN is None, reason="needs bindgen")
@pytest.mark.parametrize("name", ["zlib", "stdio"])
def test_bindgen_files_alike(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                             ) -> None:
    if not Path("/usr/include", HEADERS[name]).exists():
        pytest.skip(f"needs {HEADERS[name]}")
    text = bindgen(HEADERS[name], tmp_path / f"{name}.rs").read_text()
    (scan, report), (shared, shared_report), _ = _both(text, monkeypatch)
    assert scan == shared and report == shared_report and scan.declarations
