"""From a KCFI hash back to the declarations whose type id hashes to it.

A hash keeps 32 bits of a hash of the id and cannot be decoded; but the ids of every
declaration in a set of headers and Rust files can be computed, hashed under each option set,
hash algorithm and salt, and the hash looked up.  The id string is the answer people cannot get
from the compilers: it says which type the caller expected.

Hashes come as people have them: hex (``0x1e2c5b9c``), signed decimal as LLVM IR prints it
(``-1109213240``), the negated immediate an x86-64 call site carries
(``movl $0xe1d3a464,%r10d``), or whole ``dmesg`` lines (every ``expected type: 0x...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from ..errors import UsageError
from ..hashes import KCFI_HASHES, kcfi_hash
from ..itanium.suffixes import GENERALIZED_SUFFIX, NORMALIZED_SUFFIX
from ..regex_code import cached_regex

if TYPE_CHECKING:  # the records pull in the front ends, which a look-up in an index never needs
    from ..sources.records import Declaration
    from .index import Index

#: Option set name → the :class:`~cfi_typeid.api.TypeIds` field holding its id.
OPTION_SETS: Mapping[str, str] = {
    "plain": "plain",
    "normalized": "normalized",
    "generalized": "generalized",
    "normalized+generalized": "normalized_generalized",
}
ALGORITHMS: tuple[str, ...] = tuple(KCFI_HASHES)

_DMESG = cached_regex(r"expected type:\s*(0x[0-9a-fA-F]{1,8})")
_DMESG_FAILURE = cached_regex(
    r"CFI failure at (?P<caller>[\w.$]+)[^(]*\(target: (?P<target>[\w.$]+)[^;]*;"
    r"\s*expected type:\s*(?P<hash>0x[0-9a-fA-F]{1,8})")
_CALL_SITE = cached_regex(r"\$(-?(?:0x[0-9a-fA-F]{1,8}|\d{1,10}))\s*,\s*%r10d"  # AT&T
                        r"|\br10d\s*,\s*(-?(?:0x[0-9a-fA-F]{1,8}|\d{1,10}))\b")  # Intel
_HEX = cached_regex(r"[+-]?0[xX][0-9a-fA-F]{1,8}\Z")
_DECIMAL = cached_regex(r"[+-]?[0-9]{1,10}\Z")
_MASK = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class KcfiHash:
    """One hash to look up, and where it came from."""

    value: int
    text: str
    #: ``hex``, ``decimal``, ``call-site`` (negated ``%r10d`` immediate) or ``dmesg``.
    form: str
    #: From a ``CFI failure at caller (target: name ...)`` line.
    caller: str = ""
    target: str = ""


def parse_hash(text: str) -> KcfiHash:
    """One hash in any of the accepted spellings (a ``dmesg`` line gives its first)."""
    found = parse_hashes([text])
    if len(found) != 1:
        raise UsageError(f"expected one KCFI hash, found {len(found)} in {text!r}")
    return found[0]


def parse_hashes(texts: Iterable[str], *, lenient: bool = False) -> list[KcfiHash]:
    """Every hash in ``texts``.  Lines of a ``dmesg`` paste give every ``expected type:``;
    ``lenient`` (text read from a file or standard input) skips lines holding no hash instead
    of raising :class:`~cfi_typeid.errors.UsageError`."""
    out: list[KcfiHash] = []
    for text in texts:
        for line in text.splitlines() or [text]:
            line = line.strip()
            if not line:
                continue
            found = _parse_line(line)
            if found is None and not lenient:
                raise UsageError(
                    f"not a KCFI hash: {line!r} (give hex 0x1e2c5b9c, signed decimal "
                    "-1109213240 as LLVM IR prints it, an x86-64 call site's "
                    "'movl $0xe1d3a464,%r10d', or a dmesg line with 'expected type: 0x...')")
            out.extend(found or ())
    return out


def _parse_line(line: str) -> list[KcfiHash] | None:
    if "expected type" in line:
        failures = {m.group("hash"): m for m in _DMESG_FAILURE.finditer(line)}
        hashes = []
        for text in _DMESG.findall(line):
            m = failures.get(text)
            hashes.append(KcfiHash(int(text, 16), text, "dmesg",
                                   m.group("caller") if m else "", m.group("target") if m else ""))
        return hashes or None
    call = _CALL_SITE.search(line)
    if call is not None:
        imm = _integer(call.group(1) or call.group(2))
        return [KcfiHash(-imm & _MASK, line, "call-site")]
    token = line.split()[0] if len(line.split()) == 1 else line
    if _HEX.match(token):
        return [KcfiHash(_integer(token) & _MASK, token, "hex")]
    if _DECIMAL.match(token):
        value = int(token)
        if not -(1 << 31) <= value < (1 << 32):
            return None
        return [KcfiHash(value & _MASK, token, "decimal")]
    return None


def _integer(text: str) -> int:
    return int(text, 16) if "x" in text.lower() else int(text)


def with_salt(typeid: str, salt: str) -> str:
    """``typeid`` as a ``cfi_salt`` of ``salt`` makes it: ``.SALT`` before the option
    suffixes (``_ZTSFvlE.s.generalized``), as :func:`cfi_typeid.api.typeids_of` writes it."""
    if not salt:
        return typeid
    tail = ""
    for suffix in (GENERALIZED_SUFFIX, NORMALIZED_SUFFIX):
        if typeid.endswith(suffix):
            typeid, tail = typeid[: -len(suffix)], suffix + tail
    return f"{typeid}.{salt}{tail}"


@dataclass(frozen=True, slots=True)
class Match:
    """A declaration whose id hashes to the hash looked up, and how."""

    name: str
    kind: str
    lang: str
    file: str
    line: int
    text: str
    option_set: str
    hash_algorithm: str
    salt: str
    typeid: str
    symbol: str = ""

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "file": self.file, "line": self.line,
                "option_set": self.option_set, "hash_algorithm": self.hash_algorithm,
                "salt": self.salt, "typeid": self.typeid, "lang": self.lang,
                "type": self.text}

    def __str__(self) -> str:
        salt = f", salt {self.salt!r}" if self.salt else ""
        return (f"{self.file}:{self.line}: {self.kind} {self.name}: {self.text}\n"
                f"    {self.typeid}  ({self.option_set}, {self.hash_algorithm}{salt})")


WHY_NOTHING = (
    "Why a hash can match nothing: the kernel rewrites KCFI tags at boot with a random seed "
    "unless booted with cfi=norand (and FineIBT replaces the checks), so a hash from an oops "
    "or from live memory need not be the compiler's; the prototype is not in the files given "
    "(or was skipped: see the diagnostics); or the unit was built with other options or "
    "another compiler (a cfi_salt not given with --salt, -fsanitize-kcfi-hash, rustc type "
    "paths with another crate disambiguator).")


@dataclass(frozen=True, slots=True)
class Answer:
    """What one hash matched."""

    hash: KcfiHash
    matches: tuple[Match, ...]
    #: When ``hash`` came from a ``CFI failure`` line: the target's own declarations, each
    #: with the hash it has under the option set and algorithm that matched the caller.
    target_matches: tuple[Match, ...] = field(default=())

    @property
    def explanation(self) -> str:
        return "" if self.matches else WHY_NOTHING

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"hash": f"0x{self.hash.value:08x}", "input": self.hash.text,
                                  "form": self.hash.form,
                                  "matches": [m.to_json() for m in self.matches]}
        if self.hash.target:
            out["caller"], out["target"] = self.hash.caller, self.hash.target
            out["target_declarations"] = [
                {**m.to_json(), "hash": f"0x{kcfi_hash(m.typeid, m.hash_algorithm):08x}"}
                for m in self.target_matches]
        if not self.matches:
            out["explanation"] = WHY_NOTHING
        return out


class HashTable:
    """Every id of some declarations under every option set, algorithm and salt, by hash."""

    def __init__(self, declarations: Iterable[Declaration], *, salts: Sequence[str] = ("",),
                 algorithms: Sequence[str] = ALGORITHMS) -> None:
        for a in algorithms:
            if a not in KCFI_HASHES:
                raise UsageError(f"unknown KCFI hash {a!r}; known: {', '.join(KCFI_HASHES)}")
        self.declarations = tuple(declarations)
        self.by_hash: dict[int, list[Match]] = {}
        self.by_symbol: dict[str, list[Declaration]] = {}
        for decl in self.declarations:
            if decl.symbol:
                self.by_symbol.setdefault(decl.symbol, []).append(decl)
            for match in matches_of(decl, salts, algorithms):
                self.by_hash.setdefault(kcfi_hash(match.typeid, match.hash_algorithm),
                                        []).append(match)

    def lookup(self, value: int) -> tuple[Match, ...]:
        return tuple(self.by_hash.get(value & _MASK, ()))

    def declarations_named(self, symbol: str) -> tuple[Match, ...]:
        """Every id of the functions linked as ``symbol`` (a plain match list, unhashed)."""
        return tuple(m for d in self.by_symbol.get(symbol, ())
                     for m in matches_of(d, ("",), ALGORITHMS))


def matches_of(decl: Declaration, salts: Sequence[str],
               algorithms: Sequence[str]) -> list[Match]:
    """One :class:`Match` per option set, salt and algorithm of ``decl``."""
    out = []
    for option_set, attr in OPTION_SETS.items():
        base: str = getattr(decl.typeids, attr)
        for salt in salts:
            typeid = with_salt(base, salt)
            for algorithm in algorithms:
                out.append(Match(decl.name, decl.kind, decl.lang, decl.file, decl.line,
                                 decl.text, option_set, algorithm, salt, typeid, decl.symbol))
    return out


def kcfi_lookup(hashes: Iterable[int | str | KcfiHash], declarations: Iterable[Declaration] = (), *,
                index: "Index | str | None" = None, salts: Sequence[str] = ("",),
                algorithms: Sequence[str] = ALGORITHMS) -> list[Answer]:
    """For each hash (an int, a :class:`KcfiHash`, or text in any spelling
    :func:`parse_hashes` reads), every
    declaration whose id hashes to it, under which option set, hash algorithm and salt.

    ``declarations`` are reader records (:func:`cfi_typeid.sources.c_header.read_c_files`,
    :func:`cfi_typeid.sources.rust_file.read_rust_files`); ``index`` a database written by
    :func:`cfi_typeid.kcfi.index.build_index` (or its path), looked up instead."""
    wanted = [h if isinstance(h, KcfiHash) else
              KcfiHash(h & _MASK, f"0x{h & _MASK:08x}", "int") if isinstance(h, int)
              else parse_hash(h) for h in hashes]
    if index is not None:
        from .index import Index, open_index
        db = index if isinstance(index, Index) else open_index(index)
        answers = []
        for h in wanted:
            found = db.lookup(h.value, salts=salts, algorithms=algorithms)
            target = _target_matches(db.declarations_named(h.target), found) if h.target else ()
            answers.append(Answer(h, found, target))
        return answers
    table = HashTable(declarations, salts=salts, algorithms=algorithms)
    return [Answer(h, table.lookup(h.value),
                   _target_matches(table.declarations_named(h.target), table.lookup(h.value))
                   if h.target else ())
            for h in wanted]


def _target_matches(target: tuple[Match, ...], caller: tuple[Match, ...]) -> tuple[Match, ...]:
    """The target's ids under the option sets and algorithms the caller's hash matched in
    (all of them when it matched nothing)."""
    settings = {(m.option_set, m.hash_algorithm) for m in caller}
    return tuple(m for m in target if not settings or (m.option_set, m.hash_algorithm)
                 in settings)
