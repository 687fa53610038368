"""``cfi_typeid/targets.py`` against clang-19 itself: data-model sizes, char signedness and
optional types from clang's predefined macros (``clang-19 -target T -dM -E -x c -``), the types
clang accepts from test compiles, and every predefined typedef compared by type id with the type
clang's macro names (``typedef size_t`` is right when ``void f(size_t)`` gets the id clang gives
``void f(__SIZE_TYPE__)``).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

import cfi_typeid
from cfi_typeid.errors import UsageError
from cfi_typeid.targets import DEFAULT_TARGET, TARGETS, get_target

from conftest import needs_clang
from oracles import CLANG, clang_ir, ids_from_ir
from strategies import CLANG_MACROS

TRIPLES = tuple(TARGETS)

#: Typedef → what clang (or, where clang has no macro, glibc) says it is.
CLANG_SPELLINGS = {
    **CLANG_MACROS,
    # glibc: __ssize_t is __SWORD_TYPE (long on 64-bit, int on 32-bit); __off_t is long;
    # __pid_t int; __uid_t and __gid_t unsigned int
    "ssize_t": "cfi_glibc_ssize_t", "off_t": "long", "pid_t": "int", "uid_t": "unsigned int",
    "gid_t": "unsigned int",
}
GLIBC_PRELUDE = """\
#if __SIZEOF_POINTER__ == 8
typedef long cfi_glibc_ssize_t;
#else
typedef int cfi_glibc_ssize_t;
#endif
"""


@lru_cache(maxsize=None)
def macros(triple: str) -> dict[str, str]:
    assert CLANG is not None
    out = subprocess.run([CLANG, "-target", triple, "-dM", "-E", "-x", "c", "-"], input="",
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
    assert t.has_float128 == ("__FLOAT128__" in m)
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
        proc = subprocess.run([CLANG, "-target", triple, "-fsyntax-only", "-w", "-std=gnu17",
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
    names = sorted(TARGETS[triple].typedefs)
    source = GLIBC_PRELUDE + "".join(
        f"void f_{n}({CLANG_SPELLINGS[n]}, {CLANG_SPELLINGS[n]} *);\n" for n in names)
    source += "void *tab[] = {" + ", ".join(f"(void *)f_{n}" for n in names) + "};\n"
    theirs = ids_from_ir(clang_ir(source, triple, normalize=normalize))
    wrong = []
    for n in names:
        ids = cfi_typeid.typeids(f"void f({n}, {n} *)", target=triple)
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
