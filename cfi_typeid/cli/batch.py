"""``batch``: JSON Lines in, JSON Lines out — a contract, whatever the input.

Exactly one output line per input line (lines end at ``\\n`` only), in order, each valid JSON
(no ``NaN``, no ``Infinity``: a line holding one is an error of that line).  A line that is not
UTF-8, not JSON, not an object, holds a key of the wrong type, or is too long gets an
``"error"`` object, and the batch goes on.  The keys batch reads (:data:`READ_KEYS`) are not
written back; every other key is (``id`` and the like), so a large prelude is not repeated on
every output line.

A prelude is parsed once per batch (per process, with ``--jobs``), whether it parses or not:
the front ends cache the scope a good one leaves, and :data:`_PRELUDES` the error of a
bad one, which every line using it then gets with ``"in": "prelude"``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Iterator, Mapping, TextIO

from ..api import prelude_warnings, typeids
from ..errors import CfiTypeidError
from ..memo import remember
from ..targets import DEFAULT_C_STANDARD, DEFAULT_TARGET, Target, get_target, with_c_standard
from .io import decode_line, json_encoder, surrogate_problem
from .limits import MAX_DECL_CHARS, MAX_INT_DIGITS, MAX_LINE_BYTES
from .workers import LINES, pool, stopping_between_lines, written

#: The keys batch reads: they are not echoed.  Only ``decl`` is required.
READ_KEYS = frozenset({"decl", "lang", "prelude", "target", "crate", "crates", "salt", "std"})
_OPTIONAL_STRINGS = ("lang", "prelude", "target", "crate", "salt", "std")

_JSON_TYPES = {str: "a string", int: "a number", float: "a number", bool: "a boolean",
               type(None): "null", list: "an array", dict: "an object"}


class _NotJSON(ValueError):
    """A number the output could not write back as JSON (``NaN``, ``1e999``)."""


def _error(message: str, line: int | None = None, column: int | None = None
           ) -> dict[str, object]:
    return {"message": message, "line": line, "column": column}


def _constant(name: str) -> object:
    raise _NotJSON(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotJSON(f"{text[:40]} is out of range for a finite number")
    return value


#: One decoder and one encoder for every line: ``json.loads`` and ``json.dumps`` given any
#: option build a new one (and its scanner) per call (see :func:`json_encoder`).
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)
_ENCODE = json_encoder(allow_nan=False)


def _load(text: str) -> tuple[Any, dict[str, object] | None]:
    """The JSON value of a line, or the error that says why it has none."""
    try:
        if text.startswith("\ufeff"):  # (as json.loads refuses it)
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text), None
    except json.JSONDecodeError as e:
        return None, _error(f"not JSON: {e.msg}", e.lineno, e.colno)
    except _NotJSON as number:  # (not "e" again: compiled by mypyc, a name has one type)
        return None, _error(f"not JSON: {number}")
    except ValueError:  # int(): more digits than Python turns into an int
        return None, _error(f"not JSON we read: an integer with more than {MAX_INT_DIGITS:,} "
                            "digits")
    except RecursionError:
        return None, _error("not JSON we read: nested too deeply")


def _type_problem(item: Mapping[str, Any]) -> str | None:
    """What is wrong with the types of the keys batch reads, or None."""
    if "decl" not in item:
        return 'missing "decl"'
    if not isinstance(item["decl"], str):
        return f'"decl" must be a string, not {_JSON_TYPES.get(type(item["decl"]), "that")}'
    for key in _OPTIONAL_STRINGS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            return f'"{key}" must be a string or null, not {_JSON_TYPES.get(type(value), "that")}'
    if len(item["decl"]) > MAX_DECL_CHARS:
        return (f'"decl" has {len(item["decl"]):,} characters, more than the limit '
                f"({MAX_DECL_CHARS:,})")
    crates = item.get("crates")
    if crates is not None and not (isinstance(crates, dict)
                                   and all(isinstance(v, str) for v in crates.values())):
        return '"crates" must be an object of strings'
    for key in ("decl", *_OPTIONAL_STRINGS):
        problem = item.get(key) and surrogate_problem(item[key], f'"{key}"')
        if problem:
            return problem
    for name, value in (crates or {}).items():
        problem = (surrogate_problem(name, '"crates" name')
                   or surrogate_problem(value, f'"crates" value of {name!r}'))
        if problem:
            return problem
    return None


#: What each prelude gave on its own, by (lang, prelude, target, crate, crates): the error
#: of one that failed, which every line using it gets without another parse, or None for
#: one that parses (whose scope the front end caches), so that a line asks no more.
_PRELUDES: dict[tuple[object, ...], dict[str, object] | None] = {}
_PRELUDES_MAX = 256


def _prelude_error(lang: str, prelude: str, target: str, crate: str | None,
                   crates: Mapping[str, str] | None, std: str = DEFAULT_C_STANDARD
                   ) -> dict[str, object] | None:
    """The error of ``prelude`` on its own (cached), or None when it parses.  A good prelude
    is cached by the front end, so parsing it here costs the line nothing."""
    if not prelude or lang not in ("c", "rust"):
        return None
    key = (lang, prelude, target, crate, tuple(sorted(crates.items())) if crates else (), std)
    if key in _PRELUDES:
        return _PRELUDES[key]
    try:
        t = with_c_standard(get_target(target), std)
    except CfiTypeidError:
        return None  # the line's own error, reported by the front end
    try:
        _parse_prelude(lang, prelude, t, crate)
    except CfiTypeidError as e:
        return remember(_PRELUDES, key, {**e.to_json(), "in": "prelude"}, _PRELUDES_MAX)
    except RecursionError:
        return remember(_PRELUDES, key, {**_error("prelude nested too deeply"),
                                         "in": "prelude"}, _PRELUDES_MAX)
    return remember(_PRELUDES, key, None, _PRELUDES_MAX)


def _parse_prelude(lang: str, prelude: str, target: Target, crate: str | None) -> None:
    """Parse ``prelude`` alone, as the front end does before a declaration (its result is
    cached there): the step whose failure every line using the prelude shares."""
    if lang == "c":
        from ..c import frontend as c_frontend
        c_frontend.prelude_scope(prelude, target)
    elif (crate or "probe").isidentifier():
        from ..rust import frontend as rust_frontend
        from ..rust.items import DEFAULT_CRATE
        rust_frontend.prelude_root(prelude, target, crate or DEFAULT_CRATE)


def _answer(item: Mapping[str, Any]) -> dict[str, Any]:
    """``{"typeids": ...}`` or ``{"error": ...}`` for a line whose keys have the right types."""
    lang, target = item.get("lang") or "c", item.get("target") or DEFAULT_TARGET
    # One string object per distinct prelude: the answer caches key on it, and a batch
    # repeats its prelude on every line.
    prelude = sys.intern(item.get("prelude") or "")
    crate, crates = item.get("crate"), item.get("crates")
    std = item.get("std") or DEFAULT_C_STANDARD
    failed = _prelude_error(lang, prelude, target, crate, crates, std)
    if failed is not None:
        return {"error": failed}
    try:
        ids = typeids(item["decl"], lang=lang, target=target, prelude=prelude,
                      crate=crate, crates=crates, salt=item.get("salt") or "", std=std)
        warnings = prelude_warnings(prelude, lang=lang, target=target, std=std) \
            if prelude else ()
        return {"typeids": ids.to_json(), **({"warnings": list(warnings)} if warnings else {})}
    except CfiTypeidError as e:
        return {"error": e.to_json()}
    except RecursionError:
        return {"error": _error("declaration nested too deeply")}
    except Exception as bug:  # noqa: BLE001 - a bug of ours must not cost the other lines
        return {"error": {**_error(f"internal error ({type(bug).__name__}: {bug}); please "
                                   "report this line"), "internal": True}}


def process_line(text: str) -> dict[str, Any]:
    """The output object for one input line (never raises for bad input)."""
    item, error = _load(text)
    if error is not None:
        return {"input": text, "error": error}
    if not isinstance(item, dict):
        return {"input": item, "error": _error("each line must be a JSON object")}
    out: dict[str, Any] = {k: v for k, v in item.items() if k not in READ_KEYS}
    problem = _type_problem(item)
    out.update({"error": _error(problem)} if problem else _answer(item))
    return out


def _dumps(result: dict[str, Any]) -> str:
    try:
        return _ENCODE(result)
    except (ValueError, RecursionError):  # an echoed value JSON cannot hold, or too deep
        return json.dumps({"error": _error("an echoed value cannot be written as JSON")})


def line_out(raw: bytes | int) -> tuple[str, bool]:
    """One input line's output line (newline included) and whether it is an error.  ``raw``
    is the line's bytes, or the length of a line too long to read (see :func:`raw_lines`)."""
    if isinstance(raw, int):
        return _dumps({"error": _error(f"line of {raw:,} bytes is longer than the limit "
                                       f"({MAX_LINE_BYTES:,} bytes)")}) + "\n", True
    text, not_utf8 = decode_line(raw)
    text = text.strip()
    if not text:
        return "\n", False
    if not_utf8:
        return _dumps({"input": text, "error": _error(not_utf8[0], 1, not_utf8[1])}) + "\n", True
    result = process_line(text)
    return _dumps(result) + "\n", "error" in result


def run_batch(lines: Iterable[bytes | int], out: TextIO, jobs: int = 1) -> int:
    """Process every line; exit status 0 when all lines gave ids, 1 when any gave an error.

    With ``jobs`` > 1 that many worker processes share the lines (in chunks, each worker
    keeping its own parsed preludes), and the output keeps the input's order.  Worth it for
    thousands of lines: a worker costs a fork, and each parses the preludes again.  Each
    output line is written whole, so a run stopped by a signal leaves whole lines only."""
    with stopping_between_lines():
        if jobs > 1:
            with pool(jobs) as workers:
                status = _write(workers.imap(line_out, lines, chunksize=_CHUNK), out)
        else:
            status = _write(map(line_out, lines), out)
        out.flush()
    return status


def _write(results: Iterator[tuple[str, bool]], out: TextIO) -> int:
    status = 0
    for text, failed in results:
        status |= failed
        LINES.writing = True
        out.write(text)
        written()
    return status


#: Lines per task sent to a worker: large enough that the pickling round trip is noise.
_CHUNK = 256
