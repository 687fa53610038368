"""Benchmarks of cfi_typeid against the compilers and pycparser, as the performance issue asks.

    python benchmarks/run.py            # the full run (a few minutes)
    python benchmarks/run.py --quick    # small inputs, one repeat: a smoke test of the script
    python benchmarks/run.py --only a,d # some sections only

Sections: (a) ``batch`` on generated C prototypes against clang-19 computing the same ids from
one C file; (b) ``batch`` on Rust signatures against rustc; (c) our in-process parse-and-encode
against pycparser's parse alone of the same C text; (d) one-off ``python -m cfi_typeid encode``
against one-off clang-19; (e) warm, repeated ``cfi_typeid.typeid`` calls per second; (f) scaling
of ``batch`` from 1k to 100k prototypes, time and peak memory; (g) ``header`` on
openssl/ssl.h against clang-19 emitting the ids of all its functions; (r) ``rust-file`` on
bindgen's sqlite3.rs against rustc compiling it; (i) ``check-bindings`` on sqlite3.h and its
bindgen bindings against rustc compiling those bindings; (k) the KCFI index: build time and
look-up time.

Every figure is the median of ``--repeat`` runs, the two sides of a comparison alternating, each
run a fresh process (timed from outside, peak memory from ``wait4``'s ``ru_maxrss``).  A side
whose tool is missing is skipped, saying so.  Our processes run this checkout (``PYTHONPATH``)
and may cache bytecode (``PYTHONPYCACHEPREFIX`` in the temp dir), as an installed package has.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

import generate as gen  # noqa: E402

CLANG = shutil.which("clang-19")
#: Worker processes for the informational ``batch -j`` rows of (a) and (b).
JOBS = os.cpu_count() or 1
RUSTC = shutil.which("rustc")
PYTHON = sys.executable
TARGET = "x86_64-unknown-linux-gnu"
CLANG_FLAGS = ["-target", TARGET, "-fsanitize=cfi-icall", "-flto", "-fvisibility=hidden", "-S",
               "-emit-llvm", "-O0", "-w", "-std=gnu17"]


# ---- running and timing processes -------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One finished process: wall seconds, CPU seconds, peak resident memory, exit status."""

    wall: float
    cpu: float
    peak_mb: float
    status: int


# A tiny launcher starts each measured process and takes its rusage: the child's ru_maxrss
# counts the memory of the process it was forked from, which must not be this script (it holds
# the generated inputs).  The launcher also does the timing, so its own start-up is not counted.
_LAUNCHER = """
import os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as f:
    f.write(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} "
            f"{os.waitstatus_to_exitcode(status)}")
"""


def run(cmd: Sequence[str], *, stdout: Path | None = None, env: dict[str, str] | None = None,
        cwd: Path = ROOT) -> Run:
    """Run ``cmd`` to completion, measured alone: wall and CPU time, peak memory."""
    fd, report = tempfile.mkstemp(prefix="cfi_typeid-bench-run-")
    os.close(fd)
    try:
        with open(stdout or os.devnull, "wb") as out:
            proc = subprocess.run([PYTHON, "-S", "-c", _LAUNCHER, report, *cmd],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                                  env=env, cwd=cwd, timeout=7200)
        fields = Path(report).read_text().split()
    finally:
        os.unlink(report)
    wall, cpu, maxrss_kb, status = float(fields[0]), float(fields[1]), int(fields[2]), \
        int(fields[3])
    if proc.returncode or status not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {status}:\n"
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return Run(wall, cpu, maxrss_kb / 1024, status)


def python_env(cache: Path) -> dict[str, str]:
    """Environment of our processes: this checkout first on the path, bytecode cached."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def compiled_env(site: Path, cache: Path) -> dict[str, str]:
    """Environment of the compiled build's processes: its install directory on the path
    instead of this checkout."""
    env = python_env(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return env


def _compiled_build(where: str, tmp: Path) -> Path:
    """The directory the compiled build is installed in: ``where``, or ``build``: this
    checkout built with ``CFI_TYPEID_COMPILE=1`` (a minute or so) and installed in ``tmp``.
    Refuses a build in which nothing is compiled (no mypyc, no C compiler)."""
    if where != "build":
        site = Path(where).resolve()
    else:
        print("building the compiled wheel (CFI_TYPEID_COMPILE=1) ...", flush=True)
        dist, site = tmp / "compiled-dist", tmp / "compiled-site"
        env = dict(os.environ, CFI_TYPEID_COMPILE="1")
        subprocess.run([PYTHON, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                        str(ROOT)], check=True, env=env, cwd=ROOT)
        wheel = next(dist.glob("cfi_typeid-*.whl"))
        subprocess.run([PYTHON, "-m", "pip", "install", "--no-deps", "-q", "--target",
                        str(site), str(wheel)], check=True)
    probe = subprocess.run([PYTHON, "-c", "import cfi_typeid.api as m; print(m.__file__)"],
                           capture_output=True, text=True, cwd=site,
                           env=dict(os.environ, PYTHONPATH=str(site)))
    if not probe.stdout.strip().endswith(".so"):
        raise SystemExit(f"--compiled: {site} holds no compiled build "
                         f"({probe.stdout.strip() or probe.stderr.strip()[-300:]})")
    return site


def rustc_env() -> dict[str, str]:
    return dict(os.environ, RUSTC_BOOTSTRAP="1")


def alternate(sides: dict[str, Callable[[], Run]], repeat: int, warm_up: bool = True
              ) -> dict[str, list[Run]]:
    """Run each side ``repeat`` times, the sides taking turns (after a warm-up run of each,
    which fills the page cache and the bytecode and parser caches)."""
    for once in sides.values() if warm_up else ():
        once()
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, once in sides.items():
            runs[name].append(once())
    return runs


def median(runs: list[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def median_cpu(runs: list[Run]) -> float:
    """The median CPU time (user + system) of the runs: less moved by other processes on the
    machine than the wall clock."""
    return statistics.median(r.cpu for r in runs)


# ---- results ----------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the final table."""

    section: str
    measure: str
    ours: str
    theirs: str
    ratio: str
    target: str
    verdict: str


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def say(self, text: str) -> None:
        print(text, flush=True)

    def compare(self, section: str, measure: str, ours: float | None, theirs: float | None,
                limit: float, unit: str = "s", target: str = "") -> None:
        """A time ratio ours/theirs against ``limit`` (lower is better)."""
        if ours is None or theirs is None:
            ratio, verdict = "-", "skipped"
        else:
            ratio, verdict = f"{ours / theirs:.2f}x", "met" if ours / theirs <= limit else "NOT met"
        self.rows.append(Row(section, measure, _fmt(ours, unit), _fmt(theirs, unit), ratio,
                             target or f"<= {limit}x", verdict))

    def extra(self, section: str, measure: str, ours: float | None, theirs: float | None
              ) -> None:
        """A ratio shown for information, against no target."""
        ratio = "-" if ours is None or theirs is None else f"{ours / theirs:.2f}x"
        self.rows.append(Row(section, measure, _fmt(ours, "s"), _fmt(theirs, "s"), ratio, "",
                             "-"))

    def figure(self, section: str, measure: str, value: str, target: str, ok: bool | None
               ) -> None:
        verdict = "-" if ok is None else "met" if ok else "NOT met"
        self.rows.append(Row(section, measure, value, "", "", target, verdict))

    def table(self) -> None:
        head = Row("", "measure", "ours", "theirs", "ratio", "target", "verdict")
        rows = [head, *self.rows]
        widths = [max(len(getattr(r, f)) for r in rows) for f in Row.__dataclass_fields__]
        print()
        for r in rows:
            print("  ".join(getattr(r, f).ljust(w) for f, w in
                            zip(Row.__dataclass_fields__, widths)).rstrip())


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "skipped"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:,.0f} {unit}"


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    except OSError:
        return "missing"
    return out.splitlines()[0].strip() if out else "missing"


# ---- the sections -----------------------------------------------------------------------------

@dataclass
class Bench:
    """Settings shared by the sections, and the scratch directory they write into."""

    n: int
    repeat: int
    quick: bool
    tmp: Path
    env: dict[str, str]
    report: Report
    #: With ``--compiled``: the environment of the compiled build's processes (its install
    #: directory first on the path; they run in it, so that this checkout is not on the path).
    compiled: dict[str, str] | None = None
    compiled_dir: Path = ROOT

    def ours(self, *args: str) -> list[str]:
        return [PYTHON, "-m", "cfi_typeid", *args]

    def compiled_side(self, sides: dict[str, Callable[[], Run]], *args: str,
                      stdout: Path | None = None) -> None:
        """Add the side ``ours compiled`` (``python -m cfi_typeid ARGS`` of the compiled
        build) to ``sides``, when there is one."""
        if self.compiled is not None:
            env, cwd = self.compiled, self.compiled_dir
            sides["ours compiled"] = lambda: run(self.ours(*args), stdout=stdout, env=env,
                                                 cwd=cwd)

    def compare_compiled(self, section: str, measure: str, runs: dict[str, list[Run]],
                         theirs_name: str, limit: float, outputs: tuple[Path, Path] | None = None
                         ) -> None:
        """The compiled build's rows of a section: its ratio (wall, as the target is) and its
        CPU time, each against the compiler; and whether its output is the pure build's."""
        if "ours compiled" not in runs:
            return
        theirs = runs.get(theirs_name)
        self.report.compare(section, f"{measure}, compiled", median(runs["ours compiled"]),
                            median(theirs) if theirs else None, limit)
        self.report.extra(section, "  compiled: CPU time (user+sys, for information)",
                          median_cpu(runs["ours compiled"]),
                          median_cpu(theirs) if theirs else None)
        if outputs is not None:
            same = outputs[0].read_bytes() == outputs[1].read_bytes()
            self.report.say(f"    compiled build's output {'the same as' if same else 'DIFFERS from'}"
                            " the pure build's")
            if not same:
                self.report.figure(section, "  compiled output = pure output", "DIFFERS", "same",
                                   False)


def c_batch_vs_clang(b: Bench) -> None:
    """(a) batch on n C prototypes against clang-19 on one C file with the same declarations."""
    protos = gen.c_prototypes(b.n)
    src, ll = b.tmp / "a.c", b.tmp / "a.ll"
    jsonl, out = b.tmp / "a.jsonl", b.tmp / "a.out.jsonl"
    src.write_text(gen.clang_source(protos))
    jsonl.write_text(gen.c_batch_lines(protos))
    sides = _batch_sides(b, jsonl, out)
    compiled_out = b.tmp / "a.compiled.jsonl"
    b.compiled_side(sides, "batch", str(jsonl), stdout=compiled_out)
    if CLANG:
        sides["clang"] = lambda: run([CLANG, *CLANG_FLAGS, str(src), "-o", str(ll)])
    runs = alternate(sides, b.repeat)
    ours = median(runs["ours"])
    clang = median(runs["clang"]) if CLANG else None
    b.report.say(f"(a) batch, {b.n} C prototypes: ours {_fmt(ours, 's')}, "
                 f"clang-19 {_fmt(clang, 's') if CLANG else 'skipped: clang-19 not installed'}")
    if CLANG:
        _check_c_ids(b, protos, ll, out)
    b.report.compare("(a)", f"batch {b.n} C prototypes vs clang-19", ours, clang, 2.0)
    _report_cpu(b, "(a)", runs, "clang")
    _report_parallel(b, "(a)", runs, clang)
    b.compare_compiled("(a)", f"batch {b.n} C prototypes vs clang-19", runs, "clang", 2.0,
                       (out, compiled_out))


def _batch_sides(b: Bench, jsonl: Path, out: Path) -> dict[str, Callable[[], Run]]:
    """Our side of (a) or (b): ``batch`` writing ``out``, and ``batch -j`` where there are
    several CPUs (its output is not checked: tests/test_cli.py holds it to the serial one)."""
    sides = {"ours": lambda: run(b.ours("batch", str(jsonl)), stdout=out, env=b.env)}
    if JOBS > 1:
        sides["ours -j"] = lambda: run(b.ours("batch", "-j", str(JOBS), str(jsonl)), env=b.env)
    return sides


def _report_cpu(b: Bench, section: str, runs: dict[str, list[Run]], theirs: str) -> None:
    """The CPU-time figures of a comparison, for information (its target is on wall time)."""
    if "ours" in runs and runs["ours"]:
        cpu = {name: median_cpu(r) for name, r in runs.items() if r}
        cpu.pop("ours compiled", None)
        b.report.extra(section, "  CPU time (user+sys, for information)", cpu["ours"],
                       cpu.get(theirs))


def _report_parallel(b: Bench, section: str, runs: dict[str, list[Run]],
                     theirs: float | None) -> None:
    if "ours -j" in runs:
        parallel = median(runs["ours -j"])
        b.report.say(f"    with batch -j {JOBS}: {_fmt(parallel, 's')}")
        b.report.extra(section, f"  batch -j {JOBS} (for information)", parallel, theirs)


def _check_c_ids(b: Bench, protos: list[str], ll: Path, out: Path) -> None:
    from oracles import ids_from_ir
    want = ids_from_ir(ll.read_text())
    same = 0
    for proto, line in zip(protos, out.read_text().splitlines()):
        got = json.loads(line).get("typeids", {})
        same += want.get(gen.c_function_name(proto)) == [got.get("plain"),
                                                          got.get("generalized")]
    b.report.say(f"    ids equal to clang-19's (plain, generalized): {same}/{len(protos)}")


def rust_batch_vs_rustc(b: Bench) -> None:
    """(b) batch on n Rust signatures against rustc compiling one crate that defines them."""
    sigs = gen.rust_signatures(b.n)
    src, ll = b.tmp / "b.rs", b.tmp / "b.ll"
    jsonl, out = b.tmp / "b.jsonl", b.tmp / "b.out.jsonl"
    src.write_text(gen.rust_source(sigs))
    jsonl.write_text(gen.rust_batch_lines(sigs))
    sides: dict[str, Callable[[], Run]] = {}
    available = _rust_front_end_available(b, jsonl)
    compiled_out = b.tmp / "b.compiled.jsonl"
    if available:
        sides.update(_batch_sides(b, jsonl, out))
        b.compiled_side(sides, "batch", str(jsonl), stdout=compiled_out)
    else:
        b.report.say("(b) ours: skipped: Rust front end not available")
    if RUSTC:
        from oracles import RUST_FLAGS
        cmd = [RUSTC, "--crate-name", "probe", *RUST_FLAGS, "--emit=llvm-ir", str(src), "-o",
               str(ll)]
        sides["rustc"] = lambda: run(cmd, env=rustc_env())
    else:
        b.report.say("(b) rustc: skipped: rustc not installed")
    runs = alternate(sides, b.repeat) if sides else {}
    ours = median(runs["ours"]) if "ours" in runs else None
    rustc = median(runs["rustc"]) if "rustc" in runs else None
    b.report.say(f"(b) batch, {b.n} Rust signatures: ours {_fmt(ours, 's')}, "
                 f"rustc {_fmt(rustc, 's')}")
    if ours is not None and rustc is not None:
        _check_rust_ids(b, sigs, ll, out)
    b.report.compare("(b)", f"batch {b.n} Rust signatures vs rustc", ours, rustc, 1.0)
    _report_cpu(b, "(b)", runs, "rustc")
    _report_parallel(b, "(b)", runs, rustc)
    b.compare_compiled("(b)", f"batch {b.n} Rust signatures vs rustc", runs, "rustc", 1.0,
                       (out, compiled_out))


def _rust_front_end_available(b: Bench, jsonl: Path) -> bool:
    probe = b.tmp / "b.probe.jsonl"
    probe.write_text("".join(jsonl.read_text().splitlines(keepends=True)[:3]))
    proc = subprocess.run(b.ours("batch", str(probe)), capture_output=True, text=True,
                          env=b.env, cwd=ROOT, timeout=600)
    return "not available" not in proc.stdout


def _check_rust_ids(b: Bench, sigs: list[gen.RustSignature], ll: Path, out: Path) -> None:
    from oracles import ids_from_ir
    want = ids_from_ir(ll.read_text())
    same = errors = 0
    for sig, line in zip(sigs, out.read_text().splitlines()):
        item = json.loads(line)
        errors += "error" in item
        got = item.get("typeids", {})
        ids = [got.get(k) for k in ("plain", "generalized", "normalized",
                                    "normalized_generalized")]
        same += sorted(want.get(sig.name, [])) == sorted(map(str, ids))
    b.report.say(f"    ids equal to rustc's (all four): {same}/{len(sigs)}; "
                 f"lines with errors: {errors}")


_OUR_PARSE = """
import json, sys, time
decls, prelude = json.load(open(sys.argv[1]))
from cfi_typeid import typeids
start = time.perf_counter()
for d in decls:
    typeids(d, prelude=prelude)
print(time.perf_counter() - start)
"""

_PYCPARSER_PARSE = """
import sys, time
text = open(sys.argv[1]).read()
import pycparser
start = time.perf_counter()
pycparser.CParser().parse(text)
print(time.perf_counter() - start)
"""


def parse_vs_pycparser(b: Bench) -> None:
    """(c) our parse-and-encode of n prototypes against pycparser's parse alone, in-process
    (each in a fresh process; imports not timed, building either parser is)."""
    protos = gen.c_prototypes(b.n)
    ours_in, theirs_in = b.tmp / "c.json", b.tmp / "c.c"
    ours_in.write_text(json.dumps([protos, gen.C_PRELUDE]))
    theirs_in.write_text(gen.pycparser_source(protos))
    has_pycparser = subprocess.run([PYTHON, "-c", "import pycparser"],
                                   capture_output=True).returncode == 0

    def timed(code: str, path: Path) -> Callable[[], Run]:
        def once() -> Run:
            proc = subprocess.run([PYTHON, "-c", code, str(path)], capture_output=True,
                                  text=True, env=b.env, cwd=ROOT, timeout=3600)
            if proc.returncode:
                raise RuntimeError(proc.stderr[-2000:])
            return Run(float(proc.stdout.split()[-1]), 0.0, 0.0, 0)
        return once

    sides = {"ours": timed(_OUR_PARSE, ours_in)}
    if has_pycparser:
        sides["pycparser"] = timed(_PYCPARSER_PARSE, theirs_in)
    runs = alternate(sides, b.repeat)
    ours = median(runs["ours"])
    theirs = median(runs["pycparser"]) if has_pycparser else None
    missing = "skipped: pycparser not installed (pip install pycparser)"
    b.report.say(f"(c) {b.n} prototypes in-process: ours parse+encode {_fmt(ours, 's')}, "
                 f"pycparser parse {_fmt(theirs, 's') if has_pycparser else missing}")
    b.report.compare("(c)", f"parse+encode {b.n} vs pycparser parse", ours, theirs, 0.1)


def one_off_vs_clang(b: Bench) -> None:
    """(d) one ``python -m cfi_typeid encode`` against one clang-19 run on a one-line file."""
    src = b.tmp / "d.c"
    src.write_text("void f(long);\nvoid *table[] = { (void *)f };\n")
    repeat = max(3, b.repeat * 4)
    sides = {"ours": lambda: run(b.ours("encode", "void f(long);"), env=b.env),
             "python": lambda: run([PYTHON, "-c", "pass"], env=b.env)}
    b.compiled_side(sides, "encode", "void f(long);")
    if CLANG:
        sides["clang"] = lambda: run([CLANG, *CLANG_FLAGS, str(src), "-o", os.devnull])
    runs = alternate(sides, repeat)
    ours, floor = median(runs["ours"]), median(runs["python"])
    clang = median(runs["clang"]) if CLANG else None
    b.report.say(f"(d) one-off encode: ours {_fmt(ours, 's')} (python -c pass alone "
                 f"{_fmt(floor, 's')}), clang-19 "
                 f"{_fmt(clang, 's') if CLANG else 'skipped: clang-19 not installed'}")
    b.report.compare("(d)", "one-off encode vs one-off clang-19", ours, clang, 3.0)
    _report_cpu(b, "(d)", runs, "clang")
    b.compare_compiled("(d)", "one-off encode vs one-off clang-19", runs, "clang", 3.0)
    b.report.figure("(d)", "  python -c pass (start-up floor)", _fmt(floor, "s"), "", None)


_WARM = """
import sys, time
sys.path.insert(0, sys.argv[1])
import generate
from cfi_typeid import kcfi, typeid
decls, prelude = generate.c_prototypes(int(sys.argv[2])), generate.C_PRELUDE
rounds = int(sys.argv[3])
def rate(call):
    for d in decls:
        call(d)
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for d in decls:
                call(d)
        rates.append(rounds * len(decls) / (time.perf_counter() - start))
    return sorted(rates)[2]
print(rate(lambda d: typeid(d, prelude=prelude)))
print(rate(lambda d: typeid(d, prelude=prelude, normalize_integers=True)))
print(rate(lambda d: kcfi(d, prelude=prelude)))
"""


def warm_repeated(b: Bench) -> None:
    """(e) repeated calls through the API once the answers are known: ids per second."""
    distinct, rounds = (100, 20) if b.quick else (1000, 200)
    proc = subprocess.run([PYTHON, "-c", _WARM, str(HERE), str(distinct), str(rounds)],
                          capture_output=True, text=True, env=b.env, cwd=ROOT, timeout=3600)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    plain, normalized, kcfi = map(float, proc.stdout.split())
    b.report.say(f"(e) warm, {distinct} distinct prototypes called repeatedly: typeid "
                 f"{plain:,.0f}/s, typeid(normalize_integers=True) {normalized:,.0f}/s, "
                 f"kcfi {kcfi:,.0f}/s")
    b.report.figure("(e)", "typeid() repeated, ids/s", f"{plain:,.0f}/s", ">= 1,000,000/s",
                    plain >= 1_000_000)
    b.report.figure("(e)", "  typeid(normalize_integers=True)", f"{normalized:,.0f}/s", "", None)
    b.report.figure("(e)", "  kcfi()", f"{kcfi:,.0f}/s", "", None)


def scaling(b: Bench) -> None:
    """(f) batch on n/10, n and 10n prototypes: time and peak memory of the process."""
    sizes = [max(1, b.n // 10), b.n, b.n * 10]
    results: dict[int, tuple[float, float]] = {}
    for size in sizes:
        jsonl = b.tmp / f"f{size}.jsonl"
        jsonl.write_text(gen.c_batch_lines(gen.c_prototypes(size)))
        runs = alternate({"ours": lambda: run(b.ours("batch", str(jsonl)), env=b.env)},
                         b.repeat if size <= b.n else 1, warm_up=size == sizes[0])["ours"]
        results[size] = (median(runs), max(r.peak_mb for r in runs))
        jsonl.unlink()
        b.report.say(f"(f) batch, {size} prototypes: {_fmt(results[size][0], 's')}, "
                     f"peak {results[size][1]:.0f} MB")
    for size in sizes:
        b.report.figure("(f)", f"batch {size} prototypes", f"{_fmt(results[size][0], 's')}, "
                        f"{results[size][1]:.0f} MB peak", "", None)
    growth = results[sizes[2]][0] / results[sizes[1]][0]
    b.report.figure("(f)", f"time({sizes[2]}) / time({sizes[1]})", f"{growth:.2f}x",
                    "<= 11.5x (10x +15%)", growth <= 11.5)
    peak = max(p for _, p in results.values())
    b.report.figure("(f)", "peak memory", f"{peak:.0f} MB", "< 300 MB", peak < 300)


def bindings_vs_rustc(b: Bench) -> None:
    """(i) ``check-bindings`` on sqlite3.h and bindgen's bindings for it, against rustc
    compiling those bindings (with CFI, to LLVM IR: what gives it the ids)."""
    missing = [what for what, ok in (("bindgen", BINDGEN), ("rustc", RUSTC),
                                     ("sqlite3.h", SQLITE3_H.exists()),
                                     ("the whole-file readers", _readers_available()))
               if not ok]
    if missing:
        b.report.say(f"(i) check-bindings on sqlite3.h: skipped ({', '.join(missing)} missing)")
        b.report.compare("(i)", "check-bindings sqlite3.h vs rustc", None, None, 1.0)
        return
    assert RUSTC is not None
    wrapper, rs = b.tmp / "g_sqlite3.h", b.tmp / "g_sqlite3.rs"
    wrapper.write_text("#include <sqlite3.h>\n")
    _bindgen(wrapper, rs)
    from oracles import rust_flags
    flags = ["--crate-name", "probe", *rust_flags(normalize=False), "--emit=llvm-ir"]
    args = ("check-bindings", "--c", str(wrapper), "--cpp", "--rust", str(rs), "--json")
    out, compiled_out = b.tmp / "i.out.json", b.tmp / "i.compiled.json"
    sides = {"ours": lambda: run(b.ours(*args), stdout=out, env=b.env),
             "rustc": lambda: run([RUSTC, *flags, str(rs), "-o", str(b.tmp / "g.ll")],
                                  env=rustc_env())}
    b.compiled_side(sides, *args, stdout=compiled_out)
    runs = alternate(sides, b.repeat)
    ours, rustc = median(runs["ours"]), median(runs["rustc"])
    b.report.say(f"(i) check-bindings on sqlite3.h: ours {_fmt(ours, 's')}, rustc compiling "
                 f"the bindings {_fmt(rustc, 's')}")
    b.report.compare("(i)", "check-bindings sqlite3.h vs rustc on its bindings", ours, rustc,
                     1.0)
    _report_cpu(b, "(i)", runs, "rustc")
    b.compare_compiled("(i)", "check-bindings sqlite3.h vs rustc on its bindings", runs,
                       "rustc", 1.0, (out, compiled_out))


def _readers_available() -> bool:
    import importlib.util
    return all(importlib.util.find_spec(f"cfi_typeid.sources.{m}") is not None
               for m in ("c_header", "rust_file"))


# ---- whole files: header and rust-file --------------------------------------------------------

BINDGEN = shutil.which("bindgen")
SQLITE3_H = Path("/usr/include/sqlite3.h")


def _has_command(b: Bench, name: str) -> bool:
    """Whether ``python -m cfi_typeid`` has the subcommand ``name`` (helpers add them)."""
    proc = subprocess.run(b.ours(name, "--help"), capture_output=True, text=True, env=b.env,
                          cwd=ROOT, timeout=600)
    return proc.returncode == 0




def _bindgen(header: Path, out: Path) -> None:
    """bindgen's Rust bindings of ``header`` (Debian's bindgen 0.60 needs LLVM 14's libclang:
    it panics on unnamed types with 19's)."""
    assert BINDGEN is not None
    env = dict(os.environ)
    env.setdefault("LIBCLANG_PATH", "/usr/lib/llvm-14/lib")
    subprocess.run([BINDGEN, str(header), "-o", str(out)], check=True, capture_output=True,
                   env=env, timeout=600)


def rust_file_vs_rustc(b: Bench) -> None:
    """(r) ``rust-file`` on bindgen's sqlite3.rs against rustc compiling it."""
    if not BINDGEN or not SQLITE3_H.exists():
        b.report.say("(r) rust-file: skipped: needs bindgen and sqlite3.h")
        b.report.compare("(r)", "rust-file sqlite3.rs vs rustc", None, None, 1.0)
        return
    source = b.tmp / "sqlite3.rs"
    _bindgen(SQLITE3_H, source)
    sides: dict[str, Callable[[], Run]] = {}
    out, compiled_out = b.tmp / "r.out", b.tmp / "r.compiled.out"
    if _has_command(b, "rust-file"):
        sides["ours"] = lambda: run(b.ours("rust-file", str(source)), stdout=out, env=b.env)
        b.compiled_side(sides, "rust-file", str(source), stdout=compiled_out)
    else:
        b.report.say("(r) ours: skipped: the rust-file command does not exist yet")
    if RUSTC:
        from oracles import RUST_FLAGS
        cmd = [RUSTC, "--crate-name", "sqlite3", *RUST_FLAGS, "-A", "warnings",
               "--emit=llvm-ir", str(source), "-o", str(b.tmp / "sqlite3.ll")]
        sides["rustc"] = lambda: run(cmd, env=rustc_env())
    else:
        b.report.say("(r) rustc: skipped: rustc not installed")
    runs = alternate(sides, b.repeat) if sides else {}
    ours = median(runs["ours"]) if "ours" in runs else None
    rustc = median(runs["rustc"]) if "rustc" in runs else None
    b.report.say(f"(r) rust-file, bindgen's sqlite3.rs ({len(source.read_text().splitlines())} "
                 f"lines): ours {_fmt(ours, 's')}, rustc {_fmt(rustc, 's')}")
    b.report.compare("(r)", "rust-file sqlite3.rs vs rustc", ours, rustc, 1.0)
    _report_cpu(b, "(r)", runs, "rustc")
    b.compare_compiled("(r)", "rust-file sqlite3.rs vs rustc", runs, "rustc", 1.0,
                       (out, compiled_out))


def _clang_functions(text: str) -> list[str]:
    """The functions clang-19's AST of ``text`` declares at file scope (not its builtins)."""
    assert CLANG is not None
    dump = subprocess.run([CLANG, "-fsyntax-only", "-Xclang", "-ast-dump",
                           "-fno-color-diagnostics", "-w", "-x", "c", "-"], input=text,
                          capture_output=True, text=True).stdout
    names = set()
    for line in dump.splitlines():
        if line[1:].startswith("-FunctionDecl") and " implicit " not in line:
            m = re.search(r" (?:col|line):[\d:]+(?: used| referenced)* ([A-Za-z_$][\w$]*) '",
                          line)
            if m:
                names.add(m.group(1))
    return sorted(names)


def header_vs_clang(b: Bench) -> None:
    """(g) ``header`` on a real header (openssl/ssl.h; zlib.h with --quick), preprocessed by
    clang-19 -E, against clang-19 compiling the same text with every function's address
    taken (so that it emits every id)."""
    header = "zlib.h" if b.quick else "openssl/ssl.h"
    if CLANG is None or not Path("/usr/include", header).exists():
        b.report.say(f"(g) header: skipped ({'clang-19' if CLANG is None else header} "
                     "not installed)")
        b.report.compare("(g)", f"header {header} vs clang-19", None, None, 2.0)
        return
    text = subprocess.run([CLANG, "-E", "-x", "c", "-"], input=f"#include <{header}>\n",
                          capture_output=True, text=True, check=True).stdout
    names = _clang_functions(text)
    src, out = b.tmp / "g.i", b.tmp / "g.jsonl"
    src.write_text(text)
    truth = b.tmp / "g.c"
    truth.write_text(text + "\nvoid *cfi_bench_tab[] = {"
                     + "".join(f"(void *)&{n}," for n in names) + "};\n")
    sides = {"ours": lambda: run(b.ours("header", "--jsonl", str(src)), stdout=out, env=b.env),
             "clang": lambda: run([CLANG, *CLANG_FLAGS, "-x", "c", str(truth), "-o",
                                   os.devnull])}
    compiled_out = b.tmp / "g.compiled.jsonl"
    b.compiled_side(sides, "header", "--jsonl", str(src), stdout=compiled_out)
    runs = alternate(sides, b.repeat)
    ours, clang = median(runs["ours"]), median(runs["clang"])
    cpu = statistics.median(r.cpu for r in runs["ours"]), statistics.median(
        r.cpu for r in runs["clang"])
    answered = sum(1 for line in out.read_text().splitlines()
                   if json.loads(line)["kind"] == "function")
    b.report.say(f"(g) header {header}: {len(names)} functions (clang's AST), {answered} "
                 f"answered; ours {_fmt(ours, 's')} (CPU {_fmt(cpu[0], 's')}), clang-19 "
                 f"{_fmt(clang, 's')} (CPU {_fmt(cpu[1], 's')})")
    b.report.compare("(g)", f"header {header} vs clang-19", ours, clang, 2.0)
    b.report.extra("(g)", "  CPU time (user+sys, for information)", cpu[0], cpu[1])
    b.compare_compiled("(g)", f"header {header} vs clang-19", runs, "clang", 2.0,
                       (out, compiled_out))

def kcfi_index(b: Bench) -> None:
    """(k) the KCFI index: build it over n generated prototypes (through the header reader
    when this build has one, from records otherwise; CFI_TYPEID_BENCH_HEADERS=DIR indexes a
    real header tree instead), then look hashes up in it."""
    try:
        from cfi_typeid.kcfi.index import open_index, write_declarations
        from kcfi_records import declaration
    except ImportError as e:  # an older tree: the section is skipped, the script still runs
        b.report.figure("(k)", "KCFI index", f"skipped ({e})", "", None)
        return
    import importlib.util
    protos = gen.c_prototypes(b.n)
    db = b.tmp / "kcfi.db"
    corpus = os.environ.get("CFI_TYPEID_BENCH_HEADERS", "")
    if corpus and importlib.util.find_spec("cfi_typeid.sources.c_header") is not None:
        how = f"index build --cpp of {corpus} (-j 0)"
        took = run(b.ours("index", "build", str(db), "--c", corpus, "--cpp"), env=b.env).wall
    elif importlib.util.find_spec("cfi_typeid.sources.c_header") is not None:
        folder = b.tmp / "headers"
        folder.mkdir()
        for i in range(0, len(protos), 500):
            (folder / f"h{i // 500}.h").write_text(gen.C_PRELUDE + "\n".join(protos[i:i + 500]))
        how = "index build (header reader, -j 0)"
        took = run(b.ours("index", "build", str(db), "--c", str(folder)), env=b.env).wall
    else:
        how = "write_declarations (no header reader in this build)"
        start = time.perf_counter()
        decls = [declaration(gen.c_function_name(p), p, prelude=gen.C_PRELUDE) for p in protos]
        write_declarations(str(db), decls)
        took = time.perf_counter() - start
    index = open_index(str(db))
    stats = index.stats()
    hashes = [row[0] for row in index.con.execute(
        "SELECT xxhash64 FROM typeids WHERE option_set = 'plain' LIMIT 1000")]
    start = time.perf_counter()
    found = sum(1 for h in hashes if index.lookup(h))
    per = (time.perf_counter() - start) / max(1, len(hashes))
    one_off = run(b.ours("kcfi-lookup", f"0x{hashes[0]:08x}", "--index", str(db)),
                  env=b.env).wall if hashes else None
    b.report.figure("(k)", f"KCFI index of {stats['declarations']:,} declarations "
                    f"({stats['rows']:,} rows, {int(stats['bytes']) // 1024:,} KB)",
                    _fmt(took, "s"), how, None)
    b.report.figure("(k)", "  look-up, in process", f"{per * 1000:.3f} ms each",
                    f"< 5 ms; {found}/{len(hashes)} found", per < 0.005 and found == len(hashes))
    b.report.figure("(k)", "  kcfi-lookup --index, one-off command", _fmt(one_off, "s"),
                    "(start-up included)", None)


SECTIONS: dict[str, Callable[[Bench], None]] = {
    "a": c_batch_vs_clang, "b": rust_batch_vs_rustc, "c": parse_vs_pycparser,
    "d": one_off_vs_clang, "e": warm_repeated, "f": scaling, "g": header_vs_clang,
    "r": rust_file_vs_rustc, "i": bindings_vs_rustc, "k": kcfi_index,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small inputs, one repeat")
    parser.add_argument("-n", type=int, default=None,
                        help="prototypes/signatures per batch (default 10000; quick 200)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs per side (default 3; quick 1)")
    parser.add_argument("--compiled", nargs="?", const="build", default=None, metavar="DIR",
                        help="also time the mypyc-compiled build in (a), (b), (d), (g), (i) "
                        "and (r), side by side with the pure one: installed in DIR (pip "
                        "install --target DIR), or, without DIR, built here "
                        "(CFI_TYPEID_COMPILE=1 pip wheel)")
    parser.add_argument("--only", default="abcdefgrik",
                        help="sections to run, e.g. a,d (g: header, r: rust-file, i: check-bindings, k: KCFI index)")
    args = parser.parse_args(argv)
    n = args.n or (200 if args.quick else 10_000)
    repeat = args.repeat or (1 if args.quick else 3)
    clang = _version([CLANG, "--version"]) if CLANG else "no clang-19"
    rustc = _version([RUSTC, "--version"]) if RUSTC else "no rustc"
    print(f"cfi_typeid benchmarks{' (quick)' if args.quick else ''}: n={n}, medians of "
          f"{repeat} run(s) per side, sides alternated; {platform.python_implementation()} "
          f"{platform.python_version()}, {clang}, {rustc}, {os.cpu_count()} CPUs")
    report = Report()
    cache = Path(tempfile.gettempdir()) / "cfi_typeid-bench-pycache"
    with tempfile.TemporaryDirectory(prefix="cfi_typeid-bench-") as tmp:
        bench = Bench(n, repeat, args.quick, Path(tmp), python_env(cache), report)
        if args.compiled is not None:
            bench.compiled_dir = _compiled_build(args.compiled, Path(tmp))
            bench.compiled = compiled_env(bench.compiled_dir, cache)
        for key, section in SECTIONS.items():
            if key in args.only:
                section(bench)
    report.table()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
