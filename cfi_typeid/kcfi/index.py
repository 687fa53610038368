"""An SQLite index of type ids and KCFI hashes, for corpora too large to read per look-up.

A kernel-sized corpus (tens of thousands of prototypes) is read once, by every CPU, with the
whole-file readers; each look-up is then an indexed ``SELECT``: milliseconds.

Schema, version 1 (``meta.schema_version``; a database of another version is refused)::

    meta(key TEXT PRIMARY KEY, value TEXT)      schema_version, tool, target, salts (JSON),
                                                built_at (UTC), build_seconds
    files(id INTEGER PRIMARY KEY, path TEXT UNIQUE, lang TEXT,   lang: c | rust
          declarations INTEGER, diagnostics INTEGER)
    declarations(id INTEGER PRIMARY KEY, file_id INTEGER REFERENCES files(id),
          file TEXT, line INTEGER,                   file_id: the file read; file, line: where
          name TEXT, kind TEXT, lang TEXT,           the declaration is (a header it includes,
          text TEXT, symbol TEXT, module TEXT)       with --cpp); a declaration several files
                                                     include is stored once
    typeids(declaration_id INTEGER REFERENCES declarations(id), option_set TEXT, salt TEXT,
          typeid TEXT, xxhash64 INTEGER, fnv1a INTEGER,          hashes unsigned 32-bit
          PRIMARY KEY (declaration_id, option_set, salt))        one row per declaration,
                                                                 option set and salt
    diagnostics(file_id INTEGER, line INTEGER, column INTEGER, name TEXT, severity TEXT,
          message TEXT)
    indexes: typeids(xxhash64), typeids(fnv1a), declarations(symbol)

``option_set`` is ``plain``, ``normalized``, ``generalized`` or ``normalized+generalized``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence, cast

from ..errors import CfiTypeidError, UsageError
from ..hashes import fnv1a32, kcfi_hash, xxhash64_low32
from ..targets import DEFAULT_TARGET, get_target
from .lookup import ALGORITHMS, OPTION_SETS, Match, with_salt

if TYPE_CHECKING:  # the records pull in the front ends, which a look-up never needs
    from ..sources.records import Declaration, Diagnostic, Scan

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, lang TEXT NOT NULL,
                    declarations INTEGER NOT NULL, diagnostics INTEGER NOT NULL);
CREATE TABLE declarations (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id),
                           file TEXT NOT NULL, line INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
                           lang TEXT NOT NULL, text TEXT NOT NULL, symbol TEXT NOT NULL,
                           module TEXT NOT NULL);
CREATE TABLE typeids (declaration_id INTEGER NOT NULL REFERENCES declarations(id),
                      option_set TEXT NOT NULL, salt TEXT NOT NULL, typeid TEXT NOT NULL,
                      xxhash64 INTEGER NOT NULL, fnv1a INTEGER NOT NULL,
                      PRIMARY KEY (declaration_id, option_set, salt)) WITHOUT ROWID;
CREATE TABLE diagnostics (file_id INTEGER NOT NULL REFERENCES files(id), line INTEGER,
                          column INTEGER, name TEXT, severity TEXT, message TEXT);
"""
_INDEXES = """
CREATE INDEX typeids_by_xxhash64 ON typeids(xxhash64);
CREATE INDEX typeids_by_fnv1a ON typeids(fnv1a);
CREATE INDEX declarations_by_symbol ON declarations(symbol);
"""

#: A reader of one file: (lang, path, target, options) → Scan.
Reader = Callable[[str, str, str, Mapping[str, object]], "Scan"]

_DeclRow = tuple[str, int, str, str, str, str, str, str,
                 tuple[tuple[str, str, str, int, int], ...]]
_DiagRow = tuple[int, int | None, str, str, str]
_FileResult = tuple[str, str, list[_DeclRow], list[_DiagRow]]
_Job = tuple[Reader, str, str, str, Mapping[str, object], tuple[str, ...]]


def read_file(lang: str, path: str, target: str, options: Mapping[str, object]) -> Scan:
    """One file through its whole-file reader (``c_header`` or ``rust_file``)."""
    # Imported by name: the readers are other helpers' modules, merged separately.
    module, function = (("c_header", "read_c_files") if lang == "c"
                        else ("rust_file", "read_rust_files"))
    try:
        read = getattr(import_module(f"..sources.{module}", __package__), function)
    except (ImportError, AttributeError):  # the reader is not in this build
        raise UsageError(f"reading {'C headers' if lang == 'c' else 'Rust files'} needs "
                         f"cfi_typeid.sources.{module}, which this build lacks") from None
    if lang == "c":
        kwargs = {k: v for k, v in options.items() if k in ("cpp", "cpp_args")}
    else:
        kwargs = {k: v for k, v in options.items() if k in ("edition", "crate", "crates")}
    return cast("Scan", read([path], target=target, **kwargs))


def _rows(scan: Scan, salts: Sequence[str]) -> list[_DeclRow]:
    rows: list[_DeclRow] = []
    for d in scan.declarations:
        ids = []
        for option_set, attr in OPTION_SETS.items():
            base: str = getattr(d.typeids, attr)
            for salt in salts:
                typeid = with_salt(base, salt)
                ids.append((option_set, salt, typeid, xxhash64_low32(typeid), fnv1a32(typeid)))
        rows.append((d.file, d.line, d.name, d.kind, d.lang, d.text, d.symbol, d.module,
                     tuple(ids)))
    return rows


def _read_one(job: _Job) -> _FileResult:
    reader, lang, path, target, options, salts = job
    try:
        scan = reader(lang, path, target, options)
    except CfiTypeidError as e:  # a file that cannot be read costs a diagnostic, not the build
        if isinstance(e, UsageError) and "which this build lacks" in e.message:
            raise
        return path, lang, [], [(0, None, "", "error", str(e)[:2000])]
    diags: list[_DiagRow] = [(d.line, d.column, d.name, d.severity, d.message) for d in scan.diagnostics]
    return path, lang, _rows(scan, salts), diags


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What ``build_index`` wrote."""

    files: int
    declarations: int
    rows: int
    diagnostics: int
    seconds: float


def build_index(db_path: str, *, c: Sequence[str] = (), rust: Sequence[str] = (),
                target: str = DEFAULT_TARGET, jobs: int = 0, salts: Sequence[str] = (),
                c_options: Mapping[str, object] | None = None,
                rust_options: Mapping[str, object] | None = None,
                reader: Reader = read_file,
                progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Read every file (``jobs`` processes, 0: one per CPU) and write the index at
    ``db_path`` (replaced if it exists).  ``salts`` are indexed beside the unsalted ids."""
    get_target(target)
    all_salts = ("", *dict.fromkeys(s for s in salts if s))
    started = time.perf_counter()
    c_opts: Mapping[str, object] = dict(c_options or {})
    rust_opts: Mapping[str, object] = dict(rust_options or {})
    jobs_list: list[_Job] = [(reader, "c", p, target, c_opts, all_salts) for p in c]
    jobs_list += [(reader, "rust", p, target, rust_opts, all_salts) for p in rust]
    workers = jobs or (os.cpu_count() or 1)
    tmp = f"{db_path}.tmp{os.getpid()}"
    if os.path.exists(tmp):
        os.remove(tmp)
    con = sqlite3.connect(tmp)
    done = False
    try:
        con.executescript(_SCHEMA)
        counts = _write(con, _results(jobs_list, workers), len(jobs_list), progress)
        con.executescript(_INDEXES)
        seconds = time.perf_counter() - started
        meta = {"schema_version": str(SCHEMA_VERSION), "tool": "cfi_typeid 0.1.0",
                "target": target, "salts": json.dumps(list(all_salts)),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": f"{seconds:.3f}"}
        con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        con.commit()
        done = True
    finally:
        con.close()
        if not done and os.path.exists(tmp):
            os.remove(tmp)
    os.replace(tmp, db_path)
    return BuildReport(len(jobs_list), counts[0], counts[1], counts[2], seconds)


def _results(jobs_list: list[_Job], workers: int) -> Iterator[_FileResult]:
    if workers <= 1 or len(jobs_list) <= 1:
        yield from map(_read_one, jobs_list)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs_list))) as pool:
        # Small chunks: files differ in cost by orders of magnitude (a 50-line header, one
        # that includes half of glibc), and results are written in order as they come.
        yield from pool.map(_read_one, jobs_list, chunksize=1 if len(jobs_list) < 2000 else 4)


def _write(con: sqlite3.Connection, results: Iterable[_FileResult], total: int,
           progress: Callable[[int, int], None] | None) -> tuple[int, int, int]:
    decls = rows = diags = 0
    seen: set[tuple[object, ...]] = set()
    for done, (path, lang, decl_rows, diag_rows) in enumerate(results, 1):
        cur = con.execute("INSERT OR REPLACE INTO files (path, lang, declarations, diagnostics)"
                          " VALUES (?, ?, ?, ?)", (path, lang, len(decl_rows), len(diag_rows)))
        file_id = cur.lastrowid
        for row in decl_rows:
            if row[:8] in seen:  # a header every file includes: stored once
                continue
            seen.add(row[:8])
            file, line, name, kind, dlang, text, symbol, module, ids = row
            cur = con.execute("INSERT INTO declarations (file_id, file, line, name, kind, lang,"
                              " text, symbol, module) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              (file_id, file, line, name, kind, dlang, text, symbol, module))
            decl_id = cur.lastrowid
            con.executemany("INSERT OR IGNORE INTO typeids VALUES (?, ?, ?, ?, ?, ?)",
                            [(decl_id, *row) for row in ids])
            rows += len(ids)
            decls += 1
        con.executemany("INSERT INTO diagnostics VALUES (?, ?, ?, ?, ?, ?)",
                        [(file_id, *d) for d in diag_rows])
        diags += len(diag_rows)
        if progress is not None:
            progress(done, total)
    return decls, rows, diags


def write_declarations(db_path: str, declarations: Iterable[Declaration],
                       diagnostics: Iterable[Diagnostic] = (), *, target: str = DEFAULT_TARGET,
                       salts: Sequence[str] = ()) -> BuildReport:
    """An index of records already read (one ``files`` row per file they name)."""
    from ..sources.records import Scan
    by_file: dict[str, list[Declaration]] = {}
    for d in declarations:
        by_file.setdefault(d.file, []).append(d)
    diags: dict[str, list[Diagnostic]] = {}
    for g in diagnostics:
        diags.setdefault(g.file, []).append(g)
    scans = {f: Scan(tuple(by_file.get(f, ())), tuple(diags.get(f, ())))
             for f in dict.fromkeys([*by_file, *diags])}

    def reader(lang: str, path: str, target: str, options: Mapping[str, object]) -> Scan:
        return scans[path]
    langs = {f: (ds[0].lang if ds else "c") for f, ds in by_file.items()}
    return build_index(db_path, c=[f for f in scans if langs.get(f, "c") == "c"],
                       rust=[f for f in scans if langs.get(f) == "rust"], target=target,
                       jobs=1, salts=salts, reader=reader)


class Index:
    """A database written by :func:`build_index`, opened read-only."""

    def __init__(self, path: str) -> None:
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such index (build it with 'index build')")
        try:
            self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            meta = dict(self.con.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as e:
            raise UsageError(f"{path}: not a cfi_typeid index ({e})") from None
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise UsageError(f"{path}: index schema version {meta.get('schema_version')!r}, "
                             f"this cfi_typeid reads version {SCHEMA_VERSION}: build it again")
        self.path = path
        self.meta = meta
        self.salts: tuple[str, ...] = tuple(json.loads(meta.get("salts", '[""]')))

    _SELECT = ("SELECT d.name, d.kind, d.lang, d.file, d.line, d.text, t.option_set, t.salt,"
               " t.typeid, d.symbol FROM typeids t JOIN declarations d ON d.id = t.declaration_id")

    def lookup(self, value: int, *, salts: Sequence[str] = ("",),
               algorithms: Sequence[str] = ALGORITHMS) -> tuple[Match, ...]:
        """Every row whose hash under ``algorithms`` is ``value``, for ``salts`` (a salt the
        index was not built with is computed from the unsalted ids: a scan, not a look-up)."""
        out: list[Match] = []
        for algorithm in algorithms:
            if algorithm not in ALGORITHMS:
                raise UsageError(f"unknown KCFI hash {algorithm!r}")
            indexed = [s for s in salts if s in self.salts]
            if indexed:
                marks = ", ".join("?" * len(indexed))
                for row in self.con.execute(
                        f"{self._SELECT} WHERE t.{algorithm} = ? AND t.salt IN ({marks})"
                        " ORDER BY d.id, t.option_set", (value & 0xFFFFFFFF, *indexed)):
                    out.append(_match(row, algorithm))
            for salt in (s for s in salts if s not in self.salts):
                for row in self.con.execute(f"{self._SELECT} WHERE t.salt = ''"):
                    typeid = with_salt(row[8], salt)
                    if kcfi_hash(typeid, algorithm) == value & 0xFFFFFFFF:
                        out.append(_match((*row[:7], salt, typeid, row[9]), algorithm))
        return tuple(out)

    def declarations_named(self, symbol: str) -> tuple[Match, ...]:
        """Every unsalted id of the functions linked as ``symbol``, under both algorithms."""
        rows = self.con.execute(f"{self._SELECT} WHERE d.symbol = ? AND t.salt = ''",
                                (symbol,)).fetchall()
        return tuple(_match(r, a) for r in rows for a in ALGORITHMS)

    def stats(self) -> dict[str, object]:
        q = self.con.execute
        kinds = dict(q("SELECT lang || ' ' || kind, COUNT(*) FROM declarations GROUP BY 1"))
        collisions = q("SELECT COUNT(*) FROM (SELECT xxhash64 FROM typeids WHERE salt = ''"
                       " GROUP BY xxhash64 HAVING COUNT(DISTINCT typeid) > 1)").fetchone()[0]
        return {
            "path": self.path, "schema_version": SCHEMA_VERSION,
            "target": self.meta.get("target"), "salts": list(self.salts),
            "built_at": self.meta.get("built_at"),
            "build_seconds": float(self.meta.get("build_seconds", "0")),
            "files": q("SELECT COUNT(*) FROM files").fetchone()[0],
            "declarations": q("SELECT COUNT(*) FROM declarations").fetchone()[0],
            "by_kind": kinds,
            "rows": q("SELECT COUNT(*) FROM typeids").fetchone()[0],
            "distinct_typeids": q("SELECT COUNT(DISTINCT typeid) FROM typeids").fetchone()[0],
            "distinct_xxhash64": q("SELECT COUNT(DISTINCT xxhash64) FROM typeids").fetchone()[0],
            "xxhash64_collisions": collisions,
            "diagnostics": q("SELECT COUNT(*) FROM diagnostics").fetchone()[0],
            "bytes": os.path.getsize(self.path),
        }

    def close(self) -> None:
        self.con.close()


def _match(row: tuple[object, ...], algorithm: str) -> Match:
    name, kind, lang, path, line, text, option_set, salt, typeid, symbol = row
    return Match(str(name), str(kind), str(lang), str(path), int(line),  # type: ignore[call-overload]
                 str(text), str(option_set), algorithm, str(salt), str(typeid), str(symbol))


def open_index(path: str) -> Index:
    """The index at ``path``; :class:`~cfi_typeid.errors.UsageError` when it is none."""
    return Index(path)
