"""The command line as a user meets it: output, exit status, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_encode_prints_the_id() -> None:
    out = run("encode", "void f(long);")
    assert out.returncode == 0 and out.stdout == "_ZTSFvlE\n"


def test_encode_kcfi_hex_and_signed_decimal() -> None:
    out = run("encode", "--kcfi", "void f(long)")
    assert out.stdout.split() == ["0xbde2bfc8", "-1109213240"]


def test_encode_json_has_six_fields() -> None:
    data = json.loads(run("encode", "--json", "void f(long)").stdout)
    assert set(data) == {"plain", "generalized", "normalized", "normalized_generalized",
                         "kcfi", "kcfi_normalized"}


def test_bad_declaration_positioned_error_no_traceback() -> None:
    out = run("encode", "void f(int, foo)")
    assert out.returncode == 2
    assert "input:1:13: error: unknown type name 'foo'" in out.stderr
    assert out.stderr.splitlines()[-1].strip() == "^"
    assert "Traceback" not in out.stderr


def test_unknown_target_is_a_usage_error() -> None:
    out = run("encode", "--target", "sparc", "void f(void)")
    assert out.returncode == 2 and "unknown target 'sparc'" in out.stderr
    assert "Traceback" not in out.stderr


def test_batch_keeps_order_and_survives_bad_lines() -> None:
    lines = ['{"decl": "void f(long)", "tag": 1}', "not json", '{"decl": "int x"}', "",
             '[1, 2]', '{"decl": 3}', '{"decl": "void g(size_t)", "target": "i686"}']
    out = run("batch", stdin="\n".join(lines) + "\n")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    got = out.stdout.split("\n")[:-1]
    assert len(got) == len(lines)
    first = json.loads(got[0])
    assert first["tag"] == 1 and first["typeids"]["plain"] == "_ZTSFvlE"
    assert json.loads(got[1])["error"]["message"].startswith("not JSON")
    assert json.loads(got[2])["error"]["column"] == 5
    assert got[3] == ""
    assert "error" in json.loads(got[4]) and "error" in json.loads(got[5])
    assert json.loads(got[6])["typeids"]["plain"] == "_ZTSFvjE"


def test_batch_with_workers_gives_the_same_output() -> None:
    """``--jobs``: the lines are shared among worker processes (in chunks larger than one),
    and the output is what one process writes, line for line, bad lines included."""
    lines = [f'{{"decl": "void f{i}(long, int *, struct s{i % 7} *)", "prelude": "struct s{i % 7};"}}'
             for i in range(600)]
    lines[10], lines[300], lines[599] = "not json", "", '{"decl": "void f(unknown_t)"}'
    stdin = "\n".join(lines) + "\n"
    one, two = run("batch", stdin=stdin), run("batch", "--jobs", "2", stdin=stdin)
    assert one.returncode == two.returncode == 1 and "Traceback" not in two.stderr
    assert one.stdout == two.stdout and len(two.stdout.split("\n")) == len(lines) + 1
    assert run("batch", "--jobs", "-1", stdin=stdin).returncode == 2


def test_help_explains_pointer_to_function() -> None:
    out = run("encode", "--help")
    assert out.returncode == 0 and "pointer to a function" in out.stdout.replace("\n", " ")
