"""Rendering a decoded id back as source: calling conventions inside C function pointers
(``PU6ms_abiF...E`` as ``int (__attribute__((ms_abi)) *)(int)``) and Rust trait objects
(``u3dynI...E`` as ``dyn Trait<..> + Send``).  The law: the rendering, compiled by the compiler
(and read by us), gives the id decoded."""

from __future__ import annotations

import pytest

import cfi_typeid
from cfi_typeid.itanium.decoded import decode_typeid
from cfi_typeid.itanium.render_decoded import render_as_c

from conftest import needs_clang, needs_rustc
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


#: Ids rustc 1.95 gives trait-object parameters (crate probe, of extern "C" functions).
TRAIT_OBJECTS = (
    "_ZTSFvu3refIu3dynIu33NtNtCsgEmfK2I1SDT_4core3fmt5Debugu6regionEEE",
    "_ZTSFvPKu3dynIu24NtCsXXId2UFtzX_5probe2Tru6regionEE",
    "_ZTSFvu3refIu3dynIu25NtCsXXId2UFtzX_5probe3GenIu2u8Eu6regionEEE",
    "_ZTSFvu3refIu3dynIu33NtNtCsgEmfK2I1SDT_4core3fmt5Debugu35NtNtCsgEmfK2I1SDT_4core6marker4"
    "Sendu6regionEEE",
    "_ZTSFvu3refIu3dynIu35NtNtCsgEmfK2I1SDT_4core6marker4Syncu35NtNtCsgEmfK2I1SDT_4core6marker"
    "4Sendu6regionEEE",
    "_ZTSFvU3mutu3refIu3dynIu57NtNtNtNtCsgEmfK2I1SDT_4core4iter6traits8iterator8Iteratoru64NtNt"
    "NtNtNtCsgEmfK2I1SDT_4core4iter6traits8iterator8Iterator4Itemu2u8u6regionEEE",
    "_ZTSFvu3refIu3dynIu41NtNtNtCsgEmfK2I1SDT_4core3ops8function2FnIu5tupleIu3i32EEu54NtNtNtNt"
    "CsgEmfK2I1SDT_4core3ops8function6FnOnce6OutputIS0_ES_u6regionEEE",
    "_ZTSFvu3refIu3dynIu44NtNtNtCsgEmfK2I1SDT_4core3ops8function5FnMutIu5tupleIu3refIu2u8EEEu54"
    "NtNtNtNtCsgEmfK2I1SDT_4core3ops8function6FnOnce6OutputIS1_Evu6regionEEE",
)


@pytest.mark.parametrize("typeid", TRAIT_OBJECTS)
def test_a_trait_object_renders_as_dyn_and_encodes_back(typeid: str) -> None:
    from cfi_typeid.itanium.render_decoded import render_as_rust
    rust, _ = render_as_rust(decode_typeid(typeid))
    assert "dyn " in rust.decl
    crates = {"probe": "sXXId2UFtzX_", "core": "sgEmfK2I1SDT_", **dict(rust.crates)}
    assert cfi_typeid.typeid(rust.decl, lang="rust", prelude=rust.prelude, crate=rust.crate,
                             crates=crates) == typeid


@needs_rustc
@pytest.mark.rustc
def test_rustc_gives_the_rendered_trait_objects_the_decoded_ids() -> None:
    from cfi_typeid.itanium.render_decoded import render_as_rust
    from oracles import ids_from_ir, rustc_ir
    renderings = [render_as_rust(decode_typeid(typeid))[0] for typeid in TRAIT_OBJECTS]
    preludes = sorted({line for r in renderings for line in r.prelude.splitlines()})
    items = "\n".join(r.item(f"f{i}") for i, r in enumerate(renderings))
    ids = ids_from_ir(rustc_ir("\n".join(preludes) + "\n" + items, crate="probe"))
    assert [ids[f"f{i}"][0] for i in range(len(renderings))] == list(TRAIT_OBJECTS)
