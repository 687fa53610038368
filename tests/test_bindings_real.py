"""``check-bindings`` on bindgen's output for six real headers, against the compilers: 100%.

For each header, bindgen (Debian's 0.60, with LLVM 14's libclang: ``LIBCLANG_PATH``) writes the
bindings; the whole-file readers read both sides; ``check_bindings`` pairs and compares them.
The truth: clang-19 compiles the header with every paired function's address taken, rustc
compiles the bindings with every function's address taken, and the ids in their IR decide.
Every pair's verdict under every option set must equal the compiled one (and so must both ids).
Then ``--suggest``'s diff is applied with ``patch``, the patched bindings are compiled again,
and every pair the diff claims to fix must have C's id under each option set it claims.

Costs a bindgen, two clang and three rustc runs per header (about a minute in all): set
``CFI_TYPEID_BINDINGS=1`` to run it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from cfi_typeid.crosscheck.bindings import BindingPair, BindingsReport, check_bindings
from cfi_typeid.crosscheck.check import OPTION_SETS
from cfi_typeid.crosscheck.patch import (choose_remedy, field_span, is_option_type,
                                         suggest_patch)
from cfi_typeid.crosscheck.remedy import CFI_TYPES_MODULE
from cfi_typeid.sources.records import Scan
from conftest import needs_clang, needs_rustc
from oracles import (
    CLANG as CLANG_EXE, clang_ids, clang_ir, ids_by_option_set, ids_from_ir, rustc_ir,
)

ENV = "CFI_TYPEID_BINDINGS"
HEADERS = ("zlib", "bzlib", "sqlite3", "png", "stdio", "signal")
TARGET = "x86_64-unknown-linux-gnu"
#: bindgen 0.60 panics with libclang-19 on unnamed types; LLVM 14's works (FACTS.md).
LIBCLANG = os.environ.get("LIBCLANG_PATH", "/usr/lib/llvm-14/lib")
PATCH_FEATURES = "#![feature(cfi_encoding, cfg_sanitizer_cfi)]\n"
KEEP_ALLOW = "#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, " \
             "dead_code, improper_ctypes, unused_imports)]\n"

pytestmark = [
    pytest.mark.skipif(not os.environ.get(ENV), reason=f"set {ENV}=1 to run bindgen on six "
                                                       "real headers (about a minute)"),
    pytest.mark.skipif(shutil.which("bindgen") is None, reason="bindgen not installed "
                                                               "(apt-get install bindgen)"),
    needs_clang, needs_rustc,
]


def bindgen(header: str, out: Path) -> tuple[Path, Path]:
    """The wrapper header and the bindings bindgen writes for ``<header.h>``."""
    wrapper = out / f"{header}_wrap.h"
    wrapper.write_text(f"#include <{header}.h>\n")
    rs = out / f"{header}.rs"
    proc = subprocess.run(["bindgen", str(wrapper), "-o", str(rs)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, LIBCLANG_PATH=LIBCLANG))
    if proc.returncode != 0:
        raise RuntimeError(f"bindgen failed on {header}.h:\n{proc.stderr[:2000]}")
    return wrapper, rs


def read_with_readers(header: Path, rs: Path) -> tuple[Scan, Scan]:
    """Both sides, read by the whole-file readers (skips until they are merged)."""
    c_header = pytest.importorskip("cfi_typeid.sources.c_header")
    rust_file = pytest.importorskip("cfi_typeid.sources.rust_file")
    from cfi_typeid.rust.crates import probe_disambiguators
    c = c_header.read_c_files([str(header)], target=TARGET, cpp=True)
    rust = rust_file.read_rust_files([str(rs)], target=TARGET, crates=probe_disambiguators())
    return c, rust


#: How the two sides are read; a scratch run may put another reader here.
READ: list[Callable[[Path, Path], tuple[Scan, Scan]]] = [read_with_readers]



def c_truth(header: Path, names: list[str]) -> dict[str, dict[str, str]]:
    """C name → option set → id, from clang-19 with each function's address taken (the IR
    names a function by its symbol: glibc's ``fscanf`` is ``__isoc99_fscanf``; the table of
    addresses says which is which)."""
    names = list(dict.fromkeys(names))
    src = (f'#include "{header}"\nvoid *__cfi_tab[] = {{'
           + ", ".join(f"(void *)({n})" for n in names) + "};\n")
    plain_ir = clang_ir(src, TARGET)
    plain, norm = ids_from_ir(plain_ir), ids_from_ir(clang_ir(src, TARGET, normalize=True))
    table = re.search(r"@__cfi_tab = .*?\[(.*)\]", plain_ir)
    assert table is not None
    symbols = re.findall(r"ptr @\"?([\w.$]+)", table.group(1))
    assert len(symbols) == len(names)
    return {n: ids_by_option_set(plain[s] + [i for i in norm.get(s, []) if ".normalized" in i])
            for n, s in zip(names, symbols) if plain.get(s)}


def rust_truth(text: str, names: list[str], *, patched: bool) -> dict[str, dict[str, str]]:
    """IR symbol → option set → id, from rustc with each function's address taken.  A
    patched file (cfi_types newtypes, applied only without normalization) is compiled twice."""
    keep = ("\npub fn __cfi_keep() -> usize { 0usize"
            + "".join(f" ^ ({n} as usize)" for n in names) + " }\n")
    src = (PATCH_FEATURES if patched else "") + KEEP_ALLOW + text + keep
    normalized = _rust_ids(rustc_ir(src))
    plain = _rust_ids(rustc_ir(src, normalize=False)) if patched else normalized
    out = {}
    for n, ids in plain.items():
        both = [i for i in ids if ".normalized" not in i]
        both += [i for i in normalized.get(n, []) if ".normalized" in i]
        if both:
            out[n] = ids_by_option_set(both)
    return out


def _rust_ids(ir: str) -> dict[str, list[str]]:
    # bindgen's #[link_name = "\u{1}sym"] shows in the IR as @"\01sym" (no mangling).
    return ids_from_ir(ir.replace('@"\\01', '@"'))


def pointer_key(pair: BindingPair) -> str:
    """How the truth of a member or typedef pair is filed (both sides)."""
    return f"{pair.kind}:{pair.symbol}"


def c_pointer_truth(header: Path, pairs: list[BindingPair]) -> dict[str, dict[str, str]]:
    """The ids clang-19 gives a function declared with each member's (or typedef's) function
    type (``__typeof__``), its address taken: what a call through the pointer checks."""
    pp = subprocess.run([CLANG_EXE, "-E", "-P", "-target", TARGET, str(header)],
                        capture_output=True, text=True, timeout=300).stdout
    decls = {}
    for i, p in enumerate(pairs):
        if p.kind == "member":
            tag, _, member = p.c.name.rpartition(".")
            m = re.search(rf"\b(struct|union)\s+{re.escape(tag)}\b", pp)
            tag_type = f"{m.group(1)} {tag}" if m else tag
            decls[i] = f"__typeof__(*((({tag_type} *)0)->{member})) __cfi_m_{i};"
        elif "(*" in p.c.text:
            decls[i] = f"__typeof__(*(({p.c.name})0)) __cfi_m_{i};"
        else:
            decls[i] = f"{p.c.name} __cfi_m_{i};"

    def compile_(keys: list[int]) -> dict[str, dict[str, str]]:
        src = (f'#include "{header}"\n' + "\n".join(decls[k] for k in keys)
               + "\nvoid *__cfi_tab[] = {" + ", ".join(f"(void *)__cfi_m_{k}" for k in keys)
               + "};\n")
        plain, norm = clang_ids(src, TARGET), clang_ids(src, TARGET, normalize=True)
        return {pointer_key(pairs[k]): ids_by_option_set(plain[f"__cfi_m_{k}"] + [
            i for i in norm[f"__cfi_m_{k}"] if ".normalized" in i]) for k in keys}
    return _compile_all_or_each(compile_, list(decls))


def _compile_all_or_each(compile_: Callable[[list[int]], dict[str, dict[str, str]]],
                         keys: list[int]) -> dict[str, dict[str, str]]:
    """All at once; if that fails, one at a time, leaving out the ones that do not compile
    (they are then reported as wrong, having no truth)."""
    if not keys:
        return {}
    try:
        return compile_(keys)
    except RuntimeError:
        out: dict[str, dict[str, str]] = {}
        for k in keys:
            try:
                out.update(compile_([k]))
            except RuntimeError:
                pass
        return out


def option_wrapped(text: str, pairs: list[BindingPair]) -> dict[int, bool]:
    """Whether each field (or alias) is an ``Option<fn>`` in the bindings ``text``."""
    out = {}
    for i, p in enumerate(pairs):
        d = p.rust
        start = sum(len(ln) + 1 for ln in text.splitlines()[:max(d.line - 1, 0)])
        name = d.name.rpartition(".")[2] if p.kind == "member" else d.name
        span = field_span(text, start, name, alias=p.kind != "member")
        out[i] = is_option_type(text, text[span[0]:span[1]])
    return out


def rust_pointer_truth(text: str, pairs: list[BindingPair], *, patched: bool = False,
                       wrapped: dict[int, bool] | None = None) -> dict[str, dict[str, str]]:
    """The ids rustc checks at a call through each field (or alias) — ``llvm.type.test`` in
    ``#[no_mangle] __cfi_call_<i>``, before LTO lowers it (so ``-Clinker-plugin-lto``) — under
    each option set: four compiles.  ``wrapped`` (from :func:`option_wrapped` of the original
    file, for a patched one whose lines moved) says which are Options."""
    wrapped = option_wrapped(text, pairs) if wrapped is None else wrapped
    calls = {}
    for i, p in enumerate(pairs):
        d = p.rust
        args = ", ".join(["core::mem::zeroed()"] * len(d.function.params))
        if p.kind == "member":
            struct, _, field = d.name.rpartition(".")
            param, expr = f"s: *const {struct}", f"(*s).{field}"
        else:
            param, expr = f"f: {d.name}", "f"
        body = f"if let Some(f) = {expr} {{ f({args}); }}" if wrapped[i] else \
            f"({expr})({args});"
        calls[i] = f"#[no_mangle] pub unsafe fn __cfi_call_{i}({param}) {{ {body} }}\n"

    def compile_(keys: list[int]) -> dict[str, dict[str, str]]:
        src = (PATCH_FEATURES if patched else "") + KEEP_ALLOW + text + "\n" \
            + "".join(calls[k] for k in keys)
        out: dict[str, dict[str, str]] = {}
        for norm, gen in ((False, False), (True, False), (False, True), (True, True)):
            flags = ["-Zsanitizer-cfi-generalize-pointers"] if gen else []
            ir = rustc_ir(src, normalize=norm, extra=["-Clinker-plugin-lto", *flags],
                          lto=False)
            for k, fn in _defines(ir).items():
                tests = re.findall(r'llvm\.type\.test\(ptr [^,]+, metadata !"([^"]+)"\)', fn)
                if tests:
                    out.setdefault(pointer_key(pairs[k]), {}).update(ids_by_option_set(tests[:1]))
        return out
    return _compile_all_or_each(compile_, list(calls))


def _defines(ir: str) -> dict[int, str]:
    out = {}
    for m in re.finditer(r"^define [^@]*@__cfi_call_(\d+)\(.*?^}", ir, re.M | re.S):
        out[int(m.group(1))] = m.group(0)
    return out


@functools.cache
def _run(header: str, tmp: str) -> tuple[BindingsReport, dict[str, dict[str, str]],
                                         dict[str, dict[str, str]], Path]:
    wrapper, rs = bindgen(header, Path(tmp))
    c, rust = READ[0](wrapper, rs)
    report = check_bindings(c, rust, target=TARGET)
    functions = [p for p in report.pairs if p.kind == "function"]
    pointers = [p for p in report.pairs if p.kind != "function"]
    text = rs.read_text()
    c_ids = c_truth(wrapper, [p.c.name for p in functions])
    c_ids.update(c_pointer_truth(wrapper, pointers))
    r_ids = rust_truth(text, [p.rust.name for p in functions], patched=False)
    r_ids.update(rust_pointer_truth(text, pointers))
    return report, c_ids, r_ids, rs


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("bindings"))


def truth_keys(p: BindingPair) -> tuple[str, str]:
    """Where the compiled ids of a pair are filed: (C, Rust)."""
    if p.kind == "function":
        return p.c.name, p.rust.symbol or p.rust.name
    return pointer_key(p), pointer_key(p)


def verdicts(report: BindingsReport, c_ids: dict[str, dict[str, str]],
             r_ids: dict[str, dict[str, str]]) -> tuple[int, int, list[str]]:
    """(comparisons, right, what was wrong), over every pair: functions, members, typedefs."""
    total, right, wrong = 0, 0, []
    for p in report.pairs:
        c_key, r_key = truth_keys(p)
        for comp in p.comparisons:
            c_id = c_ids.get(c_key, {}).get(comp.name)
            r_id = r_ids.get(r_key, {}).get(comp.name)
            total += 1
            if c_id is not None and r_id is not None and comp.matches == (c_id == r_id) \
                    and comp.c_typeid == c_id and comp.rust_typeid == r_id:
                right += 1
            else:
                wrong.append(f"{p.symbol} {comp.name}: ours C {comp.c_typeid} Rust "
                             f"{comp.rust_typeid}; compiled C {c_id} Rust {r_id}")
    return total, right, wrong


@pytest.mark.parametrize("header", HEADERS)
def test_every_verdict_is_the_compilers(header: str, workdir: str) -> None:
    report, c_ids, r_ids, _ = _run(header, workdir)
    assert report.pairs
    total, right, wrong = verdicts(report, c_ids, r_ids)
    assert not wrong, f"{right}/{total} right; first wrong: " + "\n".join(wrong[:10])


def apply_patch(rs: Path, diff: str) -> str:
    """The bindings after ``patch -p0`` of ``diff`` (run where the file is)."""
    work = rs.parent / "patched"
    work.mkdir(exist_ok=True)
    target = work / rs.name
    target.write_text(rs.read_text())
    diff = diff.replace(str(rs), rs.name)
    proc = subprocess.run(["patch", "-p0", "--quiet"], input=diff, text=True, cwd=work,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target.read_text()


def fixes_verified(header: str, workdir: str) -> tuple[int, int, list[str]]:
    """(fixes claimed, verified by the compilers, failures)."""
    report, c_ids, _, rs = _run(header, workdir)
    original = rs.read_text()
    patch = suggest_patch(report, {str(rs): original})
    if not patch.fixed:
        return 0, 0, []
    text = apply_patch(rs, patch.diff)
    r_ids = patched_truth(report, original, text)
    by_symbol = {p.symbol: p for p in report.pairs}
    claimed, ok, bad = 0, 0, []
    for sym, sets in patch.fixed:
        pair = by_symbol[sym]
        c_key, r_key = truth_keys(pair)
        for name in sets:
            claimed += 1
            got, want = r_ids.get(r_key, {}).get(name), c_ids.get(c_key, {}).get(name)
            if got is not None and got == want:
                ok += 1
            else:
                bad.append(f"{sym} {name}: patched Rust {got}, C {want}")
    return claimed, ok, bad


def patched_truth(report: BindingsReport, original: str, text: str
                  ) -> dict[str, dict[str, str]]:
    """The compiled Rust ids of every pair in ``text``, a patched (or regenerated) version of
    the bindings ``original``."""
    functions = [p for p in report.pairs if p.kind == "function"]
    pointers = [p for p in report.pairs if p.kind != "function"]
    r_ids = rust_truth(text, [p.rust.name for p in functions], patched=True)
    r_ids.update(rust_pointer_truth(text, pointers, patched=True,
                                    wrapped=option_wrapped(original, pointers)))
    return r_ids


@pytest.mark.parametrize("header", HEADERS)
def test_every_suggested_fix_compiles_to_the_c_id(header: str, workdir: str) -> None:
    claimed, ok, bad = fixes_verified(header, workdir)
    assert not bad, f"{ok}/{claimed} verified; " + "\n".join(bad[:10])


@pytest.mark.parametrize("header", HEADERS)
def test_bindgen_ctypes_prefix_gives_the_cfi_types_edits(header: str, workdir: str) -> None:
    """Regenerated with ``--ctypes-prefix cfi_types --translate-enum-integer-types`` and the
    cfi_types module appended, every pair whose fix is only cfi_types integers has C's ids
    under every option set that fix is for: what --suggest says of that bindgen option."""
    report, c_ids, _, rs = _run(header, workdir)
    wrapper = rs.parent / f"{header}_wrap.h"
    out = rs.parent / f"{header}_ctypes.rs"
    proc = subprocess.run(["bindgen", str(wrapper), "--ctypes-prefix", "cfi_types",
                           "--translate-enum-integer-types", "-o", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, LIBCLANG_PATH=LIBCLANG))
    assert proc.returncode == 0, proc.stderr
    r_ids = patched_truth(report, rs.read_text(), out.read_text() + CFI_TYPES_MODULE)
    checked = 0
    for pair in report.pairs:
        chosen = choose_remedy(pair, report)
        if chosen is None or not chosen[0].edits or any(
                e.labels != ("cfi_types integer",) for e in chosen[0].edits):
            continue
        if re.search(r"\b[iu]size\b", pair.rust.text):
            continue  # bindgen writes intptr_t & co. as isize/usize whatever the prefix
        c_key, r_key = truth_keys(pair)
        for name in chosen[1]:  # the option sets those edits fix
            checked += 1
            assert r_ids.get(r_key, {}).get(name) == c_ids[c_key][name], (pair.symbol, name)
    assert checked


def test_option_sets_are_checks() -> None:
    assert list(OPTION_SETS) == ["plain", "normalized", "generalized", "normalized+generalized"]
