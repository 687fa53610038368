"""Declaration records built directly (api.parse_function + api.typeids_of), the way the
whole-file readers build them, for the KCFI tests that must not wait for the readers."""

from __future__ import annotations

from cfi_typeid.api import parse_function, typeids_of
from cfi_typeid.flavours import CLANG, RUSTC
from cfi_typeid.sources.records import Declaration
from cfi_typeid.targets import DEFAULT_TARGET, get_target


def declaration(name: str, decl: str, *, lang: str = "c", kind: str = "function",
                file: str = "x.h", line: int = 1, prelude: str = "",
                target: str = DEFAULT_TARGET, symbol: str | None = None) -> Declaration:
    fn = parse_function(decl, lang=lang, target=target, prelude=prelude)
    ids = typeids_of(fn, CLANG if lang == "c" else RUSTC, get_target(target))
    return Declaration(name=name, kind=kind, lang="c" if lang == "c" else "rust", file=file,
                       line=line, text=decl, function=fn, typeids=ids,
                       symbol=(name if kind == "function" else "") if symbol is None else symbol)


C_DECLS = [
    ("target", "int target(int a, long b)"), ("st", "int st(int a, long b)"),
    ("ext", "void ext(long)"), ("ext2", "int ext2(const char *, ...)"),
    ("get", "int (*get(void))(int, long)"), ("call", "int call(int (*fp)(int, long), int x)"),
    ("call2", "void call2(void (*g)(long))"), ("take", "void *take(void)"),
    ("take2", "void *take2(void)"),
    ("many", "unsigned char many(unsigned char c, short s, struct S *p, void (*cb)(void))"),
    ("walk", "long long walk(struct S *p, long long (*f)(struct S *))"),
]

C_TYPEDEFS = [("binop", "int (*)(int, long)"), ("void_fn", "void (*)(void)"),
              ("walker", "long long (*)(struct S *)")]


def c_declarations(target: str = DEFAULT_TARGET, file: str = "a.h") -> list[Declaration]:
    """The prototypes of tests/kcfi_objects.py's C source, as a header reader gives them."""
    prelude = "struct S { int a; };"
    out = [declaration(n, d, prelude=prelude, target=target, file=file, line=i + 1)
           for i, (n, d) in enumerate(C_DECLS)]
    for name, decl in C_TYPEDEFS:
        out.append(declaration(name, decl, kind="typedef", prelude=prelude, target=target,
                               file=file, line=len(out) + 1))
    return out


RUST_DECLS = [
    ("target", 'extern "C" fn target(a: i32, b: i64) -> i32'),
    ("zero", 'extern "C" fn zero() -> i32'),
    ("three", 'extern "C" fn three(a: i32, b: i32, c: i32) -> i32'),
    ("many", 'extern "C" fn many(c: u8, s: i16, p: *const S, cb: extern "C" fn()) -> u8'),
    ("call", 'fn call(f: extern "C" fn(i32, i64) -> i32, x: i32) -> i32'),
    ("walk", 'extern "C" fn walk(p: *const S, f: extern "C" fn(*const S) -> i64) -> i64'),
]


def rust_declarations(target: str = DEFAULT_TARGET, file: str = "probe.rs") -> list[Declaration]:
    out = []
    for i, (n, d) in enumerate(RUST_DECLS):
        fn = parse_function(d, lang="rust", target=target,
                            prelude="#[repr(C)] pub struct S { a: i32 }")
        out.append(Declaration(n, "function", "rust", file, i + 1, d, fn,
                               typeids_of(fn, RUSTC, get_target(target)), symbol=n))
    return out
