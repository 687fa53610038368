"""Shrinking a case that shows a difference, and the snippet that reproduces it.

Greedy, as delta debugging is: try each simpler candidate (a parameter dropped or made
``int`` / ``u8``, the return type made ``void``, an item or a prelude line dropped, the drawn
C spelling replaced by the plain one), keep the first that still differs, start again; stop
when none does or the budget of checks (each up to four compiles of one case) is spent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

from ..c.render import CRenderer
from ..errors import CfiTypeidError
from ..model import VOID, CInt, CInteger, FunctionType
from ..strategies import CCase, RustCase, c_source
from .fuzz_differential import Side, still_differs

Case = Any  # CCase | RustCase


def shrink(side: Side, case: Case, wanted: tuple[object, ...], budget: int) -> Case:
    """A case as small as ``budget`` checks find that still shows the difference ``wanted``
    (see :func:`~.fuzz_differential.signature`)."""
    candidates = _c_candidates if side.lang == "c" else _rust_candidates
    checks = 0
    progress = True
    while progress and checks < budget:
        progress = False
        for candidate in candidates(case):
            checks += 1
            if still_differs(side, candidate, wanted):
                case, progress = candidate, True
                break
            if checks >= budget:
                break
    return case


def _c_render(case: CCase, fn: FunctionType) -> CCase | None:
    try:
        return CCase(case.target, CRenderer().function(fn, case.name), fn, case.name,
                     case.prelude)
    except CfiTypeidError:
        return None


def _c_candidates(case: CCase) -> Iterator[CCase]:
    yield from () if case.mutated else _c_model_candidates(case)
    lines = case.prelude.splitlines(keepends=True)
    half = len(lines) // 2
    for kept in ([], lines[half:], lines[:half]) if len(lines) > 1 else ():
        yield replace(case, prelude="".join(kept))
    for i in range(len(lines)):
        yield replace(case, prelude="".join(lines[:i] + lines[i + 1:]))


def _c_model_candidates(case: CCase) -> Iterator[CCase]:
    """The plain spelling of the model, then simpler models."""
    fn = case.model
    plain = _c_render(case, fn)
    if plain is not None and plain.decl != case.decl:
        yield plain
    simpler: list[FunctionType] = []
    for i in range(len(fn.params)):
        simpler.append(replace(fn, params=fn.params[:i] + fn.params[i + 1:],
                               variadic=fn.variadic and len(fn.params) > 1))
        if fn.params[i] != CInteger(CInt.INT):
            simpler.append(replace(fn, params=fn.params[:i] + (CInteger(CInt.INT),)
                                   + fn.params[i + 1:]))
    if fn.returns != VOID:
        simpler.append(replace(fn, returns=VOID))
    if fn.variadic:
        simpler.append(replace(fn, variadic=False))
    for smaller in simpler:
        candidate = _c_render(case, smaller)
        if candidate is not None:
            yield candidate


def _rust_candidates(case: RustCase) -> Iterator[RustCase]:
    c = case.case
    variants: list[dict[str, Any]] = []
    for i in range(len(c.items)):
        variants.append({"items": c.items[:i] + c.items[i + 1:]})
    for i in range(len(c.params)):
        variants.append({"params": c.params[:i] + c.params[i + 1:],
                         "patterns": c.patterns[:i] + c.patterns[i + 1:],
                         "variadic": c.variadic if len(c.params) > 1 else ""})
        if c.params[i] != "u8":
            variants.append({"params": c.params[:i] + ["u8"] + c.params[i + 1:]})
    if c.returns is not None:
        variants.append({"returns": None})
    for key, simple in (("variadic", ""), ("as_pointer", False), ("lifetimes", ()),
                        ("unsafe", False), ("explicit_abi", False), ("abi", "Rust")):
        if getattr(c, key) != simple:
            variants.append({key: simple})
    for change in variants:
        yield RustCase(case.target, replace(c, **change))


def reproducer(side: Side, case: Case, diffs: list[tuple[str, str, str]],
               crates: dict[str, str]) -> str:
    """A shell snippet: the source for the compiler, its command, and our batch line."""
    head = [f"# {side.lang} on {side.target}: " + "; ".join(
        f"{field}: ours {ours}, compiler {theirs}" for field, ours, theirs in diffs)]
    suffix = "c" if side.lang == "c" else "rs"
    name, c_flags, rust_flags, normalized = side.variants()[0]
    source = c_source([case]) if side.lang == "c" else side.source([case], normalized)
    command = side.compiler.template.format(
        target=side.compiler._target(side.target),
        flags=c_flags if side.lang == "c" else rust_flags,
        src=f"case.{suffix}", out="case.out")
    line = case.batch_line() if side.lang == "c" else case.batch_line(crates)
    return "\n".join([
        *head,
        f"cat > case.{suffix} <<'CFI_TYPEID_EOF'", source.rstrip("\n"), "CFI_TYPEID_EOF",
        ("RUSTC_BOOTSTRAP=1 " if side.lang == "rust" else "") + command
        + " && grep -E '^(declare|define|!)' case.out",
        "python -m cfi_typeid batch <<'CFI_TYPEID_EOF'", line, "CFI_TYPEID_EOF", "",
    ])
