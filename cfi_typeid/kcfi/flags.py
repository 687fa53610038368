"""Do the CFI-relevant flags of a C build and a Rust build agree, and what breaks if not.

KCFI checks compare 32-bit hashes at a fixed distance before the callee, so every flag that
changes the hash (sanitizer, integer normalization, pointer generalization, hash algorithm) or
the distance (the patchable-entry prefix) must be the same on both halves of a mixed build;
so must the flags rustc calls *target modifiers* (``-Zfixed-x18``, ``-Zregparm``,
``-Zreg-struct-return``, ...), which change the ABI.  Flags are read from command lines as
people have them: ``CFLAGS``/``RUSTFLAGS`` strings, ``compile_commands.json`` entries, a rustc
command line (``-Zsanitizer`` and ``-Csanitize``, ``-Z x`` and ``-Zx`` spellings alike).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, replace
from typing import Iterable, Sequence

from ..errors import UsageError


@dataclass(frozen=True, slots=True)
class CfiFlags:
    """The CFI-relevant settings one command line gives."""

    lang: str
    sanitizers: tuple[str, ...] = ()
    normalize_integers: bool = False
    generalize_pointers: bool = False
    kcfi_hash: str = "xxhash64"
    #: ``-fpatchable-function-entry=M,N`` as (M, N); (0, 0) without it.
    patchable_entry: tuple[int, int] = (0, 0)
    kcfi_arity: bool = False
    fixed_x18: bool = False
    regparm: int = 0
    reg_struct_return: bool = False
    retpoline: str = ""
    function_return: str = "keep"
    cf_protection: str = "none"
    target: str = ""

    @property
    def kcfi(self) -> bool:
        return "kcfi" in self.sanitizers

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        out["sanitizers"] = list(self.sanitizers)
        out["patchable_entry"] = list(self.patchable_entry)
        return out


_BOOL = {"": True, "y": True, "yes": True, "on": True, "true": True,
         "n": False, "no": False, "off": False, "false": False}


def _patchable(value: str, flag: str) -> tuple[int, int]:
    try:
        parts = [int(p) for p in value.split(",")]
    except ValueError:
        raise UsageError(f"{flag}={value}: expected M or M,N") from None
    if not 1 <= len(parts) <= 2 or parts[-1] < 0 or (len(parts) == 2 and parts[1] > parts[0]):
        raise UsageError(f"{flag}={value}: expected M or M,N with 0 <= N <= M")
    return (parts[0], parts[1] if len(parts) == 2 else 0)


def parse_c_flags(args: Sequence[str] | str) -> CfiFlags:
    """clang's CFI settings from a command line (a string is split as a shell would)."""
    argv = shlex.split(args) if isinstance(args, str) else list(args)
    f = CfiFlags("c")
    sanitizers: dict[str, None] = {}
    it = iter(argv)
    for arg in it:
        name, _, value = arg.partition("=")
        if arg in ("-target", "--target"):
            f = replace(f, target=next(it, ""))
        elif name == "--target":
            f = replace(f, target=value)
        elif name == "-fsanitize":
            sanitizers.update(dict.fromkeys(_expand(value)))
        elif name == "-fno-sanitize":
            for s in _expand(value):
                sanitizers.pop(s, None)
        elif arg == "-fsanitize-cfi-icall-experimental-normalize-integers":
            f = replace(f, normalize_integers=True)
        elif arg == "-fno-sanitize-cfi-icall-experimental-normalize-integers":
            f = replace(f, normalize_integers=False)
        elif arg in ("-fsanitize-cfi-icall-generalize-pointers",
                     "-fno-sanitize-cfi-icall-generalize-pointers"):
            f = replace(f, generalize_pointers=not arg.startswith("-fno-"))
        elif name == "-fsanitize-kcfi-hash":
            f = replace(f, kcfi_hash=_hash_name(value))
        elif name == "-fpatchable-function-entry":
            f = replace(f, patchable_entry=_patchable(value, name))
        elif arg in ("-fsanitize-kcfi-arity", "-fno-sanitize-kcfi-arity"):
            f = replace(f, kcfi_arity=not arg.startswith("-fno-"))
        elif arg == "-ffixed-x18":
            f = replace(f, fixed_x18=True)
        elif name == "-mregparm":
            f = replace(f, regparm=int(value) if value.isdigit() else 0)
        elif arg in ("-freg-struct-return", "-fpcc-struct-return"):
            f = replace(f, reg_struct_return=arg == "-freg-struct-return")
        elif arg in ("-mretpoline", "-mretpoline-external-thunk"):
            f = replace(f, retpoline="external-thunk" if "external" in arg else "retpoline")
        elif name == "-mindirect-branch" and value == "thunk-extern":
            f = replace(f, retpoline="external-thunk")
        elif name == "-mfunction-return":
            f = replace(f, function_return=value)
        elif name == "-fcf-protection":
            f = replace(f, cf_protection=value or "full")
    return replace(f, sanitizers=tuple(sanitizers))


def _expand(value: str) -> list[str]:
    out = []
    for s in value.split(","):
        out += ["cfi-icall", "cfi-vcall", "cfi-nvcall", "cfi-mfcall", "cfi-derived-cast",
                "cfi-unrelated-cast", "cfi-cast-strict"] if s == "cfi" else [s]
    return out


def _hash_name(value: str) -> str:
    low = value.lower().replace("-", "")
    if low in ("xxhash64", "fnv1a"):
        return low
    raise UsageError(f"-fsanitize-kcfi-hash={value}: expected xxHash64 or FNV-1a")


def parse_rust_flags(args: Sequence[str] | str) -> CfiFlags:
    """rustc's CFI settings from ``RUSTFLAGS`` or a whole rustc command line."""
    argv = shlex.split(args) if isinstance(args, str) else list(args)
    f = CfiFlags("rust")
    sanitizers: dict[str, None] = {}
    for option, value in _rustc_options(argv):
        if option == "target":
            f = replace(f, target=value)
        elif option in ("Zsanitizer", "Csanitize"):
            sanitizers.update(dict.fromkeys(v for v in value.split(",") if v))
        elif option == "Zsanitizer-cfi-normalize-integers":
            f = replace(f, normalize_integers=_flag_bool(option, value))
        elif option == "Zsanitizer-cfi-generalize-pointers":
            f = replace(f, generalize_pointers=_flag_bool(option, value))
        elif option == "Zsanitizer-kcfi-arity":
            f = replace(f, kcfi_arity=_flag_bool(option, value))
        elif option == "Zpatchable-function-entry":
            f = replace(f, patchable_entry=_patchable(value, "-" + option))
        elif option == "Zfixed-x18":
            f = replace(f, fixed_x18=_flag_bool(option, value))
        elif option == "Zregparm":
            f = replace(f, regparm=int(value) if value.isdigit() else 0)
        elif option == "Zreg-struct-return":
            f = replace(f, reg_struct_return=_flag_bool(option, value))
        elif option in ("Zretpoline", "Zretpoline-external-thunk") and _flag_bool(option, value):
            f = replace(f, retpoline="external-thunk" if "external" in option else "retpoline")
        elif option == "Zfunction-return":
            f = replace(f, function_return=value)
        elif option == "Zcf-protection":
            f = replace(f, cf_protection=value or "full")
    return replace(f, sanitizers=tuple(sanitizers))


def _rustc_options(argv: list[str]) -> Iterable[tuple[str, str]]:
    """(``Zname`` / ``Cname`` / ``target``, value) for ``-Zname=v``, ``-Z name=v``,
    ``-C name=v`` and ``--target T`` / ``--target=T``."""
    it = iter(argv)
    for arg in it:
        if arg in ("-Z", "-C"):
            body = next(it, "")
            kind = arg[1]
        elif arg.startswith(("-Z", "-C")) and len(arg) > 2:
            body, kind = arg[2:], arg[1]
        elif arg == "--target":
            yield "target", next(it, "")
            continue
        elif arg.startswith("--target="):
            yield "target", arg.split("=", 1)[1]
            continue
        else:
            continue
        name, _, value = body.partition("=")
        yield kind + name, value


def _flag_bool(option: str, value: str) -> bool:
    try:
        return _BOOL[value.lower()]
    except KeyError:
        raise UsageError(f"-{option}={value}: expected yes or no") from None


def c_flags_from_compile_commands(path: str) -> list[tuple[str, CfiFlags]]:
    """(source file, flags) of each entry of a ``compile_commands.json``."""
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}:{e.lineno}:{e.colno}: not JSON: {e.msg}") from None
    if not isinstance(entries, list):
        raise UsageError(f"{path}: expected a JSON array of compile commands")
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        args = entry.get("arguments") or shlex.split(str(entry.get("command", "")))
        out.append((str(entry.get("file", "")), parse_c_flags([str(a) for a in args])))
    return out


# ---- comparing -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FlagRow:
    """One setting on both sides."""

    setting: str
    c: object
    rust: object
    agree: bool
    #: What breaks when they differ (or a caveat when they agree).
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {"setting": self.setting, "c": self.c, "rust": self.rust, "agree": self.agree,
                "note": self.note}


def compare_flags(c: CfiFlags, rust: CfiFlags) -> list[FlagRow]:
    """Each CFI-relevant setting of a C and a Rust build, whether they agree, what breaks."""
    rows = [_row("sanitizer kind", _kind(c), _kind(rust),
                 "the two halves use different CFI schemes (or one none): C's tags and checks "
                 "and Rust's do not meet, and a KCFI check calling into a unit without tags "
                 "traps on every call")]
    rows.append(_row("integer normalization", c.normalize_integers, rust.normalize_integers,
                     "every id differs (one side hashes '.normalized' ids): every indirect "
                     "call between C and Rust traps; the kernel builds both with it "
                     "(CONFIG_CFI_ICALL_NORMALIZE_INTEGERS)"))
    if c.normalize_integers == rust.normalize_integers and not c.normalize_integers \
            and c.kcfi and rust.kcfi:
        rows[-1] = replace(rows[-1], note="agree, but without normalization C's long and "
                           "Rust's c_long (an i64 alias) give different ids: calls through such "
                           "signatures trap unless the Rust side uses cfi-types")
    generalize_note = ("every id differs ('.generalized' on one side): every indirect call "
                       "between C and Rust traps")
    c_gen = c.generalize_pointers
    if c.kcfi and c.generalize_pointers:
        generalize_note += ("; note that clang-19 ignores -fsanitize-cfi-icall-generalize-"
                            "pointers under -fsanitize=kcfi (newer clang honours it), rustc "
                            "applies it")
    rows.append(_row("pointer generalization", c_gen, rust.generalize_pointers,
                     generalize_note))
    rows.append(_row("KCFI hash", c.kcfi_hash, rust.kcfi_hash,
                     "every tag differs: every indirect call between C and Rust traps (rustc "
                     "has no flag for it: it hashes with xxHash64)"))
    rows.append(_row("patchable-function-entry prefix", c.patchable_entry[1],
                     rust.patchable_entry[1],
                     f"call sites read the tag at -(4+N) bytes on x86-64 (-(4+4N) on AArch64): "
                     f"C's assume N={c.patchable_entry[1]}, Rust's N={rust.patchable_entry[1]}, "
                     "so every indirect call from one half to the other traps; set "
                     f"-Zpatchable-function-entry={c.patchable_entry[0]},"
                     f"{c.patchable_entry[1]} for Rust as the C side has it"))
    rows.append(_row("KCFI arity", c.kcfi_arity, rust.kcfi_arity,
                     "the hashes are the same (KCFI checks pass), but the x86-64 preamble's "
                     "register does not give the argument count on one side, which the "
                     "kernel's FineIBT+BHI hardening relies on"))
    rows += _target_modifier_rows(c, rust)
    return rows


def _kind(f: CfiFlags) -> str:
    if f.kcfi:
        return "kcfi"
    cfi = [s for s in f.sanitizers if s.startswith("cfi")]
    return ",".join(cfi) if cfi else "none"


def _row(setting: str, c: object, rust: object, breaks: str) -> FlagRow:
    return FlagRow(setting, c, rust, c == rust, "" if c == rust else breaks)


def _target_modifier_rows(c: CfiFlags, rust: CfiFlags) -> list[FlagRow]:
    return [
        _row("fixed x18 (-ffixed-x18 / -Zfixed-x18)", c.fixed_x18, rust.fixed_x18,
             "AArch64: the kernel's shadow call stack keeps its pointer in x18; code built "
             "without the reservation uses x18 freely and corrupts it (rustc: a target "
             "modifier, crates must agree)"),
        _row("regparm (-mregparm / -Zregparm)", c.regparm, rust.regparm,
             "i686: one side passes arguments in EAX/EDX/ECX, the other on the stack: every "
             "call between them gets the wrong arguments"),
        _row("reg-struct-return (-freg-struct-return / -Zreg-struct-return)",
             c.reg_struct_return, rust.reg_struct_return,
             "i686: small structs come back in registers on one side, in memory on the other"),
        _row("retpoline (-mretpoline[-external-thunk] / -Zretpoline[-external-thunk])",
             c.retpoline or "no", rust.retpoline or "no",
             "x86: one side's indirect calls and jumps lack the Spectre v2 mitigation (not an "
             "ABI break; objtool and the kernel's mitigation checks complain)"),
        _row("function return (-mfunction-return / -Zfunction-return)", c.function_return,
             rust.function_return,
             "x86: one side's returns skip the return thunk (retbleed mitigation)"),
        _row("cf-protection (-fcf-protection / -Zcf-protection)", c.cf_protection,
             rust.cf_protection,
             "x86 IBT: functions of the side without 'branch' lack endbr64, so an IBT kernel "
             "traps on every indirect call to them"),
    ]
