"""The adversarial half of ``fuzz``: hostile input where only our typed errors may come out.

Each *target* is a function of one drawn input that must return or raise a
:class:`~cfi_typeid.errors.CfiTypeidError`; anything else is a failure, which hypothesis
shrinks (the last failing input it tries is the smallest) and which is printed with a line
of Python that reproduces it.  ``batch`` is held to its contract too: one line out, valid
JSON.
"""

from __future__ import annotations

import contextlib
import io
import json
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

from .. import api
from ..errors import CfiTypeidError
from ..itanium.decoded import decode_typeid
from ..itanium.render_decoded import rendering_json

# The strategies (hypothesis) are imported when drawn, not for atheris.
_SHARED_PRELUDE = """\
struct S { int m; };
typedef struct S S_t;
typedef int (*handler_t)(char);
enum E { E_A, E_B = 4 };
"""


def _c(text: str) -> None:
    api.typeids(text, prelude=_SHARED_PRELUDE)
    api.typeids("void f(void)", prelude=text)


def _rust(text: str) -> None:
    api.typeids(text, lang="rust")
    api.typeids("fn f()", lang="rust", prelude=text)


def _c_file(text: str) -> None:
    from ..sources.c_header import scan_c
    scan_c(_SHARED_PRELUDE + text)


def _rust_file(text: str) -> None:
    from ..sources.rust_file import scan_rust
    scan_rust(text)


def _decode(text: str) -> None:
    rendering_json(decode_typeid(text), ("c", "rust"))


def _batch(raw: bytes) -> None:
    from .batch import line_out
    for line in raw.split(b"\n"):
        text, _ = line_out(line)
        if text.count("\n") != 1 or not text.endswith("\n"):
            raise AssertionError(f"batch wrote {text!r} for one line")
        if text.strip():
            json.loads(text, parse_constant=_no_constant)
            if "internal" in json.loads(text).get("error", {}):
                raise AssertionError(f"batch: {json.loads(text)['error']['message']}")


def _no_constant(name: str) -> object:
    raise AssertionError(f"batch wrote {name}, which is not JSON")


_COMMANDS = ("encode", "decode", "check", "suggest-encoding", "batch")
_WORDS = ("--lang", "rust", "c", "--target", "i686-unknown-linux-gnu", "--prelude", "--salt",
          "--json", "--kcfi", "--kcfi-hash", "fnv1a", "--normalize-integers",
          "--generalize-pointers", "--crates", "core=x", "--c", "--rust", "--options", "",
          "--as", "void f(long)", "fn f(a: i32)", "_ZTSFvlE", "--crate", "9", "--name",
          "--prelude-file", "/nonexistent", "-j", "0", "\udcff", "--batch")


def _cli(argv: list[str]) -> None:
    from .app import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as e:  # argparse: a usage error, exit 2
            status = e.code if isinstance(e.code, int) else 2
    if status not in (0, 1, 2):
        raise AssertionError(f"exit status {status}")


def _cli_arguments() -> Any:
    from hypothesis import strategies as st
    word = st.sampled_from(_WORDS) | st.text(max_size=12)
    return st.builds(lambda c, rest: [c, *rest], st.sampled_from(_COMMANDS[:4]),
                     st.lists(word, max_size=6))


@dataclass
class Target:
    name: str
    check: Callable[[Any], None]
    strategy: Callable[[], Any]
    call: str  # a format for a line of Python that makes the call, with {input!r}
    #: (input, traceback) by what failed (exception type and where): the last input
    #: recorded for each is the smallest hypothesis found.
    failures: dict[str, tuple[Any, str]] = field(default_factory=dict)


TARGETS = (
    Target("C parser", _c, lambda: _strategies().noisy_text("c"),
           "cfi_typeid.typeids({input!r}, prelude=" + repr(_SHARED_PRELUDE) + ")"),
    Target("Rust parser", _rust, lambda: _strategies().noisy_text("rust"),
           "cfi_typeid.typeids({input!r}, lang='rust')"),
    Target("C header reader", _c_file, lambda: _strategies().noisy_text("c"),
           "cfi_typeid.scan_c(" + repr(_SHARED_PRELUDE) + " + {input!r})"),
    Target("Rust file reader", _rust_file, lambda: _strategies().noisy_text("rust"),
           "cfi_typeid.scan_rust({input!r})"),
    Target("decoder", _decode, lambda: _strategies().mutated_typeids(),
           "rendering_json(decode_typeid({input!r}), ('c', 'rust'))"),
    Target("batch", _batch, lambda: _strategies().batch_lines(), "line_out({input!r})"),
    Target("CLI", _cli, _cli_arguments, "main({input!r})"),
)


def _strategies() -> Any:
    from .. import strategies
    return strategies


def _watched(target: Target) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        try:
            target.check(value)
        except CfiTypeidError:
            return
        except Exception as e:  # noqa: BLE001 - what escapes is what we look for
            frame = traceback.extract_tb(e.__traceback__)[-1]
            where = f"{type(e).__name__} at {frame.filename}:{frame.lineno}"
            target.failures[where] = (value, traceback.format_exc(limit=-3))
            raise
    return check


def adversarial_failures(examples: int, seed: int) -> list[tuple[Target, str]]:
    """Run every target on ``examples`` inputs: (target, what failed) for each failure."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as with_seed
    found: list[tuple[Target, str]] = []
    for target in TARGETS:
        target.failures.clear()
        decorate: Any = given(target.strategy())
        wrapped: Any = decorate(_watched(target))
        test: Callable[[], None] = with_seed(seed)(settings(
            max_examples=examples, database=None, deadline=None,
            suppress_health_check=list(HealthCheck))(wrapped))
        try:
            test()
        except BaseException as e:  # noqa: BLE001 - hypothesis raises what the check raised
            if isinstance(e, KeyboardInterrupt):
                raise
            if not target.failures:
                target.failures["while drawing"] = ("(none)", "".join(
                    traceback.format_exception_only(e)))
        found += [(target, where) for where in target.failures]
    return found


def run_adversarial(examples: int, seed: int, out: TextIO) -> int:
    """``examples`` inputs for each target; exit status 1 when any failed."""
    found = adversarial_failures(examples, seed)
    for target in TARGETS:
        mine = [where for t, where in found if t is target]
        out.write(f"{target.name}: {examples} inputs, "
                  f"{'ok' if not mine else f'{len(mine)} distinct failure(s)'}\n")
        for where in mine:
            value, trace = target.failures[where]
            out.write(f"  {where}\n  reproduce: {target.call.format(input=value)}\n")
            out.write("".join(f"    {line}\n" for line in trace.rstrip().splitlines()))
    return 1 if found else 0


def run_atheris(examples: int, seed: int, out: TextIO) -> int:
    """The same targets under atheris (libFuzzer, coverage-guided, ``pip install atheris``):
    the first byte of an input picks the target.  atheris prints the input and the traceback
    of the first failure, saves the input to a crash file and exits 1; otherwise it exits 0
    after ``examples`` inputs (instrumenting the loaded code first takes some 20 s)."""
    import sys

    import atheris  # type: ignore[import-not-found, import-untyped, unused-ignore]

    atheris.instrument_all()

    def one_input(data: bytes) -> None:
        if not data:
            return
        target = TARGETS[data[0] % len(TARGETS)]
        rest = data[1:]
        value: Any
        if target.name == "batch":
            value = rest
        elif target.name == "CLI":
            value = rest.decode("utf-8", "surrogateescape").split("\x00")[:8]
        else:
            value = rest.decode("utf-8", "surrogateescape")
        try:
            target.check(value)
        except CfiTypeidError:
            pass

    atheris.Setup([sys.argv[0], f"-runs={examples}", f"-seed={seed % (1 << 31)}",
                   "-max_len=4096"], one_input)
    atheris.Fuzz()
    out.write(f"atheris: {examples} inputs, ok\n")
    return 0
