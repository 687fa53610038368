"""``batch``: JSON Lines in, JSON Lines out, one output line per input line, in order.

A line that is not JSON, not an object, or not a declaration gets an ``"error"`` object and the
batch goes on.  Preludes are parsed once each (the front ends cache the scope a prelude leaves).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, TextIO

from .. import api
from ..errors import CfiTypeidError
from ..targets import DEFAULT_TARGET

_STRING_KEYS = ("decl", "lang", "prelude", "target", "crate", "salt")


def _error(message: str, line: int | None = None, column: int | None = None
           ) -> dict[str, object]:
    return {"message": message, "line": line, "column": column}


def process_line(text: str) -> dict[str, Any]:
    """The output object for one input line (never raises for bad input)."""
    try:
        item = json.loads(text)
    except json.JSONDecodeError as e:
        return {"input": text, "error": _error(f"not JSON: {e.msg}", e.lineno, e.colno)}
    if not isinstance(item, dict):
        return {"input": item, "error": _error("each line must be a JSON object")}
    out: dict[str, Any] = dict(item)
    bad = [k for k in _STRING_KEYS if k in item and not isinstance(item[k], (str, type(None)))]
    if "decl" not in item:
        out["error"] = _error('missing "decl"')
    elif bad:
        out["error"] = _error(f'"{bad[0]}" must be a string')
    elif "crates" in item and not (isinstance(item["crates"], dict) and all(
            isinstance(v, str) for v in item["crates"].values())):
        out["error"] = _error('"crates" must be an object of strings')
    else:
        try:
            # One string object per distinct prelude: the answer caches key on it, and a batch
            # repeats its prelude on every line.
            prelude = sys.intern(item.get("prelude") or "")
            ids = api.typeids(item["decl"], lang=item.get("lang") or "c",
                              target=item.get("target") or DEFAULT_TARGET,
                              prelude=prelude, crate=item.get("crate"),
                              crates=item.get("crates"), salt=item.get("salt") or "")
            out["typeids"] = ids.to_json()
        except CfiTypeidError as e:
            out["error"] = e.to_json()
        except RecursionError:
            out["error"] = _error("declaration nested too deeply")
    return out


def _line_out(raw: str) -> tuple[str, bool]:
    """One input line's output line (newline included) and whether it is an error."""
    text = raw.strip()
    if not text:
        return "\n", False
    result = process_line(text)
    return json.dumps(result) + "\n", "error" in result


def run_batch(lines: Iterable[str], out: TextIO, jobs: int = 1) -> int:
    """Process every line; exit status 0 when all lines gave ids, 1 when any gave an error.

    With ``jobs`` > 1 that many worker processes share the lines (in chunks, each worker
    keeping its own parsed preludes), and the output keeps the input's order.  Worth it for
    thousands of lines: a worker costs a fork, and each parses the preludes again."""
    status = 0
    results: Iterable[tuple[str, bool]]
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context(_START_METHOD).Pool(jobs) as pool:
            results = pool.imap(_line_out, lines, chunksize=_CHUNK)
            for text, failed in results:
                status |= failed
                out.write(text)
    else:
        for raw in lines:
            text, failed = _line_out(raw)
            status |= failed
            out.write(text)
    out.flush()
    return status


#: Lines per task sent to a worker: large enough that the pickling round trip is noise.
_CHUNK = 256
#: fork where there is one (the workers start with everything imported and the parser warm);
#: spawn elsewhere.
_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
