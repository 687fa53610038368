"""The compilers as oracles: compile source, read the type ids they attach to each function.

clang-19: every function whose address is taken gets ``!type`` metadata with its plain and
``.generalized`` ids (and ``.normalized`` ones with the normalisation flag); with
``-fsanitize=kcfi`` a ``!kcfi_type`` hash.  rustc: every function gets all four ids.  Many cases
go in one file per compiler run, so a differential suite of thousands of cases costs a few runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CLANG = shutil.which("clang-19")
RUSTC = shutil.which("rustc")

_FN_LINE = re.compile(r"^(?:declare|define)\b[^@]*@\"?([\w.$]+)\"?\(.*?\)(.*)$", re.M)
_TYPE_REF = re.compile(r"!type !(\d+)")
_KCFI_REF = re.compile(r"!kcfi_type !(\d+)")
_TYPE_NODE = re.compile(r'^!(\d+) = !\{i64 0, !"([^"]+)"\}', re.M)
_KCFI_NODE = re.compile(r"^!(\d+) = !\{i32 (-?\d+)\}", re.M)


def ids_from_ir(ir: str) -> dict[str, list[str]]:
    """Function name → the type id strings attached to it, in IR order."""
    nodes = dict(_TYPE_NODE.findall(ir))
    out: dict[str, list[str]] = {}
    for m in _FN_LINE.finditer(ir):
        name, attrs = m.group(1), m.group(0)
        out[name] = [nodes[n] for n in _TYPE_REF.findall(attrs) if n in nodes]
    return out


def kcfi_from_ir(ir: str) -> dict[str, int]:
    """Function name → its ``!kcfi_type`` hash as an unsigned 32-bit value."""
    nodes = {k: int(v) & 0xFFFFFFFF for k, v in _KCFI_NODE.findall(ir)}
    out: dict[str, int] = {}
    for m in _FN_LINE.finditer(ir):
        refs = _KCFI_REF.findall(m.group(0))
        if refs and refs[0] in nodes:
            out[m.group(1)] = nodes[refs[0]]
    return out


def clang_ir(source: str, target: str, *, normalize: bool = False, kcfi: bool = False,
             std: str = "gnu17") -> str:
    """LLVM IR that clang-19 makes of C ``source`` for ``target`` (raises on a compile error)."""
    assert CLANG is not None, "clang-19 is not installed"
    flags = ["-fsanitize=kcfi"] if kcfi else ["-fsanitize=cfi-icall", "-flto",
                                             "-fvisibility=hidden"]
    if normalize:
        flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "case.c"
        path.write_text(source)
        proc = subprocess.run(
            [CLANG, "-target", target, *flags, "-S", "-emit-llvm", "-O0", "-w",
             f"-std={std}", str(path), "-o", "-"],
            capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"clang-19 failed:\n{proc.stderr[:4000]}")
    return proc.stdout


def clang_ids(source: str, target: str, *, normalize: bool = False, std: str = "gnu17"
              ) -> dict[str, list[str]]:
    """Function name → ids clang-19 gives it (plain and .generalized; .normalized ones too
    when ``normalize``)."""
    return ids_from_ir(clang_ir(source, target, normalize=normalize, std=std))


RUST_FLAGS = ["--edition=2021", "--crate-type=lib", "-Zsanitizer=cfi",
              "-Zsanitizer-cfi-normalize-integers",
              "-Cunsafe-allow-abi-mismatch=sanitizer,sanitizer-cfi-normalize-integers",
              "-Clto", "-Ccodegen-units=1", "-Copt-level=0", "-Cpanic=abort"]


def rust_flags(normalize: bool = True) -> list[str]:
    """:data:`RUST_FLAGS`, without integer normalization when ``normalize`` is False."""
    if normalize:
        return list(RUST_FLAGS)
    return [f.replace(",sanitizer-cfi-normalize-integers", "") for f in RUST_FLAGS
            if f != "-Zsanitizer-cfi-normalize-integers"]


def rustc_ir(source: str, *, crate: str = "probe", target: str | None = None,
             kcfi: bool = False, extra: list[str] | None = None, normalize: bool = True,
             lto: bool = True) -> str:
    """LLVM IR that rustc makes of a Rust crate ``source`` (raises on a compile error).

    ``normalize=False`` leaves out ``-Zsanitizer-cfi-normalize-integers``: rustc still emits
    all four ids, but ``cfg(sanitizer_cfi_normalize_integers)`` is unset, which changes the
    cfi-types newtypes (their ``cfi_encoding`` applies only without normalization)."""
    assert RUSTC is not None, "rustc is not installed"
    flags = rust_flags(normalize)
    if kcfi:
        flags = [f.replace("-Zsanitizer=cfi", "-Zsanitizer=kcfi") for f in flags
                 if f not in ("-Clto",)]
    if not lto:  # e.g. -Clinker-plugin-lto in ``extra``: the IR keeps its llvm.type.test calls
        flags = [f for f in flags if f != "-Clto"]
    if target:
        flags.append(f"--target={target}")
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "case.rs", Path(d) / "case.ll"
        src.write_text(source)
        env = dict(os.environ, RUSTC_BOOTSTRAP="1")
        proc = subprocess.run([RUSTC, "--crate-name", crate, *flags, *(extra or []),
                               "--emit=llvm-ir", str(src), "-o", str(out)],
                              capture_output=True, text=True, timeout=900, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"rustc failed:\n{proc.stderr[:4000]}")
        return out.read_text()


def ids_by_option_set(ids: list[str]) -> dict[str, str]:
    """The ids of one function keyed by the option set each belongs to, as ``check`` spells
    them (``plain``, ``normalized``, ``generalized``, ``normalized+generalized``)."""
    out = {}
    for i in ids:
        norm, gen = ".normalized" in i, ".generalized" in i
        out["+".join(p for p, on in (("normalized", norm), ("generalized", gen)) if on)
            or "plain"] = i
    return out
