"""The wheel must carry the grammars: a non-editable install, run from another directory,
encodes."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_grammars_and_works_installed(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("cfi_typeid-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "cfi_typeid/grammar/c.lark" in names
    assert "cfi_typeid/py.typed" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, "-m", "cfi_typeid", "encode", "void f(long)"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "_ZTSFvlE"
    probe = subprocess.run([sys.executable, "-c", "import cfi_typeid; print(cfi_typeid.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.startswith(str(site))
