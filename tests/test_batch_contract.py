"""``batch`` is a contract: one valid JSON line out per line in, in order, whatever the bytes.

Each test names a class of input (any key of any JSON type, any byte sequence, any size), not
one input; issue 17 lists the inputs that used to end a batch with a traceback.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cfi_typeid.cli import batch
from cfi_typeid.cli.io import raw_lines

GOOD = '{"decl": "void f(long)"}'
PLAIN = "_ZTSFvlE"
KEYS = ("decl", "lang", "prelude", "target", "crate", "crates", "salt")
#: One value of every JSON type, and the strange ones: the reader must take each in each key.
VALUES = ("null", "0", "-1.5", "true", "false", "[]", "[1, [2]]", "{}", '{"a": {"b": 1}}',
          '""', '"x"', '"\\ud800"', '"\\u0000"')


def run(*args: str, stdin: bytes = b"", timeout: float = 120
        ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], input=stdin,
                          capture_output=True, timeout=timeout)


def outputs(stdout: bytes) -> list[Any]:
    """Each output line as JSON (strict: no NaN or Infinity), None for a blank one."""
    def strict(name: str) -> object:
        raise AssertionError(f"{name} in the output")
    assert stdout.endswith(b"\n") or not stdout
    return [json.loads(line, parse_constant=strict) if line else None
            for line in stdout.decode("ascii").split("\n")[:-1]]


def lines_of(data: bytes) -> list[Any]:
    out = io.StringIO()
    batch.run_batch(raw_lines(io.BytesIO(data)), out)
    return outputs(out.getvalue().encode())


def test_any_key_of_any_type_gives_one_line_each() -> None:
    lines = [f'{{"decl": "void f(long)", "{key}": {value}}}' if key != "decl"
             else f'{{"decl": {value}}}' for key in KEYS for value in VALUES]
    got = lines_of("\n".join(lines).encode() + b"\n")
    assert len(got) == len(lines)
    for line, out in zip(lines, got):
        assert isinstance(out, dict) and ("typeids" in out) != ("error" in out), line
        if "error" in out:
            assert isinstance(out["error"], dict) and out["error"]["message"], line


def test_wrong_types_name_the_key() -> None:
    got = lines_of(b'{"decl": null}\n{"decl": "void f(long)", "salt": [1]}\n'
                   b'{"decl": "void f(long)", "crates": {"core": 3}}\n')
    messages = [o["error"]["message"] for o in got]
    assert messages == ['"decl" must be a string, not null',
                        '"salt" must be a string or null, not an array',
                        '"crates" must be an object of strings']


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_an_error_of_their_line(number: str) -> None:
    got = lines_of(f'{{"decl": "void f(long)", "id": {number}}}\n{GOOD}\n'.encode())
    assert "not JSON" in got[0]["error"]["message"]
    assert got[1]["typeids"]["plain"] == PLAIN


def test_huge_integers_and_deep_nesting_are_errors_of_their_line() -> None:
    data = (b'{"decl": "void f(long)", "id": ' + b"7" * 5000 + b"}\n"
            + b"[" * 100_000 + b"\n" + b'{"decl": "void f(long)", "x": ' + b"{\"a\":" * 100_000
            + b"\n" + b'{"decl": "void f(long)", "x": ' + b"[" * 500 + b"]" * 500 + b"}\n"
            + GOOD.encode() + b"\n")
    got = lines_of(data)
    assert len(got) == 5
    assert "4,300 digits" in got[0]["error"]["message"]
    assert "error" in got[1] and "error" in got[2]
    assert got[3]["typeids"]["plain"] == got[4]["typeids"]["plain"] == PLAIN


@pytest.mark.parametrize("key, value", [
    ("salt", '"a\\ud800"'), ("decl", '"void f(long)\\udfff"'), ("prelude", '"\\ud800"'),
    ("crates", '{"core": "\\udc80"}'), ("crates", '{"\\udc80": "x"}'), ("crate", '"\\ud800"')])
def test_lone_surrogates_are_errors(key: str, value: str) -> None:
    line = f'{{"decl": "void f(long)", "{key}": {value}, "lang": "c"}}' if key != "decl" \
        else f'{{"decl": {value}}}'
    got = lines_of(line.encode() + b"\n")
    assert "not UTF-8 text: lone surrogate" in got[0]["error"]["message"]


def test_cfi_encoding_with_a_lone_surrogate_is_a_typed_error() -> None:
    import cfi_typeid
    prelude = '#[repr(transparent)] #[cfi_encoding = "\ud800"] pub struct A(i32);'
    with pytest.raises(cfi_typeid.CfiTypeidError):
        cfi_typeid.typeids("fn f(a: A)", lang="rust", prelude=prelude).to_json()
    item = {"decl": "fn f(a: A)", "lang": "rust",
            "prelude": prelude.replace("\ud800", "\\u{d800}")}
    got = lines_of(json.dumps(item).encode() + b"\n" + GOOD.encode())
    assert "error" in got[0] and "typeids" in got[1]


def test_lines_end_at_newline_only_and_a_bom_is_no_error() -> None:
    data = (b"\xef\xbb\xbf" + GOOD.encode() + b"\n" + b'{"decl": "void f(long)",\r"id": 1}\r\n'
            + b'{"decl": "void\rf(long)"}\n' + b"\xff\xfe\n\n" + GOOD.encode())
    got = lines_of(data)
    assert len(got) == 6
    assert got[0]["typeids"]["plain"] == PLAIN and got[1]["id"] == 1
    assert "error" in got[2]
    assert got[3]["error"]["message"] == "not UTF-8: byte 0xff at column 1"
    assert got[4] is None and got[5]["typeids"]["plain"] == PLAIN


def test_only_the_keys_batch_does_not_read_are_echoed() -> None:
    item = {"decl": "void f(T)", "prelude": "typedef long T;", "lang": "c", "id": 7,
            "meta": {"file": "x.h"}, "target": None, "salt": ""}
    got = lines_of(json.dumps(item).encode() + b"\n")[0]
    assert got is not None and list(got) == ["id", "meta", "typeids"]


def test_a_bad_prelude_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from cfi_typeid.c import frontend
    calls = []
    real = frontend.prelude_scope

    def counting(prelude: str, target: object) -> object:
        calls.append(prelude)
        return real(prelude, target)
    monkeypatch.setattr(frontend, "prelude_scope", counting)
    # (a bad declaration in a prelude is skipped, and only its users fail; a text that cannot
    # be read at all, such as one with an unterminated comment, fails as a whole)
    prelude = "typedef int T;\n" * 200 + "/* unterminated\n"
    lines = [json.dumps({"decl": f"void f{i}(T)", "prelude": prelude, "id": i}) for i in range(300)]
    start = time.process_time()
    got = lines_of("\n".join(lines).encode())
    assert time.process_time() - start < 5
    assert len(calls) == 1
    errors = [o["error"] for o in got]
    assert all(e == errors[0] for e in errors) and errors[0]["in"] == "prelude"
    assert errors[0]["line"] == 201


def test_a_declaration_over_the_limit_is_refused_before_parsing() -> None:
    from cfi_typeid.cli.limits import MAX_DECL_CHARS
    got = lines_of(json.dumps({"decl": "void f(" + "int, " * (MAX_DECL_CHARS // 5) + "int)",
                               "id": 1}).encode())
    assert got[0]["id"] == 1 and "more than the limit" in got[0]["error"]["message"]


def test_a_line_over_the_limit_is_skipped_not_read() -> None:
    data = b"x" * 50 + b"\nshort\n" + b"y" * 11
    assert list(raw_lines(io.BytesIO(data), limit=10)) == [50, b"short", 11]


def test_files_that_are_not_utf8_are_read_like_stdin(tmp_path: Path) -> None:
    data = GOOD.encode() + b"\n" + b'{"decl": "void \xff(long)"}\n' + GOOD.encode() + b"\n"
    (tmp_path / "in.jsonl").write_bytes(data)
    by_name, piped = run("batch", str(tmp_path / "in.jsonl")), run("batch", stdin=data)
    assert by_name.stdout == piped.stdout and b"Traceback" not in by_name.stderr
    got = outputs(by_name.stdout)
    assert "typeids" in got[0] and "error" in got[1] and "typeids" in got[2]
    (tmp_path / "ids").write_bytes(b"_ZTSFvlE\n\xff\n_ZTSFvE\n")
    decoded = outputs(run("decode", "--batch", str(tmp_path / "ids")).stdout)
    assert [("error" in d) for d in decoded] == [False, True, False]
    (tmp_path / "p.h").write_bytes(b"typedef long T; /* \xff */\n")
    for args in (["encode", "--prelude-file", str(tmp_path / "p.h"), "void f(T)"],
                 ["check", "--c-prelude-file", str(tmp_path / "p.h"), "--c", "void f(T)",
                  "--rust", 'extern "C" fn f(a: core::ffi::c_long)']):
        out = run(*args)
        assert b"Traceback" not in out.stderr and out.returncode in (0, 1, 2), args


def test_arguments_that_are_not_utf8_are_usage_errors() -> None:
    for args in (["encode", "--salt", "\udcff", "void f(long)"], ["encode", "void f(\udcfe)"]):
        out = subprocess.run([sys.executable, "-m", "cfi_typeid", *args], capture_output=True,
                             timeout=60)
        assert out.returncode == 2 and b"not UTF-8 text" in out.stderr


def test_check_with_no_option_set_is_a_usage_error() -> None:
    out = run("check", "--options", "", "--c", "void f(long)", "--rust",
              'extern "C" fn f(a: i64)')
    assert out.returncode == 2 and b"--options needs at least one" in out.stderr


def test_jobs_are_capped_at_the_cpu_count() -> None:
    out = run("batch", "-j", "100000", stdin=(GOOD + "\n").encode() * 3)
    assert out.returncode == 0 and len(outputs(out.stdout)) == 3
    assert b"capped at" in out.stderr


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_batch_leaves_whole_lines_and_no_workers(signum: int, tmp_path: Path
                                                         ) -> None:
    (tmp_path / "in.jsonl").write_bytes(b"".join(
        json.dumps({"decl": f"void f(struct s{i} *, long, int (*)(char))", "id": i}).encode()
        + b"\n" for i in range(40_000)))
    proc = subprocess.Popen([sys.executable, "-m", "cfi_typeid", "batch", "-j", "2",
                             str(tmp_path / "in.jsonl")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert stderr == b"" and proc.returncode == 128 + signum
    got = outputs(stdout)
    assert [o["id"] for o in got] == list(range(len(got)))
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, workers))


def test_workers_die_with_a_parent_killed_outright() -> None:
    if not Path("/proc/self/task").exists():
        pytest.skip("needs Linux /proc")
    proc = subprocess.Popen([sys.executable, "-m", "cfi_typeid", "batch", "-j", "2"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write((GOOD + "\n").encode())
    proc.stdin.flush()
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers and not any(map(_alive, workers))
    proc.stdin.close()
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()


def test_a_skipped_prelude_declaration_is_a_warning_of_the_lines_that_use_the_prelude() -> None:
    """A prelude is read as tolerantly as a header: a bad declaration costs only itself, and
    every answer under that prelude says which was skipped (a use of it is an error)."""
    prelude = "typedef int T;\nint bad(;\n"
    got = lines_of("\n".join([
        json.dumps({"decl": "void f(T)", "prelude": prelude, "id": 1}),
        json.dumps({"decl": "void g(long)", "id": 2})]).encode())
    assert got[0]["typeids"]["plain"] == "_ZTSFviE"
    assert got[0]["warnings"] == [
        "prelude:2:9: warning: skipped 'bad': unexpected ';'; expected ')', '...', a type, "
        "a type name or an identifier"]
    assert "warnings" not in got[1]


def test_encode_prints_the_prelude_warnings_on_stderr() -> None:
    done = subprocess.run([sys.executable, "-m", "cfi_typeid", "encode", "--prelude",
                           "typedef int T;\nint bad(;\n", "void f(T);"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "_ZTSFviE\n"
    assert done.stderr.startswith("prelude:2:9: warning: skipped 'bad'")
