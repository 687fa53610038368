"""The SQLite index: the same answers as the in-memory look-up, its schema, its refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cfi_typeid.errors import UsageError
from cfi_typeid.hashes import kcfi_hash
from cfi_typeid.kcfi.index import SCHEMA_VERSION, build_index, open_index, write_declarations
from cfi_typeid.kcfi.lookup import kcfi_lookup
from cfi_typeid.sources.records import Diagnostic, Scan
from kcfi_records import c_declarations, declaration, rust_declarations


def _key(answers: list) -> list[set[tuple[str, str, str, str, str]]]:  # type: ignore[type-arg]
    return [{(m.name, m.option_set, m.hash_algorithm, m.salt, m.typeid) for m in a.matches}
            for a in answers]


def test_index_answers_as_memory_does(tmp_path: Path) -> None:
    decls = c_declarations() + rust_declarations()
    db = str(tmp_path / "k.db")
    report = write_declarations(db, decls, [Diagnostic("a.h", 3, "skipped")], salts=("s",))
    assert (report.declarations, report.rows, report.diagnostics) == (len(decls),
                                                                     8 * len(decls), 1)
    hashes = sorted({kcfi_hash(getattr(d.typeids, a)) for d in decls
                     for a in ("plain", "normalized", "generalized")}) + [kcfi_hash(
                         decls[0].typeids.plain + ".s"), kcfi_hash(decls[0].typeids.plain + ".t")]
    for salts in (("",), ("", "s"), ("t",)):
        assert _key(kcfi_lookup(hashes, index=db, salts=salts)) == _key(
            kcfi_lookup(hashes, decls, salts=salts))
    stats = open_index(db).stats()
    assert stats["declarations"] == len(decls) and stats["schema_version"] == SCHEMA_VERSION
    assert stats["files"] == 2 and stats["diagnostics"] == 1


def _fake_reader(lang: str, path: str, target: str, options: object) -> Scan:
    name = Path(path).stem
    return Scan((declaration(name, f"void {name}(long, int)", file=path),), ())


def test_build_with_workers(tmp_path: Path) -> None:
    files = [str(tmp_path / f"f{i}.h") for i in range(6)]
    db = str(tmp_path / "w.db")
    report = build_index(db, c=files, jobs=2, reader=_fake_reader)
    assert report.files == 6 and report.declarations == 6
    (answer,) = kcfi_lookup([kcfi_hash("_ZTSFvliE")], index=db)
    assert sorted(m.name for m in answer.matches) == [f"f{i}" for i in range(6)]


def _failing_reader(lang: str, path: str, target: str, options: object) -> Scan:
    if "bad" in path:
        raise UsageError(f"the preprocessor failed on {path}")
    return _fake_reader(lang, path, target, options)


def test_a_file_that_cannot_be_read_is_a_diagnostic(tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    report = build_index(db, c=["good.h", "bad.h"], jobs=1, reader=_failing_reader)
    assert (report.declarations, report.diagnostics) == (1, 1)
    (row,) = open_index(db).con.execute("SELECT message FROM diagnostics").fetchall()
    assert "preprocessor failed on bad.h" in row[0]


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such index"):
        open_index(str(tmp_path / "none.db"))
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite at all, not at all, not at all")
    with pytest.raises(UsageError, match="not a cfi_typeid index"):
        open_index(str(bad))
    old = tmp_path / "old.db"
    write_declarations(str(old), [declaration("f", "void f(void)")])
    con = sqlite3.connect(old)
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(UsageError, match="schema version"):
        open_index(str(old))


def test_build_with_the_real_reader(tmp_path: Path) -> None:
    pytest.importorskip("cfi_typeid.sources.c_header")
    header = tmp_path / "h.h"
    header.write_text("struct S;\nint open_s(struct S *s, const char *name, int flags);\n"
                      "typedef void (*cb_t)(long);\n")
    db = str(tmp_path / "r.db")
    build_index(db, c=[str(header)], jobs=1)
    (a, b) = kcfi_lookup([kcfi_hash("_ZTSFiP1SPKciE"), kcfi_hash("_ZTSFvlE")], index=db)
    assert [m.name for m in a.matches if m.option_set == "plain"] == ["open_s"]
    assert [m.name for m in b.matches if m.option_set == "plain"] == ["cb_t"]


def _including_reader(lang: str, path: str, target: str, options: object) -> Scan:
    """Each file includes inc.h, as a preprocessed header would."""
    return Scan((declaration("shared", "void shared(long)", file="inc.h", line=7),
                 declaration(Path(path).stem, "int own(void)", file=path, line=1)), ())


def test_declarations_keep_their_own_file_and_are_stored_once(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    report = build_index(db, c=["a.h", "b.h"], jobs=1, reader=_including_reader)
    assert report.declarations == 3
    (answer,) = kcfi_lookup([kcfi_hash("_ZTSFvlE")], index=db)
    assert [(m.name, m.file, m.line) for m in answer.matches
            if m.option_set == "plain" and m.hash_algorithm == "xxhash64"] == [
        ("shared", "inc.h", 7)]
