"""Seeded generators of benchmark inputs: header-like C prototypes and Rust signatures.

The same generated text goes to every side of a comparison: our ``batch`` (one JSON line per
prototype, the header's typedefs as the shared prelude), clang-19 (one C file that takes every
function's address, so each gets its type ids) and pycparser (the same declarations, parsed).
Everything is deterministic for a given seed and count.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

#: What clang has no header for here: the target typedefs our tool predefines (x86_64 Linux,
#: LP64), spelled out for clang and pycparser.
C_TARGET_TYPEDEFS = """\
typedef unsigned long size_t;
typedef long ssize_t;
typedef long off_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long uint64_t;
typedef unsigned long uintptr_t;
typedef _Bool bool;
"""

#: The header's own declarations: the prelude of every batch line.
C_PRELUDE = """\
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef long long s64;
typedef unsigned int gfp_t;
typedef long long loff_t;
typedef struct device device_t;
typedef struct list_head list_head_t;
typedef const struct file_operations *fops_t;
typedef int (*irq_handler_t)(int irq, void *dev_id);
typedef void (*completion_fn)(void *ctx, int status);
typedef enum log_level { LOG_ERR, LOG_WARN, LOG_INFO } log_level_t;
typedef struct { int x; int y; } point_t;
typedef union { u32 word; u8 bytes[4]; } word_t;
"""

_STRUCT_TAGS = [
    "device", "sk_buff", "inode", "file", "dentry", "page", "task_struct", "mm_struct",
    "net_device", "socket", "sockaddr", "msghdr", "iov_iter", "kobject", "attribute",
    "bio", "request", "request_queue", "super_block", "vm_area_struct", "timer_list",
    "work_struct", "wait_queue_head", "mutex", "spinlock", "rb_node", "rb_root", "hlist_node",
    "pci_dev", "usb_device", "i2c_client", "platform_device", "clk", "regmap", "gpio_desc",
    "dma_chan", "scatterlist", "crypto_tfm", "seq_file", "poll_table_struct",
] + [f"drv_obj{i}" for i in range(20)]

#: Forward declarations, as headers write them: for clang, a tag first seen inside a parameter
#: list would be a new type of prototype scope, which has no stable id.  (We read every tag as
#: file-scope, so our prelude does not need them.)
C_FORWARD_DECLARATIONS = "".join(f"struct {tag};{chr(10) if i % 8 == 7 else ' '}"
                                 for i, tag in enumerate(_STRUCT_TAGS)) + "\n"

#: What the compilers' text has before the prelude and ours does not.
C_COMPILER_ONLY = C_TARGET_TYPEDEFS + C_FORWARD_DECLARATIONS

_SCALARS = [
    "int", "unsigned int", "long", "unsigned long", "char", "unsigned char", "short",
    "unsigned short", "long long", "unsigned long long", "signed char", "_Bool", "float",
    "double", "size_t", "ssize_t", "off_t", "pid_t", "uid_t", "int8_t", "int16_t",
    "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "uintptr_t", "bool",
    "u8", "u16", "u32", "u64", "s32", "s64", "gfp_t", "loff_t", "log_level_t",
    "enum log_level", "unsigned", "long int", "unsigned long int",
]

_TYPEDEF_POINTEES = ["device_t", "list_head_t", "point_t", "word_t", "void", "char", "u8",
                     "u32", "uint8_t", "int"]
_CALLBACKS = ["irq_handler_t", "completion_fn", "fops_t"]
_NAMES = ["dev", "buf", "len", "flags", "ctx", "data", "count", "offset", "mode", "idx",
          "cb", "arg", "size", "val", "ret", "opts", "node", "priv", "id", "mask"]
_VERBS = ["init", "exit", "read", "write", "open", "close", "probe", "remove", "get", "put",
          "alloc", "free", "lookup", "insert", "update", "flush", "reset", "map", "unmap",
          "poll", "ioctl", "attach", "detach", "suspend", "resume", "start", "stop"]


def _pointee(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return f"struct {rng.choice(_STRUCT_TAGS)}"
    if r < 0.75:
        return rng.choice(_TYPEDEF_POINTEES)
    return rng.choice(_SCALARS)


def _param_type(rng: random.Random, name: str) -> str:
    """One parameter declaration (with its name, C style)."""
    r = rng.random()
    if r < 0.35:
        return f"{rng.choice(_SCALARS)} {name}"
    if r < 0.55:
        return f"{_pointee(rng)} *{name}"
    if r < 0.70:
        return f"const {_pointee(rng)} *{name}"
    if r < 0.76:
        return f"{rng.choice(_CALLBACKS)} {name}"
    if r < 0.81:
        ret = rng.choice(["void", "int", "long"])
        args = ", ".join(rng.choice(["void *", "int", "size_t", "const char *", "u32"])
                         for _ in range(rng.randint(1, 3)))
        return f"{ret} (*{name})({args})"
    if r < 0.86:
        element = rng.choice(["char", "u8", "int", "const char"])
        return f"{element} {name}[{rng.choice([4, 16, 32, 256])}]"
    if r < 0.91:
        return f"{rng.choice(['char', 'void', f'struct {rng.choice(_STRUCT_TAGS)}'])} **{name}"
    if r < 0.95:
        return f"{_pointee(rng)} *const {name}"
    return f"const {rng.choice(['uint8_t', 'char', 'u32'])} {name}[]"


def _return_type(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return "void"
    if r < 0.6:
        return rng.choice(["int", "long", "ssize_t", "size_t", "bool", "u32", "unsigned int",
                           "int32_t", "loff_t"])
    if r < 0.9:
        return rng.choice(["const char", "char", "void", f"struct {rng.choice(_STRUCT_TAGS)}",
                           "device_t", "u8"]) + " *"
    return rng.choice(["irq_handler_t", "completion_fn", "point_t", "struct page *"])


def c_prototypes(count: int, seed: int = 1) -> list[str]:
    """``count`` distinct header-like C prototypes, each ending in ``;``."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        prefix = rng.choice(_STRUCT_TAGS).split("_")[0]
        name = f"{prefix}_{rng.choice(_VERBS)}_{i}"
        nparams = min(rng.choices(range(7), weights=[6, 20, 25, 22, 14, 8, 5])[0], 6)
        names = rng.sample(_NAMES, nparams)
        params = [_param_type(rng, n) for n in names]
        if params and rng.random() < 0.04:
            params.append("...")
        plist = ", ".join(params) if params else "void"
        storage = "extern " if rng.random() < 0.2 else ""
        ret = _return_type(rng)
        sep = "" if ret.endswith("*") else " "
        out.append(f"{storage}{ret}{sep}{name}({plist});")
    return out


def c_function_name(prototype: str) -> str:
    """The declared name of a prototype made by :func:`c_prototypes`."""
    head = prototype.split("(", 1)[0]
    return head.replace("*", " ").split()[-1]


def clang_source(prototypes: list[str]) -> str:
    """One C file declaring everything and taking every function's address."""
    table = ",\n".join(f"  (void *){c_function_name(p)}" for p in prototypes)
    return (C_COMPILER_ONLY + C_PRELUDE + "\n".join(prototypes)
            + f"\nvoid *cfi_bench_table[] = {{\n{table}\n}};\n")


def pycparser_source(prototypes: list[str]) -> str:
    """The same declarations for pycparser (which also needs the target typedefs)."""
    return C_COMPILER_ONLY + C_PRELUDE + "\n".join(prototypes) + "\n"


def c_batch_lines(prototypes: list[str]) -> str:
    """Our ``batch`` input: one JSON line per prototype, the header's declarations as prelude."""
    return "".join(json.dumps({"decl": p, "prelude": C_PRELUDE}) + "\n" for p in prototypes)


# ---- Rust -----------------------------------------------------------------------------------

RUST_PRELUDE = """\
#[repr(C)] pub struct Point { pub x: i32, pub y: i32 }
#[repr(C)] pub struct Packet { pub len: u32, pub data: *mut u8 }
#[repr(C)] pub struct Device { pub id: u64 }
"""

_RUST_SCALARS = ["i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
                 "u128", "usize", "bool", "char", "f32", "f64"]
_RUST_NAMED = ["Point", "Packet", "Device"]


def _rust_type(rng: random.Random, depth: int = 0) -> str:
    r = rng.random()
    if r < 0.40 or depth > 1:
        return rng.choice(_RUST_SCALARS)
    if r < 0.55:
        return f"*const {_rust_type(rng, depth + 1)}"
    if r < 0.68:
        return f"*mut {rng.choice(_RUST_SCALARS + _RUST_NAMED)}"
    if r < 0.76:
        return f"&{_rust_type(rng, depth + 1)}"
    if r < 0.82:
        return f"&mut {rng.choice(_RUST_SCALARS + _RUST_NAMED)}"
    if r < 0.86:
        return rng.choice(["&[u8]", "&str", "&[i32]", "&mut [u8]"])
    if r < 0.91:
        args = ", ".join(rng.choice(_RUST_SCALARS) for _ in range(rng.randint(0, 3)))
        ret = rng.choice(["", " -> i32", " -> usize", " -> bool"])
        return f'extern "C" fn({args}){ret}'
    if r < 0.95:
        return f"*const [{rng.choice(_RUST_SCALARS)}; {rng.choice([2, 4, 16])}]"
    return rng.choice(_RUST_NAMED) if depth == 0 else "u8"


@dataclass(frozen=True, slots=True)
class RustSignature:
    """One ``extern "C"`` function: its name, parameter list and return type as Rust text."""

    name: str
    params: str
    returns: str

    def item(self) -> str:
        """The signature as written in a crate (without the body)."""
        ret = f" -> {self.returns}" if self.returns else ""
        return f'pub extern "C" fn {self.name}({self.params}){ret}'


def rust_signatures(count: int, seed: int = 2) -> list[RustSignature]:
    """``count`` distinct Rust ``extern "C"`` signatures."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        n = rng.choices(range(6), weights=[8, 25, 28, 20, 12, 7])[0]
        params = ", ".join(f"a{j}: {_rust_type(rng)}" for j in range(n))
        returns = rng.choice(["", "", "i32", "u64", "usize", "bool", "*mut u8", "*const Point"])
        out.append(RustSignature(f"{rng.choice(_VERBS)}_{i}", params, returns))
    return out


def rust_source(signatures: list[RustSignature]) -> str:
    """One crate defining every function (``loop {}`` fits any return type)."""
    body = "\n".join(f"#[no_mangle] {s.item()} {{ loop {{}} }}" for s in signatures)
    return ("#![allow(improper_ctypes_definitions, unused_variables)]\n" + RUST_PRELUDE
            + body + "\n")


def rust_batch_lines(signatures: list[RustSignature]) -> str:
    """Our ``batch`` input for the same signatures (``lang`` rust, the structs as prelude)."""
    return "".join(json.dumps({"decl": s.item(), "lang": "rust", "prelude": RUST_PRELUDE})
                   + "\n" for s in signatures)
