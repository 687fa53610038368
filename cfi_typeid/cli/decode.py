"""``python -m cfi_typeid decode``: type ids back to C and Rust, one or a batch.

Thin like the rest of the CLI: :func:`cfi_typeid.itanium.decoded.decode_typeid` reads the id and
:mod:`cfi_typeid.itanium.render_decoded` shows it.  A KCFI hash gets an explanation instead of "not a
type id", and a pointer to ``kcfi-lookup``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Iterable

from ..itanium.decoded import DecodedTypeId, decode_typeid
from .io import decode_line, open_binary, raw_lines
from .limits import MAX_LINE_BYTES
from ..errors import DecodeError, NotExpressibleError, UsageError
from ..itanium.render_decoded import render_as_c, render_as_rust, rendering_json
from ..itanium.suffixes import looks_like_kcfi_hash

EXIT_OK, EXIT_SOME_FAILED = 0, 1

_HELP = """\
TYPEID is a CFI type id as clang or rustc write it (_ZTSFvlE, _ZTSFvu3i64E.normalized, ...),
from IR dumps (!type metadata) or linker errors. The compiler is recognised from the id. The
type is shown as a C declaration and as a Rust signature wherever it exists in that language;
where it does not (a Rust slice in C, a C long double in Rust) the reason is given instead.

A KCFI hash (0xbde2bfc8, -1109213240) cannot be decoded: it keeps 32 bits of a hash of the id.

--batch reads one id per line and writes one JSON object per line: {"typeid", "flavour",
"suffixes", "salt"?, "c": {"prelude", "decl"}?, "rust": {"prelude", "decl", "crate",
"crates"}?, "not_expressible": {"c"|"rust": reason}?, "notes"?, "ambiguous"?}, or {"typeid",
"error": {"message", "offset"}}. Blank lines give blank lines; the exit status is 1 when any
line failed.
"""


def add_decode(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``decode`` (appended to :data:`cfi_typeid.cli.app.COMMANDS`)."""
    p = sub.add_parser("decode", help="show a type id as C and Rust (or a batch of ids)",
                       description=_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("typeid", nargs="?", metavar="TYPEID", help="the type id to decode")
    p.add_argument("--as", dest="language", choices=("c", "rust"), default=None,
                   help="show only this language (plain text: prelude, then declaration)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch", nargs="?", const="-", default=None, metavar="FILE|-",
                   help="decode one id per line of FILE (default: standard input) to JSON "
                        "Lines")
    p.set_defaults(run=lambda args: _run(args, sub))


def _run(args: argparse.Namespace,
         sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> int:
    languages = (args.language,) if args.language else ("c", "rust")
    if args.batch is not None:
        if args.typeid is not None:
            raise UsageError("give either TYPEID or --batch, not both")
        return _batch(args.batch, languages)
    if args.typeid is None:
        raise UsageError("decode needs a TYPEID (or --batch)")
    text = args.typeid.strip()
    try:
        decoded = decode_typeid(text)
    except DecodeError as e:
        if looks_like_kcfi_hash(text):
            e.message += f"; find the declarations with this hash: kcfi-lookup {text} --c HEADER..."
        raise
    if args.json:
        print(json.dumps(rendering_json(decoded, languages)))
        return EXIT_OK
    try:
        return _print_one(decoded, args.language)
    except NotExpressibleError as e:
        print(f"not expressible in {'C' if args.language == 'c' else 'Rust'}: {e.message}",
              file=sys.stderr)
        return EXIT_SOME_FAILED


def _print_one(decoded: DecodedTypeId, language: str | None) -> int:
    if language == "c":
        c = render_as_c(decoded)
        print("\n".join(filter(None, [c.prelude, c.decl])))
        _print_note(c.note)
        return EXIT_OK
    if language == "rust":
        rust, note = render_as_rust(decoded)
        crates = ",".join(f"{k}={v}" for k, v in rust.crates)
        print("\n".join(filter(None, [rust.prelude, rust.decl])))
        print(f"// --crate {rust.crate}" + (f" --crates {crates}" if crates else ""))
        _print_note(note)
        return EXIT_OK
    _print_both(rendering_json(decoded))
    return EXIT_OK


def _print_note(note: str | None) -> None:
    if note:
        print(f"note: {note}", file=sys.stderr)


def _print_both(view: dict[str, object]) -> None:
    """The human-readable form: compiler and suffixes, then each language."""
    suffixes = " ".join(f".{s}" for s in view["suffixes"])  # type: ignore[attr-defined]
    head = f"{view['flavour']} type id" + (f", salt {view['salt']!r}" if "salt" in view else "")
    print(head + (f", suffixes {suffixes}" if suffixes else ""))
    missing = view.get("not_expressible", {})
    notes = view.get("notes", {})
    assert isinstance(missing, dict) and isinstance(notes, dict)
    for key, title in (("c", "C"), ("rust", "Rust")):
        print(f"{title}:")
        shown = view.get(key)
        if isinstance(shown, dict):
            for line in "\n".join(filter(None, [shown["prelude"], shown["decl"]])).split("\n"):
                print(f"    {line}")
            if key == "rust" and shown["crates"]:
                crates = ",".join(f"{k}={v}" for k, v in shown["crates"].items())
                print(f"    // --crate {shown['crate']} --crates {crates}")
        else:
            print(f"    not expressible in {title}: {missing[key]}")
        if key in notes:
            print(f"    note: {notes[key]}")
    if "ambiguous" in view:
        print(f"note: {view['ambiguous']}")


def _batch(path: str, languages: tuple[str, ...]) -> int:
    with open_binary(path) as f:
        return _batch_lines(raw_lines(f), sys.stdout, languages)


def _batch_lines(lines: Iterable[bytes | int], out: IO[str], languages: tuple[str, ...]
                 ) -> int:
    """One JSON line per input line (lines end at ``\\n`` only), in order; a bad line gets
    an error and the batch goes on."""
    status = EXIT_OK
    for raw in lines:
        record = _decoded_line(raw, languages)
        if record is None:
            out.write("\n")
            continue
        if "error" in record:
            status = EXIT_SOME_FAILED
        out.write(json.dumps(record) + "\n")
    return status


def _decoded_line(raw: bytes | int, languages: tuple[str, ...]) -> dict[str, object] | None:
    """The output object of one input line, or None for a blank one."""
    if isinstance(raw, int):
        return {"error": {"message": f"line of {raw:,} bytes is longer than the limit "
                                     f"({MAX_LINE_BYTES:,} bytes)", "offset": None}}
    text, not_utf8 = decode_line(raw)
    text = text.strip()
    if not text:
        return None
    if not_utf8:
        return {"typeid": text, "error": {"message": not_utf8[0], "offset": not_utf8[1] - 1}}
    try:
        return rendering_json(decode_typeid(text), languages)
    except DecodeError as e:
        return {"typeid": text, "error": {"message": e.message, "offset": e.offset}}
    except RecursionError:
        return {"typeid": text, "error": {"message": "type id nested too deeply",
                                          "offset": None}}
