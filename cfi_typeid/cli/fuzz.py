"""``python -m cfi_typeid fuzz``: draw cases, compile them, compare every field, and print a
shrunk reproducer for each difference; or (``--adversarial``) throw hostile input at the
parsers, the decoder, ``batch`` and the CLI, where only our typed errors may come out.

The cases come from :mod:`cfi_typeid.strategies` (hypothesis, ``pip install
'cfi_typeid[fuzz]'``), drawn from ``--seed`` (printed when not given), so a run is repeated by
giving its seed again.  All cases of a target go into one file and the compiler runs four
times per file (:mod:`.fuzz_compile`); a file the compiler refuses is halved until the cases
it refuses are found (we must refuse them too).  A difference is then shrunk one case at a
time by :mod:`.fuzz_shrink` and printed as a shell snippet that reproduces it.
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any, Callable, Sequence, TypeVar

from ..errors import UsageError
from ..targets import TARGETS

_T = TypeVar("_T")

_HELP = """\
Differential fuzzing: draw C prototypes (--lang c) or Rust signatures with their items
(--lang rust), compile them with clang-19 / rustc (or --compiler), and compare all six fields
with ours. Each difference is shrunk and printed as a shell snippet to paste. A long run is
'fuzz --examples 100000'; the same run again is '--seed S' with the seed it printed.

--compiler is a program ('clang-20', '/opt/rust/bin/rustc') used in the default command, or a
whole template with {target}, {flags}, {src} and {out}, e.g.
  --compiler 'gcc-15 -fsanitize=kcfi -S {src} -o {out}' --fields kcfi
(the output is LLVM IR with !type / !kcfi_type, or assembly with __kcfi_typeid_ symbols).

--mutants: each case gets one change a compiler may refuse ('void f(void x)', a redefined
typedef, '[i32; 18446744073709551616]'); we must refuse what it refuses and agree on the rest.

--adversarial: random and mutated input for the C and Rust parsers, the decoder, batch and
the CLI; anything but our typed errors escaping is a failure, shrunk by hypothesis.
Exit status 0: no difference; 1: differences or failures; 2: bad usage.
"""


def add_fuzz(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``fuzz`` (one line of :data:`cfi_typeid.cli.app.COMMANDS`)."""
    p = sub.add_parser("fuzz", help="compare with a compiler on drawn cases (or fuzz the "
                                    "parsers with hostile input)", description=_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", choices=("c", "rust"), default="c", help="default: c")
    p.add_argument("--examples", type=int, default=200, metavar="N",
                   help="cases to draw (default 200)")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="draw from this seed (default: a random one, printed)")
    p.add_argument("--target", default=None, metavar="TRIPLE",
                   help="only this target (default: all of " + ", ".join(TARGETS) + ")")
    p.add_argument("--compiler", default=None, metavar="CMD",
                   help="the compiler program or command template (default: clang-19 / rustc)")
    p.add_argument("--fields", default=None, metavar="F,...",
                   help="fields to compare (default: all six)")
    p.add_argument("--shrink", type=int, default=60, metavar="N",
                   help="compiles spent shrinking each difference (default 60; 0: none)")
    p.add_argument("--mutants", action="store_true",
                   help="cases with one change a compiler may refuse (we must refuse them "
                        "too), compiled one at a time")
    p.add_argument("--adversarial", action="store_true",
                   help="hostile input for parsers, decoder, batch and CLI instead")
    p.add_argument("--engine", choices=("hypothesis", "atheris"), default="hypothesis",
                   help="--adversarial: drawn by hypothesis (default) or coverage-guided by "
                        "atheris (pip install atheris)")
    p.set_defaults(run=_cmd_fuzz)


def _cmd_fuzz(args: argparse.Namespace) -> int:
    if not (args.adversarial and args.engine == "atheris"):
        try:
            import hypothesis  # noqa: F401
        except ImportError:
            raise UsageError("fuzz needs hypothesis: pip install 'cfi_typeid[fuzz]'") from None
    if args.examples < 1:
        raise UsageError("--examples must be 1 or more")
    if args.target is not None and args.target not in TARGETS:
        raise UsageError(f"unknown target {args.target!r}; known: {', '.join(TARGETS)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"fuzz: seed {seed} (repeat this run with --seed {seed})", file=sys.stderr)
    if args.adversarial:
        from .fuzz_adversarial import run_adversarial, run_atheris
        if args.engine == "atheris":
            try:
                import atheris  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: F401,E501
            except ImportError:
                raise UsageError("--engine atheris needs atheris: pip install atheris") from None
            return run_atheris(args.examples, seed, sys.stdout)
        return run_adversarial(args.examples, seed, sys.stdout)
    from ..strategies import FIELDS
    fields = tuple(f.strip() for f in args.fields.split(",")) if args.fields else FIELDS
    unknown = [f for f in fields if f not in FIELDS]
    if unknown or not fields:
        raise UsageError(f"unknown field {unknown[0] if unknown else ''!r}; known: "
                         + ", ".join(FIELDS))
    from .fuzz_differential import run_differential
    return run_differential(args.lang, args.examples, seed, args.target, args.compiler,
                            fields, args.shrink, sys.stdout, mutants=args.mutants)


def drawn(strategy: Any, examples: int, seed: int) -> list[Any]:
    """``examples`` values of a hypothesis ``strategy``, the same ones for the same seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed
    out: list[Any] = []

    @with_seed(seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def unique(values: Sequence[_T], key: Callable[[_T], object]) -> list[_T]:
    seen: dict[object, _T] = {}
    for v in values:
        seen.setdefault(key(v), v)
    return list(seen.values())
