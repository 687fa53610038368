"""Crate disambiguators, read from rustc itself: ``python -m cfi_typeid rust-crates``.

A Rust type's path in a type id names its crate with a disambiguator that rustc derives from
the crate's name, its ``-C metadata`` and the compiler version (``NtCsgEmfK2I1SDT_4core6option
6Option``: ``sgEmfK2I1SDT_`` for ``core``).  Nothing else can compute it, so this module asks
rustc: it compiles a tiny probe crate with CFI on and reads the paths out of the LLVM IR (or
reads them out of IR the user already has, e.g. from ``cargo rustc -- --emit=llvm-ir``, where
cargo's ``-C metadata`` makes the local crate's disambiguator differ from a plain rustc run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import UsageError

#: ``N<namespace>C<disambiguator><len><crate>`` as v0 paths in type ids spell a crate root.
_CRATE_ROOT = re.compile(r"N[a-zA-Z]C(s[0-9A-Za-z]*_)(\d+)")
#: A type id string in IR metadata (``!"_ZTS..."``), or a bare one (a file of ids).
_TYPE_ID = re.compile(r"_ZTS[^\"\s]*")

_PROBE = """\
pub struct CfiTypeidProbe;
#[no_mangle]
pub fn cfi_typeid_probe(_: &CfiTypeidProbe, _: Option<&u8>, _: Option<&std::fs::File>,
                        _: Option<&std::string::String>) {}
"""

_FLAGS = ["--edition=2021", "--crate-type=lib", "-Zsanitizer=cfi",
          "-Cunsafe-allow-abi-mismatch=sanitizer", "-Clto", "-Ccodegen-units=1",
          "-Copt-level=0", "-Cpanic=abort", "--emit=llvm-ir"]


def disambiguators_from_ir(ir: str) -> dict[str, str]:
    """Crate name → disambiguator, for every crate whose path appears in ``ir``'s type ids."""
    found: dict[str, str] = {}
    for typeid in _TYPE_ID.findall(ir):  # not symbol names: v0 symbols spell it otherwise
        for m in _CRATE_ROOT.finditer(typeid):
            length = int(m.group(2))
            name = typeid[m.end():m.end() + length]
            if name.isidentifier():
                found.setdefault(name, m.group(1))
    return found


def _rustc(rustc: str | None) -> str:
    exe = rustc or shutil.which("rustc")
    if exe is None:
        raise UsageError("rustc not found: install Rust, or pass --rustc PATH")
    return exe


def _run(argv: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; a program that is missing, not executable or hangs is a UsageError."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, errors="replace",
                              timeout=300, **kwargs)
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        raise UsageError(f"cannot run {what} {argv[0]!r}: {e}") from None


def rustc_version(rustc: str | None = None) -> str:
    """``rustc -vV`` of ``rustc`` (default: the one on PATH); checked to be rustc's."""
    exe = _rustc(rustc)
    proc = _run([exe, "-vV"], "rustc")
    if proc.returncode != 0 or not proc.stdout.startswith("rustc "):
        shown = (proc.stdout or proc.stderr).strip()[:200] or "nothing"
        raise UsageError(f"{exe!r} is not rustc: '{exe} -vV' printed {shown!r}")
    return proc.stdout


def probe_disambiguators(crate: str = "probe", rustc: str | None = None) -> dict[str, str]:
    """The disambiguators of ``core``, ``std``, ``alloc`` and of a crate named ``crate`` built
    by plain ``rustc --crate-name crate`` (what the differential tests do)."""
    exe = _rustc(rustc)
    if not crate.isidentifier():
        raise UsageError(f"{crate!r} is not a crate name")
    rustc_version(exe)
    import tempfile  # (only when probing: most runs find the cache)
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "probe.rs", Path(d) / "probe.ll"
        src.write_text(_PROBE)
        env = dict(os.environ, RUSTC_BOOTSTRAP="1")
        proc = _run([exe, "--crate-name", crate, *_FLAGS, str(src), "-o", str(out)], "rustc",
                    env=env)
        if proc.returncode != 0 or not out.exists():
            raise UsageError(f"rustc failed on the probe crate:\n{proc.stderr[:2000]}")
        return disambiguators_from_ir(out.read_text(errors="replace"))


#: The crates whose disambiguators depend on the compiler only (not on a build).
STANDARD_CRATES = ("core", "alloc", "std")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cfi_typeid"


def standard_disambiguators(rustc: str | None = None) -> tuple[dict[str, str], str]:
    """``core``, ``alloc`` and ``std``'s disambiguators for ``rustc`` (default: on PATH), and
    the compiler's version line.  Probed once per compiler version and kept in the user's
    cache directory (``$XDG_CACHE_HOME/cfi_typeid``)."""
    version = rustc_version(rustc)

    def probe() -> dict[str, str]:
        found = probe_disambiguators("probe", rustc)
        return {k: found[k] for k in STANDARD_CRATES if k in found}
    key = _sha256_hex(version)[:16]
    return _cached(f"crates-{key}.json", probe), version.splitlines()[0]


def cached_probe_disambiguators(crate: str = "probe", rustc: str | None = None
                                ) -> dict[str, str]:
    """:func:`probe_disambiguators`, probed once per compiler version and crate name and kept
    in the user's cache directory like :func:`standard_disambiguators`' (the probe's source
    and flags are part of the key): compiling the probe is most of a second's work."""
    exe = _rustc(rustc)
    if not crate.isidentifier():
        raise UsageError(f"{crate!r} is not a crate name")
    version = rustc_version(exe)
    what = json.dumps([version, crate, _PROBE, _FLAGS,
                       os.environ.get("RUSTC_FORCE_RUSTC_VERSION")])
    key = _sha256_hex(what)[:16]
    return _cached(f"probe-{key}.json", lambda: probe_disambiguators(crate, exe))


def _sha256_hex(text: str) -> str:
    """SHA-256 of ``text``, from CPython's own ``_sha256`` where it has one: ``hashlib``'s
    import loads OpenSSL (~2.5 ms of every rust-file start, only for a cache file's name)."""
    from importlib import import_module  # (by name: mypy may or may not know _sha256)
    try:
        module = import_module("_sha256")
    except ImportError:
        module = import_module("hashlib")
    return str(module.sha256(text.encode()).hexdigest())


def _cached(name: str, probe: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The crate map kept in the cache directory as ``name``, or ``probe()``'s, kept there
    (if the directory can be written)."""
    path = _cache_dir() / name
    try:
        cached = json.loads(path.read_text())
        if isinstance(cached, dict) and all(isinstance(v, str) for v in cached.values()):
            return cached
    except (OSError, ValueError):
        pass
    crates = probe()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(crates))
        os.replace(tmp, path)
    except OSError:
        pass  # no cache: probe again next time
    return crates


def read_ir_disambiguators(path: str) -> dict[str, str]:
    """The disambiguators in an LLVM IR file, or in the newest ``.ll`` files of a directory
    (a cargo target directory after ``cargo rustc -- --emit=llvm-ir``)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.rglob("*.ll"), key=lambda f: f.stat().st_mtime, reverse=True)
        if not files:
            raise UsageError(f"no LLVM IR (.ll) files under {path}: build with "
                             "'cargo rustc -- -Zsanitizer=cfi --emit=llvm-ir'")
    else:
        files = [p]
    found: dict[str, str] = {}
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read {f}: {e.strerror or e}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise UsageError(f"{f} is not LLVM IR: not UTF-8 (byte {e.start})") from None
        for name, dis in disambiguators_from_ir(text).items():
            found.setdefault(name, dis)
    if not found:
        raise UsageError(f"no crate disambiguators in {path}: it holds no CFI type ids with "
                         "Rust paths (was it built with -Zsanitizer=cfi?)")
    return found


def format_crates(crates: Mapping[str, str]) -> str:
    """``core=...,std=...`` as ``--crates`` takes it."""
    return ",".join(f"{k}={v}" for k, v in crates.items())


def _cmd_rust_crates(args: argparse.Namespace) -> int:
    if args.from_ir:
        crates = read_ir_disambiguators(args.from_ir)
    else:
        crates = probe_disambiguators(args.crate, args.rustc)
    print(json.dumps(crates) if args.json else format_crates(crates))
    return 0


def add_rust_crates(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``rust-crates`` subcommand."""
    p = sub.add_parser(
        "rust-crates", help="print crate disambiguators (for --crates) read from rustc",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Rust paths in type ids carry each crate's disambiguator ('sgEmfK2I1SDT_' in
NtCsgEmfK2I1SDT_4core6option6Option). It depends on the crate name, its -C metadata and the
rustc version, so it is read from rustc: by default from a probe crate compiled by the local
rustc (core, std, alloc, and a crate named --crate built by plain rustc); with --from-ir, from
the LLVM IR of your own build (cargo passes -C metadata, which changes your crate's value).
The output is what --crates takes.""")
    p.add_argument("--crate", default="probe", metavar="NAME",
                   help="name of the local crate to probe (default: probe)")
    p.add_argument("--rustc", default=None, metavar="PATH", help="rustc to ask")
    p.add_argument("--from-ir", default=None, metavar="FILE",
                   help="read the disambiguators out of an LLVM IR file instead")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(run=_cmd_rust_crates)
