"""The optional compiled build; everything else about the package is in pyproject.toml.

``CFI_TYPEID_COMPILE=1 pip install .`` compiles the modules in :data:`COMPILED` with mypyc
(mypy's compiler, fetched as a build requirement) into extension modules that Python imports
in place of the ``.py`` files, which the wheel still carries.  Without the variable, and for
every editable install, nothing is compiled: the package is pure Python, as it always works.
A compiled build that cannot be made (no mypyc, no C compiler, a compiler error) says why and
falls back to pure Python, so ``pip install .`` works on a machine without a C compiler.

Only modules measured to gain are compiled (benchmarks/README.md): the transforms and the
encoder, the C front end's lexing-level code and driver, the library and batch.  The model
stays Python (compiled, its dataclasses were slower from the Python code around them), and
so does the generated parser (compiled untyped, it gained nothing).
"""

from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

#: The modules compiled by ``CFI_TYPEID_COMPILE=1``.
COMPILED = [
    "cfi_typeid/transform.py",
    "cfi_typeid/itanium/encoder.py",
    "cfi_typeid/c/syntax.py",
    "cfi_typeid/c/frontend.py",
    "cfi_typeid/c/reader.py",
    "cfi_typeid/api.py",
    "cfi_typeid/cli/batch.py",
    "cfi_typeid/rust/frontend.py",
    "cfi_typeid/rust/lower.py",
    "cfi_typeid/rust/tree_types.py",
    "cfi_typeid/rust/tree.py",
    "cfi_typeid/rust/item_checks.py",
    "cfi_typeid/rust/abi.py",
    "cfi_typeid/rust/env.py",
    "cfi_typeid/rust/lexer.py",
    "cfi_typeid/rust/cut.py",
    "cfi_typeid/rust/file.py",
    "cfi_typeid/rust/offsets.py",
    "cfi_typeid/rust/syntax.py",
]


def _say(message: str) -> None:
    print(f"cfi_typeid build: {message}", file=sys.stderr)


class OptionalBuildExt(build_ext):
    """``build_ext`` that never fails the install: a compiled module that cannot be built
    leaves none of them (they are one library), and the ``.py`` sources serve instead.
    Never in place: a compiled module next to its source would shadow every later edit."""

    def run(self) -> None:
        if not self.extensions:
            return
        if self.inplace or getattr(self, "editable_mode", False):
            _say("not compiling for an editable or in-place build (pure Python)")
            return
        # Always compiled afresh: an up-to-date library left in build/ by an earlier run
        # would otherwise be taken as is, even where no compiler runs now.
        self.force = True
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - any failure: fall back to pure Python
            _say(f"compiling failed ({type(e).__name__}: {e}); installing pure Python")
            for ext in self.extensions:
                path = self.get_ext_fullpath(ext.name)
                if os.path.exists(path):
                    os.unlink(path)

    def get_outputs(self) -> list[str]:
        return [p for p in super().get_outputs() if os.path.exists(p)]


class FreshBuildPy(build_py):
    """``build_py`` into an emptied ``build/lib/cfi_typeid``: setuptools copies the sources
    over what an earlier build left there, so a module since deleted or moved (and its
    compiled library) would otherwise be packed into the wheel again."""

    def run(self) -> None:
        import shutil
        if not getattr(self, "editable_mode", False):
            shutil.rmtree(os.path.join(self.build_lib, "cfi_typeid"), ignore_errors=True)
        super().run()


def _has_mypyc() -> bool:
    import importlib.util
    return importlib.util.find_spec("mypyc") is not None


def _extensions() -> list[object]:
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("CFI_TYPEID_COMPILE=1 but mypyc is not installed; installing pure Python")
        return []
    try:
        # (an isolated build environment has mypy but not the runtime dependencies: their
        # types are then Any to mypyc, which compiles the calls generically)
        return list(mypycify(["--ignore-missing-imports", *COMPILED], opt_level="3",
                             group_name="cfi_typeid"))
    except BaseException as e:  # noqa: BLE001 - mypyc exits on a type error
        _say(f"mypyc failed ({type(e).__name__}: {e}); installing pure Python")
        return []


#: An editable install (PEP 660's editable_wheel, or setup.py develop) is never compiled:
#: mypyc would not even be run (OptionalBuildExt refuses too, in case a frontend differs).
_EDITABLE = bool({"editable_wheel", "develop"} & set(sys.argv))
_COMPILE = os.environ.get("CFI_TYPEID_COMPILE") == "1"
if _COMPILE and _EDITABLE:
    _say("not compiling for an editable install (pure Python)")
# mypyc only when asked for, a build requirement of that build alone: an isolated build
# (pip's default) learns it from PEP 517's get_requires_for_build_wheel and installs it,
# then runs this again with mypyc there.
_FETCH_MYPYC = _COMPILE and not _has_mypyc()

setup(
    ext_modules=_extensions() if _COMPILE and not _FETCH_MYPYC and not _EDITABLE else [],
    cmdclass={"build_ext": OptionalBuildExt, "build_py": FreshBuildPy},
    setup_requires=["mypy>=1.8"] if _FETCH_MYPYC else [],
)
