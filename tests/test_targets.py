"""``cfi_typeid/targets.py`` against clang-19 itself: data-model sizes, char signedness and
optional types from clang's predefined macros (``clang-19 -target T -dM -E -x c -``), the types
clang accepts from test compiles, and every predefined typedef compared by type id with the type
clang's macro names (``typedef size_t`` is right when ``void f(size_t)`` gets the id clang gives
``void f(__SIZE_TYPE__)``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

import cfi_typeid
from cfi_typeid.api import parse_function, typeids_of
from cfi_typeid.flavours import CLANG as CLANG_FLAVOUR
from cfi_typeid.errors import UsageError
from cfi_typeid.targets import ALIASES, DEFAULT_TARGET, TARGETS, get_target

from conftest import needs_clang, needs_rustc
from oracles import CLANG, RUSTC, clang_ir, ids_from_ir, kcfi_from_ir
from strategies import CLANG_MACROS

TRIPLES = tuple(TARGETS)

#: Typedef → what clang (or, where clang has no macro, glibc) says it is.
CLANG_SPELLINGS = {
    **CLANG_MACROS,
    # glibc: __ssize_t is __SWORD_TYPE (long on 64-bit, int on 32-bit; mingw-w64's is
    # long long on 64-bit Windows: the signed integer of pointer size); __off_t is long;
    # __pid_t int; __uid_t and __gid_t unsigned int
    "ssize_t": "__INTPTR_TYPE__", "off_t": "long", "pid_t": "int", "uid_t": "unsigned int",
    "gid_t": "unsigned int",
}
GLIBC_PRELUDE = ""


@lru_cache(maxsize=None)
def macros(triple: str) -> dict[str, str]:
    assert CLANG is not None
    out = subprocess.run([CLANG, "-target", TARGETS[triple].clang_triple, "-dM", "-E", "-x", "c", "-"], input="",
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return dict(re.findall(r"^#define (\w+) ?(.*)$", out, re.M))


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("triple", TRIPLES)
def test_data_model_matches_clang_macros(triple: str) -> None:
    m, t = macros(triple), TARGETS[triple]
    assert t.pointer_bits == 8 * int(m["__SIZEOF_POINTER__"])
    assert t.long_bits == 8 * int(m["__SIZEOF_LONG__"])
    assert t.char_signed == ("__CHAR_UNSIGNED__" not in m)
    assert t.has_int128 == ("__SIZEOF_INT128__" in m)
    # (mingw-w64's clang takes __float128 without defining __FLOAT128__)
    assert t.has_float128 == ("__FLOAT128__" in m or t.os == "windows" and t.env == "gnu")
    assert t.has_float16 == ("__FLT16_MAX__" in m)
    assert t.half_args == ("__ARM_FP16_ARGS" in m)
    assert t.max_bitint == int(m["__BITINT_MAXWIDTH__"])


@lru_cache(maxsize=None)
def accepts(triple: str) -> dict[str, bool]:
    """Which probe files clang-19 compiles for ``triple`` (one clang run, many files)."""
    t = TARGETS[triple]
    probes = {
        "int128": "__int128 x;", "float128": "__float128 x;", "float16": "_Float16 x;",
        "bf16": "__bf16 *x;", "half_args": "void f(__fp16);",
        "max_bitint": f"_BitInt({t.max_bitint}) *x;",
        "max_bitint+1": f"_BitInt({t.max_bitint + 1}) *x;",
    }
    assert CLANG is not None
    with tempfile.TemporaryDirectory() as d:
        files = {name: f"probe{i}.c" for i, name in enumerate(probes)}
        for name, file in files.items():
            (Path(d) / file).write_text(probes[name] + "\n")
        proc = subprocess.run([CLANG, "-target", t.clang_triple, "-fsyntax-only", "-w", "-std=gnu17",
                               *files.values()], cwd=d, capture_output=True, text=True,
                              timeout=120)
        ok = {name: not re.search(rf"^{re.escape(file)}:\d+:\d+: error", proc.stderr, re.M)
              for name, file in files.items()}
        return ok


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("triple", TRIPLES)
def test_optional_types_match_what_clang_accepts(triple: str) -> None:
    t, ok = TARGETS[triple], accepts(triple)
    assert ok == {"int128": t.has_int128, "float128": t.has_float128,
                  "float16": t.has_float16, "bf16": t.has_bf16, "half_args": t.half_args,
                  "max_bitint": True, "max_bitint+1": False}


@pytest.mark.parametrize("triple", TRIPLES)
def test_every_typedef_has_a_clang_spelling(triple: str) -> None:
    """A new row in a typedef table must come with the clang macro that checks it."""
    assert set(TARGETS[triple].typedefs) <= set(CLANG_SPELLINGS)


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("normalize", [False, True], ids=["plain", "normalized"])
@pytest.mark.parametrize("triple", TRIPLES)
def test_typedefs_match_clang(triple: str, normalize: bool) -> None:
    """By type id; by KCFI hash where clang has no ``-fsanitize=cfi-icall`` (bare-metal Arm)
    or mangles the Microsoft way (``*-msvc``: the test then compares with the same target's
    GNU environment, whose C ABI and types are the same)."""
    target = TARGETS[triple]
    clang_triple = target.clang_triple.replace("-msvc", "-gnu")
    kcfi = target.arch == "arm" and target.os == "none"
    names = sorted(target.typedefs)
    source = GLIBC_PRELUDE + "".join(
        f"void f_{n}({CLANG_SPELLINGS[n]}, {CLANG_SPELLINGS[n]} *);\n" for n in names)
    if kcfi:
        source += "".join(f"void f_{n}({CLANG_SPELLINGS[n]} a, {CLANG_SPELLINGS[n]} *b) {{}}\n"
                          for n in names)
    source += "void *tab[] = {" + ", ".join(f"(void *)f_{n}" for n in names) + "};\n"
    ir = clang_ir(source, clang_triple, normalize=normalize, kcfi=kcfi)
    theirs = ({k: [f"0x{v:08x}"] for k, v in kcfi_from_ir(ir).items()} if kcfi
              else ids_from_ir(ir))
    wrong = []
    for n in names:
        # (on *-msvc clang's ids are not Itanium: our model of the typedef, encoded Itanium,
        # is compared with the gnu environment's id)
        ids = typeids_of(parse_function(f"void f({n}, {n} *)", target=triple), CLANG_FLAVOUR,
                         target)
        if kcfi:
            mine = [ids.to_json()["kcfi_normalized" if normalize else "kcfi"]]
        else:
            mine = [ids.normalized, ids.normalized_generalized] if normalize \
                else [ids.plain, ids.generalized]
        if sorted(mine) != sorted(theirs[f"f_{n}"]):
            wrong.append(f"{n}: ours {mine}, clang ({CLANG_SPELLINGS[n]}) {theirs[f'f_{n}']}")
    assert not wrong, "\n".join(wrong)


def test_short_names_and_unknown_targets() -> None:
    assert get_target("aarch64") is TARGETS["aarch64-unknown-linux-gnu"]
    assert get_target(DEFAULT_TARGET).triple == "x86_64-unknown-linux-gnu"
    with pytest.raises(UsageError, match="unknown target 'sparc'"):
        get_target("sparc")


@pytest.mark.parametrize("triple", TRIPLES)
def test_predefined_typedefs_read_as_a_parse_reads_them(triple: str) -> None:
    """The target scope is built from the typedefs' keywords without the parser (start-up
    time): it must hold exactly what parsing ``typedef <spelling> <name>;`` gives."""
    from cfi_typeid.c import frontend as c_frontend
    from cfi_typeid.c.scope import Scope

    target = get_target(triple)
    typedefs = c_frontend.predefined_typedefs(target)
    parsed = Scope(target, what="test")
    text = "".join(f"typedef {spelling} {name};" for name, spelling in typedefs.items())
    c_frontend._run_declarations(parsed, text, c_frontend._nonblank_spans(text))
    assert dict(c_frontend._target_scope(target).typedefs) == dict(parsed.typedefs)


#: rustc's name of a target the table knows by clang's.
RUSTC_NAMES = {clang: rustc for rustc, clang in ALIASES.items()}


@lru_cache(maxsize=None)
def rustc_spec(triple: str) -> dict[str, object]:
    assert RUSTC is not None
    out = subprocess.run([RUSTC, "-Zunstable-options", "--print", "target-spec-json",
                          "--target", RUSTC_NAMES.get(triple, triple)], capture_output=True,
                         text=True, timeout=120, check=True,
                         env=dict(os.environ, RUSTC_BOOTSTRAP="1")).stdout
    spec: dict[str, object] = json.loads(out)
    return spec


@needs_rustc
@pytest.mark.rustc
@pytest.mark.parametrize("triple", TRIPLES)
def test_target_matches_rustcs_spec(triple: str) -> None:
    """Pointer width, C int width, arch/os/env (what the ABI table keys on), the triple clang
    is given (rustc's ``llvm-target``) and the CFI sanitizers rustc's built-in spec has."""
    spec, t = rustc_spec(triple), TARGETS[triple]
    assert int(str(spec["target-pointer-width"])) == t.pointer_bits
    assert int(str(spec.get("target-c-int-width", 32))) == 32
    assert (spec["arch"], spec.get("os", "none"), spec.get("env", "")) == (t.arch, t.os, t.env)
    assert spec["llvm-target"] == t.clang_triple
    sanitizers = set(spec.get("supported-sanitizers", []))  # type: ignore[call-overload]
    assert sanitizers & {"cfi", "kcfi"} == t.rustc_sanitizers


def test_every_rustc_cfi_target_is_in_the_table() -> None:
    """The targets whose built-in spec has cfi or kcfi, as ``rustc --print target-list``
    and ``--print target-spec-json`` gave them for rustc 1.95 (the test above checks each
    row's sanitizers against rustc itself)."""
    assert {t.triple for t in TARGETS.values() if t.rustc_sanitizers} == RUSTC_CFI_TARGETS


RUSTC_CFI_TARGETS = {
    "aarch64-apple-darwin", "aarch64-linux-android", "aarch64-unknown-freebsd",
    "aarch64-unknown-fuchsia", "aarch64-unknown-illumos", "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl", "aarch64-unknown-linux-ohos", "aarch64-unknown-none",
    "aarch64-unknown-none-softfloat", "aarch64-unknown-nuttx", "aarch64_be-unknown-linux-musl",
    "aarch64_be-unknown-none-softfloat", "aarch64v8r-unknown-none",
    "aarch64v8r-unknown-none-softfloat", "arm64e-apple-darwin", "loongarch64-unknown-linux-gnu",
    "loongarch64-unknown-linux-musl", "loongarch64-unknown-linux-ohos", "x86_64-apple-darwin",
    "x86_64-lynx-lynxos178", "x86_64-pc-solaris", "x86_64-unknown-freebsd",
    "x86_64-unknown-fuchsia", "x86_64-unknown-illumos", "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl", "x86_64-unknown-linux-ohos", "x86_64-unknown-netbsd",
    "x86_64-unknown-none", "x86_64h-apple-darwin",
}


@needs_rustc
@pytest.mark.rustc
def test_rustc_cfi_target_list_is_current() -> None:
    """Every target of ``rustc --print target-list`` with cfi or kcfi is in the table
    (one rustc run per target: a few seconds)."""
    assert RUSTC is not None
    names = subprocess.run([RUSTC, "--print", "target-list"], capture_output=True, text=True,
                           check=True, timeout=120).stdout.split()
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    found = set()
    for name in names:
        proc = subprocess.run([RUSTC, "-Zunstable-options", "--print", "target-spec-json",
                               "--target", name], capture_output=True, text=True, env=env,
                              timeout=120)
        if proc.returncode == 0 and {"cfi", "kcfi"} & set(
                json.loads(proc.stdout).get("supported-sanitizers", [])):
            found.add(name)
    assert found == RUSTC_CFI_TARGETS
