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
import tempfile
from pathlib import Path
from typing import Mapping

from ..errors import UsageError

#: ``N<namespace>C<disambiguator><len><crate>`` as v0 paths in type ids spell a crate root.
_CRATE_ROOT = re.compile(r"N[a-zA-Z]C(s[0-9A-Za-z]*_)(\d+)")

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
    # only in type ids: v0 symbol names (``_RINvCs..W_5probe``, generic instances) spell the
    # same crate with another disambiguator
    for typeid in re.findall(r'!"(_ZTS[^"]*)"', ir):
        for m in _CRATE_ROOT.finditer(typeid):
            length = int(m.group(2))
            name = typeid[m.end():m.end() + length]
            if name.isidentifier():
                found.setdefault(name, m.group(1))
    return found


def probe_disambiguators(crate: str = "probe", rustc: str | None = None) -> dict[str, str]:
    """The disambiguators of ``core``, ``std``, ``alloc`` and of a crate named ``crate`` built
    by plain ``rustc --crate-name crate`` (what the differential tests do)."""
    exe = rustc or shutil.which("rustc")
    if exe is None:
        raise UsageError("rustc not found: install Rust, or pass --rustc PATH")
    if not crate.isidentifier():
        raise UsageError(f"{crate!r} is not a crate name")
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "probe.rs", Path(d) / "probe.ll"
        src.write_text(_PROBE)
        env = dict(os.environ, RUSTC_BOOTSTRAP="1")
        proc = subprocess.run([exe, "--crate-name", crate, *_FLAGS, str(src), "-o", str(out)],
                              capture_output=True, text=True, env=env, timeout=300)
        if proc.returncode != 0:
            raise UsageError(f"rustc failed on the probe crate:\n{proc.stderr[:2000]}")
        return disambiguators_from_ir(out.read_text())


def format_crates(crates: Mapping[str, str]) -> str:
    """``core=...,std=...`` as ``--crates`` takes it."""
    return ",".join(f"{k}={v}" for k, v in crates.items())


def _cmd_rust_crates(args: argparse.Namespace) -> int:
    if args.from_ir:
        try:
            crates = disambiguators_from_ir(Path(args.from_ir).read_text())
        except OSError as e:
            raise UsageError(f"cannot read {args.from_ir}: {e}") from None
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
