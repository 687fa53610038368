"""``cfi_typeid.check_bindings``: a header and its bindings, given as files.

Reads the C side with :func:`~cfi_typeid.sources.c_header.read_c_files` and the Rust side with
:func:`~cfi_typeid.sources.rust_file.read_rust_files`, then pairs and compares them with
:func:`~cfi_typeid.crosscheck.bindings.check_bindings`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Iterable, Mapping, Sequence

from . import bindings
from ..sources.records import Scan
from ..targets import DEFAULT_TARGET


def check_bindings(c_paths: Sequence[str], rust_paths: Sequence[str], *,
                   target: str = DEFAULT_TARGET, options: Iterable[str] | None = None,
                   c_options: Sequence[str] | None = None,
                   rust_options: Sequence[str] | None = None, cpp: bool = False,
                   cpp_args: Sequence[str] = (), edition: str = "2021",
                   crate: str = "probe", crates: Mapping[str, str] | None = None
                   ) -> bindings.BindingsReport:
    """Compare the C headers ``c_paths`` with their Rust bindings ``rust_paths`` (``-``:
    standard input) under each option set; see :func:`.bindings.check_bindings`."""
    # Imported by name: the readers live in their own branches until the merge.
    read_c_files = import_module("cfi_typeid.sources.c_header").read_c_files
    read_rust_files = import_module("cfi_typeid.sources.rust_file").read_rust_files
    c: Scan = read_c_files(c_paths, target=target, cpp=cpp, cpp_args=cpp_args)
    rust: Scan = read_rust_files(rust_paths, target=target, edition=edition, crate=crate,
                           crates=crates)
    return bindings.check_bindings(c, rust, target=target, options=options,
                                   c_options=c_options, rust_options=rust_options)
