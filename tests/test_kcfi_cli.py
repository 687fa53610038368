"""The KCFI commands as a user meets them: kcfi-lookup, index build|stats, elf, flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cfi_typeid.hashes import kcfi_hash
from cfi_typeid.kcfi.index import write_declarations
from kcfi_objects import clang_object, defined_tags
from kcfi_records import c_declarations
from oracles import CLANG


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cfi_typeid", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("kcfi") / "k.db")
    write_declarations(path, c_declarations())
    return path


def test_lookup_json_shape(db: str) -> None:
    h = kcfi_hash("_ZTSFiilE")
    neg = (-h) & 0xFFFFFFFF
    out = run("kcfi-lookup", f"0x{h:08x}", f"movl $0x{neg:08x},%r10d", "0x12345678",
              "--index", db, "--json")
    assert out.returncode == 1, out.stderr  # one hash matched nothing
    data = json.loads(out.stdout)
    first = data["hashes"][0]
    assert first["hash"] == f"0x{h:08x}"
    assert {"name", "kind", "file", "line", "option_set", "hash_algorithm", "salt",
            "typeid"} <= set(first["matches"][0])
    assert {m["name"] for m in first["matches"]} == {"target", "st", "binop"}
    assert data["hashes"][1]["matches"] == first["matches"]
    assert "cfi=norand" in data["hashes"][2]["explanation"]


def test_lookup_dmesg_from_stdin(db: str) -> None:
    h = kcfi_hash("_ZTSFvlE")
    line = f"CFI failure at call2+0x1c/0x60 (target: target+0x0/0x40; expected type: 0x{h:08x})"
    out = run("kcfi-lookup", "-", "--index", db, stdin="noise\n" + line + "\n")
    assert out.returncode == 0, out.stderr
    assert "ext" in out.stdout and "_ZTSFvlE" in out.stdout
    assert "target target" in out.stdout  # the target's own id is shown


def test_errors_without_traceback(db: str) -> None:
    for args in (["kcfi-lookup", "0x1"], ["kcfi-lookup", "nonsense", "--index", db],
                 ["kcfi-lookup", "0x1", "--index", db + ".missing"],
                 ["elf", "/etc/hostname"], ["index", "stats", "/nonexistent.db"]):
        out = run(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr, (args, out.stderr)


def test_index_stats(db: str) -> None:
    out = run("index", "stats", db, "--json")
    stats = json.loads(out.stdout)
    assert stats["declarations"] == len(c_declarations()) and stats["schema_version"] == 1


def test_decode_points_to_kcfi_lookup() -> None:
    out = run("decode", "0x1e2c5b9c")
    assert out.returncode == 2 and "kcfi-lookup" in out.stderr


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
def test_elf_json_with_index(db: str) -> None:
    path, ir = clang_object("x86_64-linux-gnu", ("-fpatchable-function-entry=4,2",))
    out = run("elf", path, "--index", db, "--json")
    data = json.loads(out.stdout)
    assert set(data) >= {"objects", "functions", "call_sites", "typeid_symbols", "verdicts"}
    tags = {f["name"]: f for f in data["functions"]}
    assert {n: int(f["tag"], 16) for n, f in tags.items()} == defined_tags(ir)
    assert tags["target"]["offset"] == -6 and tags["target"]["arity"] is None
    assert "target" in {d["name"] for d in data["declarations"][tags["target"]["tag"]]}
    assert all(data["declarations"][c["expected"]] for c in data["call_sites"])
    assert {t["name"] for t in data["typeid_symbols"]} == {"__kcfi_typeid_ext",
                                                           "__kcfi_typeid_ext2"}
    text = run("elf", path, "--index", db)
    assert text.returncode == 0 and "tag 0x" in text.stdout and "= binop [plain]" in text.stdout


def test_flags() -> None:
    out = run("flags", "--c", "-fsanitize=kcfi -fpatchable-function-entry=16,16",
              "--rust=-Zsanitizer=kcfi")
    assert out.returncode == 1
    assert "DIFFER patchable-function-entry prefix: C 16, Rust 0" in out.stdout
    ok = run("flags", "--c=-fsanitize=kcfi", "--rust=-Csanitize=kcfi", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["comparisons"][0]["rows"]


def test_lookup_over_headers(tmp_path: Path) -> None:
    pytest.importorskip("cfi_typeid.sources.c_header")
    header = tmp_path / "h.h"
    header.write_text("int target(int a, long b);\nvoid ext(long);\n")
    out = run("kcfi-lookup", f"0x{kcfi_hash('_ZTSFvlE'):08x}", "--c", str(header), "--json")
    assert [m["name"] for m in json.loads(out.stdout)["hashes"][0]["matches"]
            if m["option_set"] == "plain"] == ["ext"]
