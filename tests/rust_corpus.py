"""Real Rust files for the whole-file tests, made here from what is installed: bindgen's
bindings of system headers, and the ``libc`` crate expanded by rustc with the ``--cfg`` flags
its ``build.rs`` prints.  The truth is rustc's: the file itself, unedited, compiled with one
function added per ``extern`` block that takes the address of each foreign function (rustc
then attaches the four ``!type`` ids to each declaration)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from cfi_typeid.rust.file import FileReader

RUSTC = shutil.which("rustc")
BINDGEN = shutil.which("bindgen")
LIBCLANG = "/usr/lib/llvm-14/lib"
LIBC_DIRS = sorted(Path("/usr/share/cargo/registry").glob("libc-*"))
HEADERS = {"zlib": "zlib.h", "bzlib": "bzlib.h", "sqlite3": "sqlite3.h", "png": "png.h",
           "stdio": "stdio.h", "signal": "signal.h"}

_FLAGS = ["--crate-type=lib", "-Zsanitizer=cfi", "-Zsanitizer-cfi-normalize-integers",
          "-Cunsafe-allow-abi-mismatch=sanitizer,sanitizer-cfi-normalize-integers",
          "-Clto", "-Ccodegen-units=1", "-Copt-level=0", "-Cpanic=abort", "-Awarnings"]


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RUSTC_BOOTSTRAP="1", LIBCLANG_PATH=LIBCLANG)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=900,
                          **kw)  # type: ignore[call-overload, no-any-return]


def bindgen(header: str, out: Path) -> Path:
    """bindgen's bindings of ``/usr/include/<header>`` (Debian's 0.60, libclang 14)."""
    assert BINDGEN is not None
    proc = _run([BINDGEN, f"/usr/include/{header}", "-o", str(out)])
    if proc.returncode != 0:
        raise RuntimeError(f"bindgen failed on {header}:\n{proc.stderr[:2000]}")
    return out


def libc_cfgs(libc: Path, work: Path) -> list[str]:
    """The ``--cfg`` flags libc's ``build.rs`` prints, by building and running it."""
    assert RUSTC is not None
    exe = work / "libc_build"
    proc = _run([RUSTC, "--edition=2015", "-Awarnings", str(libc / "build.rs"), "-o",
                 str(exe)])
    if proc.returncode != 0:
        raise RuntimeError(f"libc's build.rs does not build:\n{proc.stderr[:2000]}")
    printed = _run([str(exe)], cwd=str(work))
    return [f"--cfg={m}" for m in re.findall(r"cargo:rustc-cfg=(\S+)", printed.stdout)]


def libc_expanded(libc: Path, work: Path) -> Path:
    """``libc``'s source as rustc expands it for this machine (edition 2015, feature std)."""
    assert RUSTC is not None
    out = work / "libc_expanded.rs"
    proc = _run([RUSTC, "--crate-name", "libc", "--crate-type=lib", "--edition=2015",
                 "-Zunpretty=expanded", "-Awarnings", *libc_cfgs(libc, work),
                 "--cfg", 'feature="std"', str(libc / "src" / "lib.rs"), "-o", str(out)])
    if proc.returncode != 0:
        raise RuntimeError(f"rustc -Zunpretty=expanded failed:\n{proc.stderr[:2000]}")
    return out


def with_references(text: str, filename: str) -> str:
    """``text`` with, after each ``extern`` block, a function taking the address of each of
    its foreign functions (the file itself unchanged: only text added between items)."""
    reader = FileReader(text, filename, "probe")
    reader.tokens = __import__("cfi_typeid.rust.lexer", fromlist=["tokenize"]).tokenize(text)
    inserts: list[tuple[int, str]] = []
    counter = [0]

    def walk(i: int, end: int) -> None:
        free: list[str] = []
        last = -1
        for raw in reader.items(i, end):
            last = raw.last
            if raw.kind == "fn" and not {"test", "cfg"} & {n for n, _ in raw.attrs}:
                k = raw.head
                while reader.word(k) != "fn":
                    k += 1
                if reader.word(k + 2) == "(":  # not generic: one instance
                    free.append(raw.name)
            if raw.kind == "mod":
                j = raw.head
                while reader.word(j) not in ("{", ";"):
                    j += 1
                if reader.word(j) == "{":
                    walk(j + 1, raw.last)
            elif raw.kind == "extern":
                j = raw.head
                while reader.word(j) != "{":
                    j += 1
                names = [inner.name for inner in reader.items(j + 1, raw.last)
                         if inner.kind == "fn"]
                if names:
                    counter[0] += 1
                    body = ", ".join(f"r#{n} as usize" for n in names)
                    inserts.append((reader.tokens[raw.last].end,
                                    f"\npub fn cfi_typeid_refs_{counter[0]}() -> "
                                    f"[usize; {len(names)}] {{ [{body}] }}\n"))
        if free and last >= 0:  # free functions too (an #[inline] one is made when used)
            counter[0] += 1
            body = ", ".join(f"r#{n} as usize" for n in free)
            inserts.append((reader.tokens[last].end,
                            f"\npub fn cfi_typeid_refs_{counter[0]}() -> [usize; {len(free)}] "
                            f"{{ [{body}] }}\n"))

    walk(0, len(reader.tokens))
    out, pos = [], 0
    for at, added in sorted(inserts):
        out += [text[pos:at], added]
        pos = at
    out.append(text[pos:])
    return "".join(out)


_DECLARE = re.compile(r'^(?:declare|define)\b[^@\n]*@("(?:[^"\\]|\\.)*"|[\w.$]+)\(.*$', re.M)
_TYPE_REF = re.compile(r"!type !(\d+)")
_TYPE_NODE = re.compile(r'^!(\d+) = !\{i64 0, !"([^"]+)"\}', re.M)


def truth(text: str, crate: str, edition: str, extra: list[str] | None = None
          ) -> tuple[dict[str, list[str]], str]:
    """Symbol → rustc's four ids for each function of ``text`` compiled with its foreign
    functions referenced; and the IR (for the disambiguators it holds)."""
    assert RUSTC is not None
    with tempfile.TemporaryDirectory() as d:
        src, ll = Path(d) / "case.rs", Path(d) / "case.ll"
        source = with_references(text, "case.rs")
        if "#![no_std]" in source:  # expanded: rustc injects `extern crate core;` again
            source = source.replace("\nextern crate core;\n", "\n", 1)
        src.write_text(source)
        proc = _run([RUSTC, "--crate-name", crate, f"--edition={edition}", *_FLAGS,
                     *(extra or []), "--emit=llvm-ir", str(src), "-o", str(ll)])
        if proc.returncode != 0:
            raise RuntimeError(f"rustc failed:\n{proc.stderr[:4000]}")
        ir = ll.read_text()
    nodes = dict(_TYPE_NODE.findall(ir))
    out: dict[str, list[str]] = {}
    for m in _DECLARE.finditer(ir):
        name = m.group(1).strip('"').removeprefix("\\01")
        ids = [nodes[n] for n in _TYPE_REF.findall(m.group(0)) if n in nodes]
        if ids:
            out[name] = ids
    return out, ir


_POINTER_FLAGS = {
    "plain": [],
    "normalized": ["-Zsanitizer-cfi-normalize-integers"],
    "generalized": ["-Zsanitizer-cfi-generalize-pointers"],
    "normalized_generalized": ["-Zsanitizer-cfi-normalize-integers",
                               "-Zsanitizer-cfi-generalize-pointers"],
}
_DEFINE = re.compile(r"^define [^@\n]*@(cfi_typeid_call_\d+)\(.*?^}", re.M | re.S)
_TYPE_TEST = re.compile(r'llvm\.type\.test\(ptr %[^,]*, metadata !"([^"]+)"\)')


def pointer_truth(text: str, crate: str, edition: str,
                  calls: list[tuple[str, str, bool, int]]) -> list[dict[str, str]]:
    """rustc's ids for calls through fn pointers: ``calls`` holds (type or ``Struct.field``,
    "type"/"field", whether the value is an ``Option``, the number of parameters) of items
    at the crate root; each gets a function calling through it, and the id of its
    ``llvm.type.test`` under each option set is read (before LTO lowers it)."""
    assert RUSTC is not None
    added = []
    for i, (name, kind, option, arity) in enumerate(calls):
        args = ", ".join(["core::mem::zeroed()"] * arity)
        if kind == "type":
            head, value = f"f: crate::{name}", "f"
        else:
            struct, field_name = name.split(".")
            head, value = f"s: &crate::{struct}", f"s.{field_name}"
        call = (f"if let Some(f) = {value} {{ let _ = f({args}); }}" if option
                else f"let f = {value}; let _ = f({args});")
        added.append(f"#[no_mangle] pub unsafe fn cfi_typeid_call_{i}({head}) {{ {call} }}\n")
    source = text + "\n" + "".join(added)
    results: list[dict[str, str]] = [{} for _ in calls]
    flags = [f for f in _FLAGS if f not in ("-Zsanitizer-cfi-normalize-integers", "-Clto")]
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "case.rs"
        src.write_text(source)
        for option_set, extra in _POINTER_FLAGS.items():
            ll = Path(d) / f"{option_set}.ll"
            proc = _run([RUSTC, "--crate-name", crate, f"--edition={edition}", *flags, *extra,
                         "-Clinker-plugin-lto", "--emit=llvm-ir", str(src), "-o", str(ll)])
            if proc.returncode != 0:
                raise RuntimeError(f"rustc failed:\n{proc.stderr[:4000]}")
            for m in _DEFINE.finditer(ll.read_text()):
                test = _TYPE_TEST.search(m.group(0))
                if test is not None:
                    results[int(m.group(1).rsplit("_", 1)[1])][option_set] = test.group(1)
    return results


_V0_IDENT = re.compile(r"(\d+)(_?)")


def v0_item_path(symbol: str) -> tuple[str, ...] | None:
    """The module path and name of a free function from its v0 symbol
    (``_RNvNtCs..._4libc4unix5fname`` → ``("unix", "fname")``), or None for anything else
    (methods, generic or closure paths, back-references)."""
    if not symbol.startswith("_RNv"):
        return None
    names: list[str] = []
    pos = 4
    opened = 1
    while symbol.startswith("Nt", pos):
        opened += 1
        pos += 2
    if not symbol.startswith("C", pos):
        return None
    pos += 1
    if symbol.startswith("s", pos):
        end = symbol.find("_", pos)
        if end < 0:
            return None
        pos = end + 1
    for _ in range(opened + 1):  # the crate's name, then each module, then the function
        m = _V0_IDENT.match(symbol, pos)
        if m is None:
            return None
        start = m.end()
        names.append(symbol[start:start + int(m.group(1))])
        pos = start + int(m.group(1))
    # a copy of an #[inline] function ends with its instantiating crate (a back-reference)
    rest = symbol[pos:]
    return tuple(names[1:]) if rest == "" or re.fullmatch(r"B[0-9A-Za-z]*_", rest) else None
