"""``cfi_typeid.check_bindings``: a header and its bindings, given as files.

Reads the C side with :func:`~cfi_typeid.sources.c_header.read_c_files` and the Rust side with
:func:`~cfi_typeid.sources.rust_file.read_rust_files`, then pairs and compares them with
:func:`~cfi_typeid.crosscheck.bindings.check_bindings`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import bindings
from .check import option_pairs
from ..errors import UsageError
from ..sources.background import Background, Forked, spare_cpu
from ..sources.records import Scan
from ..targets import DEFAULT_C_STANDARD, DEFAULT_TARGET, get_target, with_c_standard


def _reader(module: str, name: str) -> Any:
    # Imported by name: the readers were written in other branches at the same time as this.
    try:
        return getattr(import_module(f"cfi_typeid.sources.{module}"), name)
    except (ImportError, AttributeError):
        raise UsageError(f"this installation has no cfi_typeid.sources.{module}.{name}") from None


def local_crates(crate: str) -> Mapping[str, str] | None:
    """The disambiguators the local rustc gives ``core``, ``std``, ``alloc`` and ``crate``:
    bindgen's output names ``::std::option::Option`` in every nullable callback, whose id
    spells ``core``'s (probed once per compiler version and crate name, then cached).  None
    (the reader then says what is missing) without a rustc."""
    from ..rust.crates import cached_probe_disambiguators
    try:
        return cached_probe_disambiguators(crate)
    except UsageError:
        return None


def _read_c_side(c_paths: Sequence[str], target: str, cpp: bool, cpp_args: Sequence[str],
                 std: str = DEFAULT_C_STANDARD) -> Callable[[], Scan]:
    """Start reading the C side; what this returns finishes it and gives its records (or
    raises its error).  With a spare CPU the whole C side (the preprocessor and the reading)
    runs in a forked process while this one reads the Rust side; else the preprocessor runs
    in a thread meanwhile (it waits on a subprocess) and the reading is done here."""
    if "-" not in c_paths and spare_cpu():
        with_c_standard(get_target(target), std)  # refused before any work, as below
        forked = Forked(lambda: _read_c_files_later(c_paths, target, cpp, cpp_args, std)(),
                        fork=True)
        return forked.result
    return _read_c_files_later(c_paths, target, cpp, cpp_args, std)


def _read_c_files_later(c_paths: Sequence[str], target: str, cpp: bool,
                        cpp_args: Sequence[str], std: str = DEFAULT_C_STANDARD
                        ) -> Callable[[], Scan]:
    read_c_files_later = _reader("c_header", "read_c_files_later")
    finish: Callable[[], Scan] = read_c_files_later(c_paths, target=target, cpp=cpp,
                                                    cpp_args=cpp_args, std=std)
    return finish


def check_bindings(c_paths: Sequence[str], rust_paths: Sequence[str], *,
                   target: str = DEFAULT_TARGET, options: Iterable[str] | None = None,
                   c_options: Sequence[str] | None = None,
                   rust_options: Sequence[str] | None = None, cpp: bool = False,
                   cpp_args: Sequence[str] = (), edition: str = "2021",
                   crate: str = "probe", crates: Mapping[str, str] | None = None,
                   c_std: str = DEFAULT_C_STANDARD) -> bindings.BindingsReport:
    """Compare the C headers ``c_paths`` with their Rust bindings ``rust_paths`` (``-``:
    standard input) under each option set; see :func:`.bindings.check_bindings`.  Without
    ``crates``, the crate disambiguators are the local rustc's (:func:`local_crates`).
    ``c_std`` is the C standard the headers are read in (clang's ``-std=``)."""
    option_pairs(options, c_options, rust_options)  # bad option sets fail before any reading
    finish_c = _read_c_side(c_paths, target, cpp, cpp_args, c_std)
    # the local rustc's crates (rustc -vV) are asked for while the files are read
    asked = Background(lambda: local_crates(crate)) if crates is None else None
    read_rust_files = _reader("rust_file", "read_rust_files")
    try:
        rust: Scan = read_rust_files(rust_paths, target=target, edition=edition, crate=crate,
                                     crates=crates if asked is None else asked.result,
                                     parallel=None)
    except Exception:
        finish_c()  # C's error, if it has one, is the one to report
        raise
    c: Scan = finish_c()
    return bindings.check_bindings(c, rust, target=target, options=options,
                                   c_options=c_options, rust_options=rust_options)
