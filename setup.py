"""The optional compiled build; everything else about the package is in pyproject.toml.

``CFI_TYPEID_COMPILE=1 pip install .`` compiles the modules in :data:`COMPILED` with mypyc
(mypy's compiler, fetched as a build requirement) into extension modules that Python imports
in place of the ``.py`` files, which the wheel still carries.  Without the variable, and for
every editable install, nothing is compiled: the package is pure Python, as it always works.
A compiled build that cannot be made (no mypyc, no C compiler, a compiler error) says why and
falls back to pure Python, so ``pip install .`` works on a machine without a C compiler.

Only modules measured to gain are compiled (benchmarks/README.md): the transforms and the
encoder, the C front end's lexing-level code and driver, the library and batch, and the C
grammar's parser, generated here as a typed module
(:mod:`cfi_typeid.parsing.typed`; the untyped code that the pure package exec's gained
nothing compiled), and the C grammar's rule methods (``c/semantics``, ``c/declarations``,
``c/constants``, ``c/conversions``).  Generating the parser needs Lark, a build requirement
of the compiled build alone, as mypy is.  The model stays Python (compiled, its dataclasses were slower from
the Python code around them), and so does ``c/typed_int.Typed``, an ``int`` subclass that
mypyc refuses; mypyc keeps an ``int``-typed value as a machine integer, which would drop a
``Typed`` (and its C type: ``-1 < 0u`` folded to 1), so the constant folder types its values
``Typed``, never ``int``.
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
    "cfi_typeid/c/semantics.py",
    "cfi_typeid/c/declarations.py",
    "cfi_typeid/c/constants.py",
    "cfi_typeid/c/conversions.py",
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

#: The modules that ``CFI_TYPEID_COMPILE=1`` generates into the source tree, compiles with
#: those above, and removes from the tree again once the wheel has them (see
#: :func:`_generate`): grammar name -> module.
GENERATED = {"c": "cfi_typeid/parsing/_built_c.py"}

_HERE = os.path.dirname(os.path.abspath(__file__))


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


def _has(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


def _generate() -> list[str]:
    """Write the typed parser modules of :data:`GENERATED` (the C grammar's, for the C front
    end's rule methods) and return their paths; none when that fails, which only leaves
    them out of the compiled build (the pure package never needs them)."""
    sys.path.insert(0, _HERE)
    try:
        from cfi_typeid.c.semantics import CTransformer
        from cfi_typeid.c.syntax import _LEXER_CALLBACKS, _grammar, c_parser
        from cfi_typeid.parsing.tables import load_tables
        from cfi_typeid.parsing.typed import write_module
        grammar = _grammar()
        write_module(os.path.join(_HERE, GENERATED["c"]), "c", grammar,
                     load_tables("c", grammar, c_parser), CTransformer(),
                     bool(_LEXER_CALLBACKS), True)
    except Exception as e:  # noqa: BLE001 - any failure: compile without the parser
        _say(f"generating the C parser failed ({type(e).__name__}: {e}); not compiling it")
        _remove_generated()
        return []
    finally:
        sys.path.remove(_HERE)
    return list(GENERATED.values())


def _remove_generated() -> None:
    for path in GENERATED.values():
        try:
            os.unlink(os.path.join(_HERE, path))
        except OSError:
            pass


def _extensions() -> list[object]:
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("CFI_TYPEID_COMPILE=1 but mypyc is not installed; installing pure Python")
        return []
    try:
        # (an isolated build environment has mypy but not the runtime dependencies: their
        # types are then Any to mypyc, which compiles the calls generically)
        return list(mypycify(["--ignore-missing-imports", *COMPILED, *_generate()],
                             opt_level="3", group_name="cfi_typeid"))
    except BaseException as e:  # noqa: BLE001 - mypyc exits on a type error
        _say(f"mypyc failed ({type(e).__name__}: {e}); installing pure Python")
        return []


#: An editable install (PEP 660's editable_wheel, or setup.py develop) is never compiled:
#: mypyc would not even be run (OptionalBuildExt refuses too, in case a frontend differs).
_EDITABLE = bool({"editable_wheel", "develop"} & set(sys.argv))
_COMPILE = os.environ.get("CFI_TYPEID_COMPILE") == "1"
if _COMPILE and _EDITABLE:
    _say("not compiling for an editable install (pure Python)")
# mypyc (and Lark, to generate the parser) only when asked for, build requirements of that
# build alone: an isolated build (pip's default) learns them from PEP 517's
# get_requires_for_build_wheel and installs them, then runs this again with them there.
_FETCH = _COMPILE and not (_has("mypyc") and _has("lark"))

try:
    setup(
        ext_modules=_extensions() if _COMPILE and not _FETCH and not _EDITABLE else [],
        cmdclass={"build_ext": OptionalBuildExt, "build_py": FreshBuildPy},
        setup_requires=["mypy>=1.8", "lark>=1.1.9"] if _FETCH else [],
    )
finally:
    # (the wheel has them by now: a generated module left in the tree would be
    # packed into a later pure build, or shadow nothing but confuse a reader)
    _remove_generated()
