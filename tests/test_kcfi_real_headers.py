"""The look-up over real headers: clang-19 compiles a unit that takes the address of every
function a header declares; the KCFI hash clang gives each is looked up among the header's
declarations (read by the C header reader), and that function must be among the answers.

``CFI_TYPEID_KCFI_HEADERS`` (colon-separated) names other headers to try: over Debian 12's
164 top-level ``/usr/include`` headers, 101 declare functions; clang emits a hash for 3,370
of their 3,384 functions (the rest are renamed with ``__asm__``), and all 3,370 are answered
with their function."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from cfi_typeid.kcfi.lookup import kcfi_lookup
from oracles import CLANG, kcfi_from_ir

c_header = pytest.importorskip("cfi_typeid.sources.c_header")

HEADERS = [h for h in os.environ.get("CFI_TYPEID_KCFI_HEADERS", "").split(":") if h] or [
    "/usr/include/zlib.h", "/usr/include/bzlib.h", "/usr/include/sqlite3.h",
    "/usr/include/png.h", "/usr/include/expat.h", "/usr/include/openssl/evp.h",
]


def _clang_hashes(header: str, names: list[str]) -> dict[str, int]:
    assert CLANG is not None
    table = ",\n".join(f"  (void *){n}" for n in names)
    source = f"#include <{header}>\nvoid *cfi_table[] = {{\n{table}\n}};\n"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.c"
        path.write_text(source)
        proc = subprocess.run([CLANG, "-fsanitize=kcfi", "-S", "-emit-llvm", "-O0", "-w",
                               str(path), "-o", "-"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[:3000]
    return kcfi_from_ir(proc.stdout)


@pytest.mark.skipif(CLANG is None, reason="clang-19 is not installed")
@pytest.mark.parametrize("header", [h for h in HEADERS if os.path.exists(h)])
def test_every_hash_clang_emits_is_answered_with_its_function(header: str) -> None:
    scan = c_header.read_c_files([header], cpp=True)
    functions = sorted({d.symbol for d in scan.declarations if d.kind == "function"
                        and d.symbol and Path(d.file).name == Path(header).name})
    if not functions:
        pytest.skip(f"{header} declares no function (types and macros only, or C++)")
    hashes = _clang_hashes(header, functions)
    found = [n for n in functions if n in hashes]
    answers = kcfi_lookup([hashes[n] for n in found], scan.declarations)
    wrong = [n for n, a in zip(found, answers) if n not in {m.name for m in a.matches}]
    print(f"{header}: {len(scan.declarations)} declarations, {len(functions)} functions, "
          f"{len(found)} hashes from clang, {len(found) - len(wrong)} answered with their "
          "function")
    assert not wrong, wrong[:10]
    # A function renamed with __asm__("...") (glibc's __REDIRECT: scanf is __isoc99_scanf)
    # appears in the IR under its label; every other one must be there.
    missing = [n for n in functions if n not in hashes]
    assert len(missing) <= len(functions) // 10, missing
