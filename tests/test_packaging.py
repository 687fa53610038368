"""The wheel must carry the grammars: a non-editable install, run from another directory,
encodes."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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


# ---- the optional compiled build (setup.py, CFI_TYPEID_COMPILE=1) -----------------------------

#: Batch lines that reach every branch of batch's error handling as well as the ids.
_BATCH_LINES = "\n".join([
    *(json.dumps({"decl": d, "prelude": "typedef unsigned long size_t_; struct s;", "id": i})
      for i, d in enumerate([
          "int f(long, const char *, ...);", "void g(struct s *, size_t_ n);",
          "int (*h(void))(int);", "void k(int a[static 4], double _Complex);",
          "void bad(unknown_t);", "void f(", "int x;"])),
    '{"decl": "void f(void);", "n": NaN}', "not json", "[1, 2]", '{"decl": 5}',
    '{"decl": "void f(T);", "prelude": "typedef int T; /* unterminated"}',
]) + "\n"
_HEADER = ("/* a comment */\n#define X 1\ntypedef struct z_stream_s { int a; } z_stream;\n"
           "int deflate(z_stream *strm, int flush) __attribute__((nonnull));\n"
           "extern const char *zlibVersion(void);\nint broken(;\n")


def _wheel(tmp_path: Path, name: str, **env: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    dist = tmp_path / name
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w",
                            str(dist), str(ROOT)], env=dict(os.environ, **env),
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return next(dist.glob("cfi_typeid-*.whl")), build


def _install(tmp_path: Path, wheel: Path, name: str) -> dict[str, str]:
    site = tmp_path / name
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True)
    return dict(os.environ, PYTHONPATH=str(site))


def _outputs(env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """batch and header output of the installed build in ``env`` on the inputs above."""
    batch = subprocess.run([sys.executable, "-m", "cfi_typeid", "batch", "-"],
                           input=_BATCH_LINES, cwd=cwd, env=env, capture_output=True, text=True)
    header = subprocess.run([sys.executable, "-m", "cfi_typeid", "header", "--jsonl", "-"],
                            input=_HEADER, cwd=cwd, env=env, capture_output=True, text=True)
    assert "Traceback" not in batch.stderr + header.stderr, batch.stderr + header.stderr
    return batch.stdout, header.stdout


def _loaded_from(env: dict[str, str], cwd: Path, module: str) -> str:
    return subprocess.run([sys.executable, "-c", f"import {module} as m; print(m.__file__)"],
                          cwd=cwd, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def _pure_env() -> dict[str, str]:
    """This checkout's sources, pure Python, run from another directory."""
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _setup_value(name: str) -> object:
    """A literal assigned at setup.py's top level, read without running setup.py."""
    import ast
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"setup.py has no {name}")


def _setup_modules() -> list[str]:
    """setup.py's COMPILED list and the modules it generates (GENERATED)."""
    compiled, generated = _setup_value("COMPILED"), _setup_value("GENERATED")
    assert isinstance(compiled, list) and isinstance(generated, dict)
    return [str(v) for v in compiled] + [str(v) for v in generated.values()]


def _c_compiler() -> bool:
    import shlex
    import shutil
    import sysconfig
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shutil.which(shlex.split(cc)[0]) is not None


_NEEDS_MYPYC = pytest.mark.skipif(importlib.util.find_spec("mypyc") is None,
                                  reason="mypyc not installed")
_NEEDS_CC = pytest.mark.skipif(not _c_compiler(), reason="no C compiler")


@pytest.fixture(scope="module")
def compiled_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """The package built with CFI_TYPEID_COMPILE=1 and installed: its environment, and the
    wheel (built once for the tests below: about a minute of CPU)."""
    tmp = tmp_path_factory.mktemp("compiled")
    wheel, build = _wheel(tmp, "compiled", CFI_TYPEID_COMPILE="1")
    names = zipfile.ZipFile(wheel).namelist()
    for module in _setup_modules():
        stem = module.removesuffix(".py")
        assert any(n.startswith(stem + ".cpython") and n.endswith(".so") for n in names), \
            f"{module} not compiled:\n{build.stderr[-2000:]}"
        assert module in names  # the source, for the pure fallback
    return _install(tmp, wheel, "site"), wheel


@_NEEDS_MYPYC
@_NEEDS_CC
def test_compiled_build_answers_as_the_pure_one(
        compiled_site: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    """CFI_TYPEID_COMPILE=1 compiles setup.py's modules; the compiled package gives the pure
    one's output byte for byte (error paths included), and carries its .py sources too."""
    compiled_env, _ = compiled_site
    pure_env = _pure_env()
    assert _loaded_from(compiled_env, tmp_path, "cfi_typeid.itanium.encoder").endswith(".so")
    assert _loaded_from(pure_env, tmp_path, "cfi_typeid.itanium.encoder").endswith(".py")
    assert _outputs(compiled_env, tmp_path) == _outputs(pure_env, tmp_path)
    # the C front end runs the generated parser module compiled (and the pure package, which
    # has none, the exec'd code; so does the compiled one with CFI_TYPEID_PARSER=exec)
    probe = ("from cfi_typeid.c.frontend import _TRANSFORMER; "
             "from cfi_typeid.c.syntax import c_fast_parser; "
             "print(getattr(c_fast_parser(_TRANSFORMER)._parse, '__module__', None))")
    for env, expected in ((compiled_env, "cfi_typeid.parsing._built_c"), (pure_env, None),
                          (dict(compiled_env, CFI_TYPEID_PARSER="exec"), None)):
        run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=True)
        assert run.stdout.strip() == str(expected), run.stdout
    assert _outputs(dict(compiled_env, CFI_TYPEID_PARSER="exec"), tmp_path) \
        == _outputs(pure_env, tmp_path)


#: The tests of the compiled modules' code, run against the compiled build by
#: CFI_TYPEID_TEST_COMPILED=1 (a few minutes: not in the default run): every C test file,
#: since the C grammar's rule methods (constant folding included) are compiled.
_COMPILED_SUITE = [
    "test_c_fast_path.py", "test_batch_contract.py", "test_cli.py", "test_golden_c.py",
    "test_c_reader.py", "test_c_headers.py", "test_compiled_parser.py", "test_c_modes.py",
    "test_c_calling_conventions.py", "test_c_roundtrip.py", "test_targets.py",
    "test_c_layout.py", "test_c_vectors.py", "test_c_refusals.py", "test_c_typedef_names.py",
    "test_c23.py", "test_c_atomic.py", "test_c_composite.py", "test_c_folded_builtins.py",
    "test_c_memory.py", "test_c_overloadable.py", "test_differential_c.py",
    "test_c_typed_expressions.py",
    "test_rust_frontend.py", "test_rust_file.py", "test_rust_golden.py", "test_rust_file_tokens.py",
    "test_rust_item_checks.py", "test_rust_methods.py", "test_rust_traits.py", "test_rust_abi.py",
    "test_rust_reuse.py", "test_rust_signature_rules.py", "test_background.py",
]


@_NEEDS_MYPYC
@_NEEDS_CC
@pytest.mark.skipif(os.environ.get("CFI_TYPEID_TEST_COMPILED") != "1",
                    reason="CFI_TYPEID_TEST_COMPILED=1: the C and Rust tests on the compiled build")
def test_c_tests_pass_on_the_compiled_build(compiled_site: tuple[dict[str, str], Path]) -> None:
    env, _ = compiled_site
    env = dict(env, CFI_TYPEID_TEST_COMPILED="0")
    # (the pytest script, not python -m pytest, which would put this checkout on the path)
    probe = ("import sys, pytest, cfi_typeid.api as m; "
             "assert m.__file__.endswith('.so'), m.__file__; "
             "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *sys.argv[1:]]))")
    run = subprocess.run([sys.executable, "-P", "-c", probe,
                          *(str(ROOT / "tests" / name) for name in _COMPILED_SUITE)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@_NEEDS_MYPYC
def test_compiled_build_without_a_c_compiler_is_pure_python(tmp_path: Path) -> None:
    """Asked to compile where no C compiler runs, the build says so and installs the pure
    package, which works."""
    wheel, build = _wheel(tmp_path, "nocc", CFI_TYPEID_COMPILE="1", CC="/nonexistent/cc",
                          LDSHARED="/nonexistent/cc -shared")
    assert not [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".so")]
    assert "installing pure Python" in build.stdout + build.stderr
    env = _install(tmp_path, wheel, "site-nocc")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _loaded_from(env, elsewhere, "cfi_typeid.itanium.encoder").endswith(".py")
    assert _outputs(env, elsewhere) == _outputs(_pure_env(), elsewhere)


def test_runs_from_a_source_tree_without_the_grammar_package(tmp_path: Path) -> None:
    """The README's quick start installs the wheel and runs ``python -m cfi_typeid`` in the
    clone: the source tree comes first on ``sys.path`` and has no ``cfi_typeid.grammar`` (its
    ``grammar/`` is beside the package).  ``-S`` leaves out the editable install's path hook,
    so this is the source tree alone (the other packages come from their folders by path)."""
    import lark
    libraries = os.path.dirname(os.path.dirname(lark.__file__))
    env = dict(os.environ, PYTHONPATH=libraries, TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-S", "-m", "cfi_typeid", "encode", "void f(long)"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "_ZTSFvlE"
