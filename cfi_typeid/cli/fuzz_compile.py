"""The compilers ``fuzz`` runs, as command templates, and the ids read from what they emit.

A template is one command line with ``{target}``, ``{flags}``, ``{src}`` and ``{out}`` in it
(``{flags}`` are the sanitizer flags of each of the four variants below).  The defaults run
clang-19 and rustc; any compiler that writes LLVM IR with ``!type`` / ``!kcfi_type`` metadata
fits (a newer clang or rustc), and one that writes assembly with ``__kcfi_typeid_<name>``
symbols (clang, and GCC with KCFI support, do so for address-taken declarations) gives the
KCFI fields.  A ``--compiler`` without braces names the program in the default template.

Four compiles give the six fields, as in the differential tests: CFI with and without
integer normalisation (plain and ``.generalized`` ids, then the ``.normalized`` ones), and KCFI
likewise (the two hashes).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from ..errors import UsageError
from ..strategies.rust import RUSTC_TARGETS
from ..regex_code import cached_regex

C_TEMPLATE = ("clang-19 -target {target} {flags} -S -emit-llvm -O0 -w -std=gnu17 {src} "
              "-o {out}")
RUST_TEMPLATE = ("rustc --crate-name probe --edition=2021 --crate-type=lib -Ccodegen-units=1 "
                 "-Copt-level=0 -Cpanic=abort {flags} {target} --emit=llvm-ir {src} -o {out}")

_C_NORMALIZE = "-fsanitize-cfi-icall-experimental-normalize-integers"
_RUST_CFI = ("-Zsanitizer=cfi -Clto -Zsanitizer-cfi-normalize-integers "
             "-Cunsafe-allow-abi-mismatch=sanitizer,sanitizer-cfi-normalize-integers")
_RUST_KCFI = ("-Zsanitizer=kcfi -Zsanitizer-cfi-normalize-integers "
              "-Cunsafe-allow-abi-mismatch=sanitizer,sanitizer-cfi-normalize-integers")

#: The four compiles: (name, C flags, Rust flags, Rust crate with normalised newtypes).
VARIANTS = (
    ("cfi", "-fsanitize=cfi-icall -flto -fvisibility=hidden", _RUST_CFI, False),
    ("cfi_normalized", f"-fsanitize=cfi-icall -flto -fvisibility=hidden {_C_NORMALIZE}",
     _RUST_CFI, True),
    ("kcfi", "-fsanitize=kcfi", f"{_RUST_KCFI} -Zsanitizer-cfi-normalize-integers=no", False),
    ("kcfi_normalized", f"-fsanitize=kcfi {_C_NORMALIZE}", _RUST_KCFI, True),
)

_FN_LINE = cached_regex(r"^(?:declare|define)\b[^@]*@\"?([\w.$]+)\"?\(.*?\)(.*)$", re.M)
_TYPE_REF = cached_regex(r"!type !(\d+)")
_KCFI_REF = cached_regex(r"!kcfi_type !(\d+)")
_TYPE_NODE = cached_regex(r'^!(\d+) = !\{i(?:64|32) 0, !"([^"]+)"\}', re.M)
_KCFI_NODE = cached_regex(r"^!(\d+) = !\{i32 (-?\d+)\}", re.M)
_KCFI_SYMBOL = cached_regex(r"^\s*\.set\s+__kcfi_typeid_([\w.$]+)\s*,\s*(-?(?:0x[0-9a-fA-F]+|\d+))",
                          re.M)


def ids_from_ir(ir: str) -> dict[str, list[str]]:
    """Function name → the type id strings attached to it, in IR order."""
    nodes = dict(_TYPE_NODE.findall(ir))
    out: dict[str, list[str]] = {}
    for m in _FN_LINE.finditer(ir):
        out[m.group(1)] = [nodes[n] for n in _TYPE_REF.findall(m.group(0)) if n in nodes]
    return out


def kcfi_from_output(text: str) -> dict[str, int]:
    """Function name → its KCFI hash (unsigned), from IR ``!kcfi_type`` or from assembly
    ``.set __kcfi_typeid_<name>, <value>``."""
    nodes = {k: int(v) & 0xFFFFFFFF for k, v in _KCFI_NODE.findall(text)}
    out: dict[str, int] = {}
    for m in _FN_LINE.finditer(text):
        refs = _KCFI_REF.findall(m.group(0))
        if refs and refs[0] in nodes:
            out[m.group(1)] = nodes[refs[0]]
    for name, value in _KCFI_SYMBOL.findall(text):
        out.setdefault(name, int(value, 0) & 0xFFFFFFFF)
    return out


@dataclass(frozen=True)
class Compiler:
    """One language's compiler: its template and the environment it runs in."""

    lang: str
    template: str

    @classmethod
    def for_lang(cls, lang: str, command: str | None) -> Compiler:
        default = C_TEMPLATE if lang == "c" else RUST_TEMPLATE
        if not command:
            return cls(lang, default)
        if "{" not in command:  # a program (and its own options) for the default template
            return cls(lang, command + " " + default.split(" ", 1)[1])
        if "{src}" not in command or "{out}" not in command:
            raise UsageError("a --compiler template needs {src} and {out} (and may use "
                             "{target} and {flags})")
        return cls(lang, command)

    def run(self, source: str, target: str, flags: str) -> str:
        """The compiler's output for ``source`` (raises :class:`CompileError`)."""
        with tempfile.TemporaryDirectory(prefix="cfi_typeid_fuzz_") as d:
            src = Path(d) / ("case.c" if self.lang == "c" else "case.rs")
            out = Path(d) / "case.out"
            src.write_text(source)
            words = {"target": self._target(target), "flags": flags,
                     "src": shlex.quote(str(src)), "out": shlex.quote(str(out))}
            try:
                argv = shlex.split(self.template.format(**words))
            except (KeyError, IndexError, ValueError) as e:
                raise UsageError(f"bad --compiler template {self.template!r}: {e}") from None
            env = dict(os.environ, RUSTC_BOOTSTRAP="1", RUSTC_ICE="0")
            try:
                proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                                      timeout=900, cwd=d)
            except OSError as e:
                raise UsageError(f"cannot run {argv[0]!r}: {e.strerror}") from None
            if proc.returncode != 0:
                raise CompileError(proc.stderr[-4000:])
            return out.read_text() if out.exists() else proc.stdout

    def _target(self, target: str) -> str:
        if self.lang == "c":
            return shlex.quote(target)
        return " ".join(shlex.quote(a) for a in rustc_target_args(target))


class CompileError(Exception):
    """The compiler refused the source (its message attached)."""


def rustc_target_args(target: str) -> list[str]:
    """rustc's ``--target`` arguments for one of our targets (none for the host)."""
    if target == "x86_64-unknown-linux-gnu":
        return []
    if target not in RUSTC_TARGETS:
        raise UsageError(f"no rustc target for {target!r}; known: {', '.join(RUSTC_TARGETS)}")
    triple, custom = RUSTC_TARGETS[target]
    return [f"--target={_custom_target(triple)}", "-Zunstable-options"] if custom \
        else [f"--target={triple}"]


@cache
def _custom_target(triple: str) -> str:
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    try:
        proc = subprocess.run(["rustc", "-Zunstable-options", "--print", "target-spec-json",
                               "--target", triple], capture_output=True, text=True, env=env,
                              timeout=120)
    except OSError as e:
        raise UsageError(f"cannot run rustc: {e.strerror}") from None
    if proc.returncode != 0:
        raise UsageError(f"rustc has no target spec for {triple}: {proc.stderr[-500:]}")
    spec = json.loads(proc.stdout)
    spec["supported-sanitizers"] = sorted(set(spec.get("supported-sanitizers", []))
                                          | {"cfi", "kcfi"})
    spec.pop("is-builtin", None)
    folder = Path(tempfile.gettempdir()) / f"cfi_typeid_fuzz_targets_{os.getuid()}"
    folder.mkdir(exist_ok=True)
    path = folder / f"{triple}-cfi.json"
    path.write_text(json.dumps(spec))
    return str(path)
