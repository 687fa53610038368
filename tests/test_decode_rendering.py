"""Rendering a decoded id back as source: calling conventions inside C function pointers
(``PU6ms_abiF...E`` as ``int (__attribute__((ms_abi)) *)(int)``) and Rust trait objects
(``u3dynI...E`` as ``dyn Trait<..> + Send``).  The law: the rendering, compiled by the compiler
(and read by us), gives the id decoded."""

from __future__ import annotations

import pytest

import cfi_typeid
from cfi_typeid.itanium.decoded import decode_typeid
from cfi_typeid.itanium.render_decoded import render_as_c

from conftest import needs_clang
from oracles import clang_ids

#: (target, id clang-19 gives) for prototypes with calling conventions on function pointers.
CONVENTIONS = (
    ("x86_64-unknown-linux-gnu", "_ZTSFvPU6ms_abiFiiEE"),
    ("x86_64-unknown-linux-gnu", "_ZTSFPU6ms_abiFilEvE"),
    ("x86_64-unknown-linux-gnu", "_ZTSFvPPU6ms_abiFiiEPFvvEE"),
    ("x86_64-unknown-linux-gnu", "_ZTSU6ms_abiFvPU6ms_abiFiiEE"),
    ("x86_64-unknown-linux-gnu", "_ZTSFvPU6ms_abiFiPU6ms_abiFvvEEE"),
    ("x86_64-unknown-linux-gnu", "_ZTSFvPFvPU6ms_abiFivEEE"),
    ("aarch64-unknown-linux-gnu", "_ZTSFvPU6ms_abiFiiEE"),
    ("x86_64-pc-windows-gnu", "_ZTSFvPU8sysv_abiFilEE"),
)


@pytest.mark.parametrize("target, typeid", CONVENTIONS)
def test_a_calling_convention_on_a_function_pointer_renders_as_its_attribute(
        target: str, typeid: str) -> None:
    c = render_as_c(decode_typeid(typeid))
    assert "__attribute__((" in c.decl
    assert cfi_typeid.typeid(c.prelude + "\n" + c.decl, target=target) == typeid


@needs_clang
@pytest.mark.clang
@pytest.mark.parametrize("target", sorted({t for t, _ in CONVENTIONS}))
def test_clang_gives_the_rendered_conventions_the_decoded_ids(target: str) -> None:
    wanted = [typeid for t, typeid in CONVENTIONS if t == target]
    decls = [render_as_c(decode_typeid(typeid), f"f{i}") for i, typeid in enumerate(wanted)]
    source = "".join(f"{c.prelude}\n{c.decl}\n" for c in decls) + "void *cfi_table[] = { " \
        + ", ".join(f"(void *)f{i}" for i in range(len(wanted))) + " };\n"
    ids = clang_ids(source, target)
    assert [ids[f"f{i}"][0] for i in range(len(wanted))] == wanted
