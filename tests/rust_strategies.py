"""The Rust strategies (now the public :mod:`cfi_typeid.strategies.rust`) and rustc run on every
target for the differential tests: a custom target spec where rustc's built-in one lacks the
CFI sanitizers, and the six fields read from its IR."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from cfi_typeid.strategies.rust import *  # noqa: F401,F403 - the tests import them from here
from cfi_typeid.strategies.rust import (  # noqa: F401
    _FIELD_CTX_DEPTH, _GENERIC_CORE, _USES, _lifetime, _repr_attrs, _uses,
)
from cfi_typeid.strategies.rust import RUSTC_TARGETS
from oracles import RUSTC, ids_from_ir, kcfi_from_ir, rustc_ir

# rustc writes a report file into the working directory when it panics; not into the repo
os.environ.setdefault("RUSTC_ICE", "0")


@cache
def _custom_target(triple: str) -> str:
    assert RUSTC is not None
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    spec = json.loads(subprocess.run(
        [RUSTC, "-Zunstable-options", "--print", "target-spec-json", "--target", triple],
        capture_output=True, text=True, check=True, env=env).stdout)
    spec["supported-sanitizers"] = sorted(set(spec.get("supported-sanitizers", []))
                                          | {"cfi", "kcfi"})
    spec.pop("is-builtin", None)
    folder = tempfile.mkdtemp(prefix="cfi_typeid_target_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # once the test run is over
    path = Path(folder) / f"{triple}-cfi.json"
    path.write_text(json.dumps(spec))
    return str(path)


def target_args(target: str) -> tuple[str | None, list[str]]:
    triple, custom = RUSTC_TARGETS[target]
    if target == "x86_64-unknown-linux-gnu":
        return None, []
    if custom:
        return _custom_target(triple), ["-Zunstable-options"]
    return triple, []


def target_ir(source: str, target: str, kcfi: bool = False, normalize: bool = True) -> str:
    rustc_target, extra = target_args(target)
    if kcfi and not normalize:
        extra = [*extra, "-Zsanitizer-cfi-normalize-integers=no"]
    ir = rustc_ir(source, target=rustc_target, kcfi=kcfi, extra=extra)
    return ir.replace('!{i32 0, !"', '!{i64 0, !"')  # 32-bit targets' type metadata


def rustc_typeids(plain_src: str, norm_src: str, names: list[str],
                  target: str = "x86_64-unknown-linux-gnu"
                  ) -> tuple[dict[str, dict[str, str]], str]:
    """Function name → the six fields rustc gives it, and the IR of ``plain_src`` (to read
    crate disambiguators from).  ``plain_src`` gives the plain and generalized ids and the
    plain KCFI hash, ``norm_src`` the normalized ones (they differ only in how they define
    the ``cfi_types`` newtypes)."""
    plain_ir, norm_ir = target_ir(plain_src, target), target_ir(norm_src, target)
    plain, norm = ids_from_ir(plain_ir), ids_from_ir(norm_ir)
    kcfi = kcfi_from_ir(target_ir(plain_src, target, kcfi=True, normalize=False))
    kcfi_norm = kcfi_from_ir(target_ir(norm_src, target, kcfi=True))
    out: dict[str, dict[str, str]] = {}
    for name in names:
        p, n = plain[name], norm[name]
        out[name] = {
            "plain": p[0], "generalized": p[1], "normalized": n[2],
            "normalized_generalized": n[3], "kcfi": f"0x{kcfi[name]:08x}",
            "kcfi_normalized": f"0x{kcfi_norm[name]:08x}",
        }
    return out, plain_ir
