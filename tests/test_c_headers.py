"""Real headers of this machine, whole, against clang-19 (issue 12).

Each header is preprocessed twice, by ``gcc -E -P`` (no line markers) and by ``clang-19 -E``
(line markers), and read by :func:`cfi_typeid.sources.c_header.scan_c` as it comes.  The truth
is clang-19 compiling the same text with every function's address taken (the functions are
the ones clang's own AST lists), and with a probe for every function-pointer typedef, member
and variable we report (``extern __typeof__(*((struct tag *)0)->member) probe;`` declares a
function of exactly the type checked at a call through the member), built with
``-fsanitize=cfi-icall -flto -fvisibility=hidden`` and read from the ``!type`` metadata (plain
and ``.generalized``; ``.normalized`` ones with
``-fsanitize-cfi-icall-experimental-normalize-integers``).

The bar: every function clang emits an id for is answered, and all four ids are right.

The one fix-up, applied to the text both sides read: glibc's gcc-only ``__malloc__ (fclose,
1)`` attribute arguments are dropped from ``gcc -E`` output (clang refuses them).  And for
clang alone, gcc's ``_FloatN`` keywords in ``gcc -E`` output are declared as glibc declares
them for clang (``typedef __float128 _Float128;`` ...): we know them already.

CI runs a handful of headers; ``CFI_TYPEID_HEADERS=all`` runs all twenty (a few minutes), and
``python tests/test_c_headers.py`` prints the per-file table.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from oracles import CLANG, ids_from_ir  # noqa: E402

c_header = pytest.importorskip("cfi_typeid.sources.c_header")
from cfi_typeid.c.render import render_c_type  # noqa: E402
from cfi_typeid.c.syntax import blank_noise, split_file  # noqa: E402

GCC = shutil.which("gcc")
PYTHON_INCLUDE = "/usr/include/python3.11"
ALL_HEADERS = ["stdio.h", "stdlib.h", "string.h", "signal.h", "pthread.h", "unistd.h",
               "time.h", "math.h", "wchar.h", "fcntl.h", "dlfcn.h", "zlib.h", "bzlib.h",
               "sqlite3.h", "png.h", "expat.h", "curses.h", "openssl/evp.h", "openssl/ssl.h",
               "Python.h"]
CI_HEADERS = ["stdio.h", "signal.h", "math.h", "zlib.h", "pthread.h"]
HEADERS = ALL_HEADERS if os.environ.get("CFI_TYPEID_HEADERS") == "all" else CI_HEADERS
PREPROCESSORS = ["gcc -E -P", "clang-19 -E"]

_MALLOC_ARGS = re.compile(r"__malloc__\s*\(\s*[A-Za-z_]\w*\s*,\s*\d+\s*\)")
_FLOATN_FOR_CLANG = ("typedef float _Float32; typedef double _Float64; typedef double "
                     "_Float32x; typedef long double _Float64x; typedef __float128 _Float128;\n")


def _installed(header: str) -> bool:
    return any(Path(d, header).exists() for d in ("/usr/include", PYTHON_INCLUDE))


@lru_cache(maxsize=None)
def preprocessed(header: str, preprocessor: str) -> str:
    """The header as ``preprocessor`` gives it, with the one fix-up (see the docstring)."""
    command = (["gcc", "-E", "-P"] if preprocessor.startswith("gcc")
               else [CLANG or "clang-19", "-E"])
    done = subprocess.run([*command, f"-I{PYTHON_INCLUDE}", "-x", "c", "-"],
                          input=f"#include <{header}>\n", capture_output=True, text=True,
                          check=True)
    return _MALLOC_ARGS.sub("__malloc__", done.stdout)


def clang_functions(text: str, target: str = "x86_64-unknown-linux-gnu") -> set[str]:
    """The functions clang's AST of ``text`` declares at file scope (implicit builtins left
    out, and those whose every declaration has a ``pass_object_size`` parameter, whose
    address cannot be taken: the kernel's fortified ``strlen``...)."""
    return _ast_functions(text, target)[0]


@lru_cache(maxsize=8)
def _ast_functions(text: str, target: str) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`clang_functions`, and the functions declared only in a block (the kernel's
    ``extern void __compiletime_assert_95(void)`` in an inline function's body: clang gives
    them ids as the body calls them; no file-scope reader sees them)."""
    assert CLANG is not None
    done = subprocess.run([CLANG, "-target", target, "-fsyntax-only", "-Xclang", "-ast-dump",
                           "-fno-color-diagnostics", "-w", "-x", "c", "-"], input=text,
                          capture_output=True, text=True)
    names: set[str] = set()  # with a declaration whose address can be taken
    declared: set[str] = set()
    in_blocks: set[str] = set()
    name, addressable = None, False
    decl = re.compile(r" (?:col|line):[\d:]+(?: used| referenced)* ([A-Za-z_$][\w$]*) '")
    for line in [*done.stdout.splitlines(), "|-"]:
        if line[1:2] == "-":  # a file-scope declaration
            if name is not None and addressable:
                names.add(name)
            name = None
            if line[1:].startswith("-FunctionDecl") and " implicit " not in line:
                m = decl.search(line)
                if m:
                    name, addressable = m.group(1), True
                    declared.add(name)
        elif "-FunctionDecl " in line:
            m = decl.search(line)
            if m:
                in_blocks.add(m.group(1))
        elif name is not None and "-PassObjectSizeAttr " in line:
            addressable = False
    return frozenset(names), frozenset(in_blocks - declared)


def _probe(record: object, index: int, text: str) -> str:
    """A declaration of a function whose type is the one checked through ``record``."""
    kind, name, c = record.kind, record.name, record.text  # type: ignore[attr-defined]
    probe = f"__cfi_probe{index}"
    if kind == "typedef":
        is_function = c == render_c_type(record.function)  # type: ignore[attr-defined]
        return f"extern {name} {probe};" if is_function else \
            f"extern __typeof__(*({name})0) {probe};"
    if kind == "variable":
        return f"extern __typeof__(*{name}) {probe};"
    tag, path = name.split(".", 1)
    unions, structs = _tags(text)
    spec = f"union {tag}" if tag in unions else f"struct {tag}" if tag in structs else tag
    return f"extern __typeof__(*((({spec} *)0)->{path})) {probe};"


@lru_cache(maxsize=4)
def _tags(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The names ``text`` writes after ``union`` and after ``struct`` (found once: a search
    per member probe read a kernel unit's 4 MB hundreds of times)."""
    found: dict[str, set[str]] = {"union": set(), "struct": set()}
    for m in re.finditer(r"\b(union|struct)\s+(\w+)\b", text):
        found[m.group(1)].add(m.group(2))
    return frozenset(found["union"]), frozenset(found["struct"])


class Result(NamedTuple):
    declarations: int  # top-level declarations in the text
    clang_functions: int  # functions clang emits ids for
    functions: int  # functions we answer
    right_functions: int
    others: int  # typedefs, members, variables we answer
    others_checked: int
    right_others: int
    skipped: collections.Counter[str]
    wrong: list[str]


def _compile(source: str, normalize: bool, target: str) -> tuple[str | None, str]:
    assert CLANG is not None
    flags = ["-target", target, "-fsanitize=cfi-icall", "-flto", "-fvisibility=hidden"]
    if normalize:
        flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
    done = subprocess.run([CLANG, *flags, "-S", "-emit-llvm", "-O0", "-w", "-x", "c", "-",
                           "-o", "-"], input=source, capture_output=True, text=True)
    return (done.stdout if done.returncode == 0 else None), done.stderr


def check_header(header: str, preprocessor: str) -> Result:
    text = preprocessed(header, preprocessor)
    prefix = _FLOATN_FOR_CLANG if preprocessor.startswith("gcc") else ""
    return check_text(text, header, prefix=prefix)


def check_text(text: str, filename: str = "<input>", *, prefix: str = "",
               target: str = "x86_64-unknown-linux-gnu") -> Result:
    """``text`` read by scan_c against clang-19 compiling it (after ``prefix``, which only
    clang reads) for ``target``."""
    scan = c_header.scan_c(text, filename=filename, target=target)
    names = clang_functions(prefix + text, target)
    others = [d for d in scan.declarations if d.kind != "function"]
    body = prefix + text
    header = filename
    table = "\nvoid *__cfi_tab[] = {" + "".join(f"(void*)&{n}," for n in sorted(names))
    probes = {i: _probe(d, i, text) for i, d in enumerate(others)}
    for _ in range(4):  # drop the probes clang cannot compile (a member we misnamed)
        source = body + '\n#line 1 "__probes__"\n' + "\n".join(probes.values()) + table + "".join(
            f"(void*)&__cfi_probe{i}," for i in probes) + "};\n"
        ir, errors = _compile(source, False, target)
        if ir is not None:
            break
        lines = {int(n) - 1 for n in re.findall(r"__probes__:(\d+):\d+: error", errors)}
        bad = {list(probes)[k] for k in lines if 0 <= k < len(probes)}
        if not bad:
            raise AssertionError(f"clang-19 refused {header}:\n{errors[:3000]}")
        probes = {i: p for i, p in probes.items() if i not in bad}
    assert ir is not None, f"clang-19 refused the probes of {header}"
    normalized, errors = _compile(source, True, target)
    assert normalized is not None, errors[:3000]
    plain_ids, norm_ids = ids_from_ir(ir), ids_from_ir(normalized)
    # IR functions are named by symbol: an __asm__ label names another (glibc's
    # `stat` is linked as `stat64`), and when two C functions share one symbol, clang's one
    # IR function has the type of the first declared
    ours: dict[str, object] = {}
    for d in scan.declarations:
        if d.kind == "function":
            ours.setdefault(d.symbol, d)
    wrong: list[str] = []

    def agrees(name: str, d: object) -> bool | None:
        expected = set(plain_ids.get(name, ())) | set(norm_ids.get(name, ()))
        if not expected:
            return None
        ids = d.typeids  # type: ignore[attr-defined]
        got = {ids.plain, ids.generalized, ids.normalized, ids.normalized_generalized}
        if got != expected:
            wrong.append(f"{name}: clang {sorted(expected)}, ours {sorted(got)} "
                         f"({d.text})")  # type: ignore[attr-defined]
        return got == expected

    # every IR function with ids (named by symbol: with asm labels, glibc's `fscanf` is
    # `__isoc99_fscanf`), but the probes and functions declared only in a body
    in_blocks = _ast_functions(prefix + text, target)[1]
    emitted = [n for n, ids in plain_ids.items() if ids and not n.startswith("__cfi_probe")
               and n not in in_blocks]
    right = 0
    for name in emitted:
        d = ours.get(name)
        if d is None:
            wrong.append(f"{name}: clang gives {plain_ids[name]}, we give nothing")
        elif agrees(name, d):
            right += 1
    checked = right_others = 0
    for i in probes:
        verdict = agrees(f"__cfi_probe{i}", others[i])
        checked += verdict is not None
        right_others += bool(verdict)
    skipped = collections.Counter(_reason(d.message) for d in scan.diagnostics)
    work, spans = split_file(blank_noise(text, refused=[]))
    declarations = sum(1 for sp in spans if work[sp.start:sp.end].strip(" \t\n\r\f\v;"))
    return Result(declarations, len(emitted), len(ours), right, len(others), checked,
                  right_others, skipped, wrong)


def _reason(message: str) -> str:
    return re.sub(r"'[^']*'", "'...'", message.split("\n")[0])[:90]


needs = pytest.mark.skipif(CLANG is None or GCC is None, reason="needs clang-19 and gcc")


@needs
@pytest.mark.parametrize("preprocessor", PREPROCESSORS)
@pytest.mark.parametrize("header", HEADERS)
def test_every_function_clang_emits_is_answered_and_right(header: str,
                                                          preprocessor: str) -> None:
    if not _installed(header):
        pytest.skip(f"{header} is not installed (its -dev package)")
    result = check_header(header, preprocessor)
    assert not result.wrong, "\n".join(result.wrong[:20])
    assert result.right_functions == result.clang_functions
    assert result.right_others == result.others_checked


def main() -> None:
    print("| header | preprocessor | declarations | functions clang emits ids for | answered "
          "| right | typedef/member/variable (checked, right) | skipped |")
    print("|---|---|---|---|---|---|---|---|")
    for header in ALL_HEADERS:
        if not _installed(header):
            continue
        for pp in PREPROCESSORS:
            r = check_header(header, pp)
            skipped = "; ".join(f"{n}x {why}" for why, n in r.skipped.most_common()) or "0"
            print(f"| {header} | {pp} | {r.declarations} | {r.clang_functions} | {r.functions} | "
                  f"{r.right_functions} | {r.others} ({r.others_checked}, {r.right_others}) "
                  f"| {skipped} |", flush=True)
            for w in r.wrong[:5]:
                print("   WRONG", w)


if __name__ == "__main__":
    main()
