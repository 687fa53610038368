"""sources.background: a call run in a thread gives its value, or raises its error, in the
caller's thread, each time it is asked; a call run in a forked process gives the value it
would give here, and its error is raised here as if it had run here."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from cfi_typeid.crosscheck import files
from cfi_typeid.errors import UsageError
from cfi_typeid.sources.background import Background, Forked
from cfi_typeid.sources.c_header import scan_c
from cfi_typeid.sources.rust_file import scan_rust


def test_value_and_error() -> None:
    asked = Background(lambda: {"core": "s1_"})
    assert asked.result() == {"core": "s1_"} and asked.result() is asked.result()

    def fails() -> None:
        raise UsageError("no rustc")
    failed = Background(fails)
    for _ in range(2):
        with pytest.raises(UsageError, match="no rustc"):
            failed.result()


# ---- Forked: a call in a forked process, or here when there is no spare CPU ---------------

def _scan_like() -> dict[str, object]:
    return {"declarations": (1, "two", (3.0, None)), "pid": os.getpid()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_value_comes_from_the_child() -> None:
    value = Forked(_scan_like, fork=True).result()
    assert value["declarations"] == (1, "two", (3.0, None)) and value["pid"] != os.getpid()


def test_without_a_spare_cpu_the_call_runs_here() -> None:
    value = Forked(_scan_like, fork=False).result()
    assert value["pid"] == os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_failing_child_is_run_again_here_for_its_error(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """... silently: the error is the answer, nothing fell back."""
    calls: list[int] = []

    def fails() -> None:
        calls.append(os.getpid())  # (the child's append is not seen here)
        raise UsageError("cannot read x.h")
    forked = Forked(fails, fork=True)
    with pytest.raises(UsageError, match="cannot read x.h"):
        forked.result()
    assert calls == [os.getpid()]
    assert forked.fell_back == "" and capsys.readouterr().err == ""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_value_that_does_not_pickle_is_made_here_and_said(capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    """The fallback that once hid a defect (a compiled class that did not unpickle) is
    said, not silent: the value is right, only slower."""
    def pid() -> int:
        return os.getpid()
    forked = Forked(lambda: pid, fork=True)
    made = forked.result()
    assert made() == os.getpid() and forked.fell_back == "its value did not pickle"
    assert capsys.readouterr().err == ("warning: work done in a second process was done "
                                       "again here, which is slower: its value did not pickle\n")


class _NoLoad:
    """Pickles, but does not load again (as the compiled ``TypeIds`` once did)."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (_refuse, ())


def _refuse() -> None:
    raise TypeError("frozen")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_value_that_does_not_load_is_made_here_and_said(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    parent = os.getpid()
    forked = Forked(lambda: [_NoLoad()] if os.getpid() != parent else "here", fork=True)
    assert forked.result() == "here"
    assert forked.fell_back == "its value did not load (TypeError: frozen)"
    assert "its value did not load" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("reader", ["c", "rust"])
def test_real_scans_come_back_from_the_child(reader: str) -> None:
    """What the whole-file commands send across really comes back: no silent second read."""
    if reader == "c":
        forked = Forked(lambda: scan_c("typedef int (*cb)(void *, long);\nint f(int, cb);\n"),
                        fork=True)
    else:
        forked = Forked(lambda: scan_rust('extern "C" { pub fn f(a: i32) -> i32; }\n'),
                        fork=True)
    assert forked.result().declarations and forked.fell_back == ""


def test_records_come_back_from_a_child_as_they_went() -> None:
    """What a forked reader sends back loads again (else the parent silently reads it all
    again: the compiled build's ``TypeIds`` did not unpickle, so check-bindings read its C
    side twice there)."""
    c = scan_c("typedef int (*cb)(void *, long);\nint f(int, const char *, cb);\n"
               "struct s { void (*m)(short); };\n")
    rust = scan_rust('extern "C" { pub fn f(a: i32, b: *const u8) -> i32; }\n'
                     "pub type cb = unsafe extern \"C\" fn(x: i64) -> u8;\n")
    for scan in (c, rust):
        assert scan.declarations
        assert pickle.loads(pickle.dumps(scan, pickle.HIGHEST_PROTOCOL)) == scan


def test_check_bindings_alike_forked_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    """check-bindings reads the C side in a forked process when there is a spare CPU: the
    report is the one read in one process."""
    h, rs = tmp_path / "a.h", tmp_path / "a.rs"
    h.write_text("typedef int (*cb)(void *, long);\nint f(int, const char *);\n"
                 "long g(cb, unsigned char);\nstruct s { void (*m)(short); };\n")
    rs.write_text('pub type cb = ::std::option::Option<unsafe extern "C" fn('
                  'arg1: *mut ::std::os::raw::c_void, arg2: ::std::os::raw::c_long) -> '
                  '::std::os::raw::c_int>;\n#[repr(C)] pub struct s { pub m: '
                  'unsafe extern "C" fn(arg1: i16) }\n'
                  'extern "C" { pub fn f(a: i32, b: *const ::std::os::raw::c_char) -> i32;\n'
                  '    pub fn g(a: cb, b: u8) -> i64; }\n')
    crates = {"core": "sgEmfK2I1SDT_", "std": "sjrHSEGnQ3la_", "alloc": "slNYArtu3iFW_"}
    reports = []
    for spare in (True, False):
        monkeypatch.setattr(files, "spare_cpu", lambda spare=spare: spare)
        reports.append(files.check_bindings([str(h)], [str(rs)], crates=crates).to_json())
    assert reports[0] == reports[1] and reports[0]["pairs"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_patterns_compiled_in_a_child_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """A child leaves by ``os._exit`` (no exit handlers): what it compiled is written to the
    regular expressions' cache all the same, so the next run compiles nothing."""
    from cfi_typeid import regex_code
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("CFI_TYPEID_PARSER_NO_CACHE", raising=False)
    cache = regex_code.RegexCache("child-test")
    assert Forked(lambda: cache.compile(r"(?P<a>x+)y").pattern, fork=True).result() == "(?P<a>x+)y"
    again = regex_code.RegexCache("child-test")
    assert again.compile("z").pattern == "z" and again.stored is not None
    assert (r"(?P<a>x+)y", 0) in again.stored
