"""The wheel must carry the grammars: a non-editable install, run from another directory,
encodes."""

from __future__ import annotations

import importlib
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
    # every stage's package (pyproject.toml lists them by hand: a new one must be added there)
    package = ROOT / "cfi_typeid"
    for init in package.rglob("__init__.py"):
        module = init.relative_to(ROOT).as_posix()
        assert module in names, f"{module} is not in the wheel (add it to pyproject.toml)"
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, "-m", "cfi_typeid", "encode", "void f(long)"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "_ZTSFvlE"
    header = subprocess.run([sys.executable, "-m", "cfi_typeid", "header", "--jsonl", "-"],
                            input="int deflate(long);\n", cwd=elsewhere, env=env,
                            capture_output=True, text=True, check=True)
    assert '"plain": "_ZTSFilE"' in header.stdout  # the whole-file reader, installed
    probe = subprocess.run([sys.executable, "-c", "import cfi_typeid; print(cfi_typeid.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.startswith(str(site))


def test_public_names_are_lazy_and_never_shadowed_by_modules() -> None:
    """``import cfi_typeid`` loads no parser or decoder (start-up is most of a one-off run),
    and once every module is loaded, each public name is still the function or class, never a
    submodule of the same name (a submodule import sets that attribute on the package)."""
    import types

    code = ("import sys, cfi_typeid; "
            "print(sorted(m for m in sys.modules if m.startswith('cfi_typeid.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "cfi_typeid.api" not in loaded and "cfi_typeid.itanium.decoded" not in loaded

    import cfi_typeid
    package = Path(cfi_typeid.__file__).parent
    for path in sorted(package.rglob("[!_]*.py")):
        dotted = ".".join(path.relative_to(package).with_suffix("").parts)
        importlib.import_module(f"cfi_typeid.{dotted}")
    for name in cfi_typeid.__all__:
        assert not isinstance(getattr(cfi_typeid, name), types.ModuleType), name
    assert cfi_typeid.typeid("void f(long);") == "_ZTSFvlE"
