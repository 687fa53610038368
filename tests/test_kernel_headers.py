"""Linux kernel headers, whole translation units, against clang-19: the types a kernel
engineer reads in ``CFI failure at ...  (target: ...; expected type: 0x...)``.

Each unit is a list of headers of Debian's ``linux-headers-amd64`` preprocessed by
``clang-19 -E`` as kbuild would (see ``tests/kernel_headers.py``) and read by
:func:`cfi_typeid.sources.c_header.scan_c` as it comes.  The truth is clang-19 compiling the
same text with every function's address taken (the functions of clang's own AST) and a probe
for every function-pointer typedef, member (``file_operations.read``...) and variable we
report, as in ``tests/test_c_headers.py``: the four ids from ``-fsanitize=cfi-icall``'s
``!type`` metadata, and the KCFI hashes, the kernel's own scheme, from
``-fsanitize=kcfi``'s ``!kcfi_type`` (with and without
``-fsanitize-cfi-icall-experimental-normalize-integers``, which a kernel with Rust turns on).

The bar: every function clang emits an id for is answered, none other is (a fortified
``strlen`` with ``pass_object_size`` parameters has no address to take), and every id and
hash is clang's.

CI runs one unit of three headers (module.h, fs.h, netdevice.h: about 45 s);
``CFI_TYPEID_KERNEL_HEADERS=all`` runs the 63 units of :data:`ALL_UNITS` and the normalized
KCFI hashes too (about twenty minutes on two shared CPUs),
``CFI_TYPEID_KERNEL_HEADERS=linux/fs.h:net/sock.h`` the units named, and
``python tests/test_kernel_headers.py [HEADER...]`` prints the per-unit table.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import kernel_headers  # noqa: E402
from oracles import CLANG, kcfi_from_ir  # noqa: E402
from test_c_headers import (  # noqa: E402
    Result, _probe, check_text, clang_functions,
)

c_header = pytest.importorskip("cfi_typeid.sources.c_header")

#: The units of the big corpus: what drivers, file systems and the network stack include.
ALL_UNITS = [
    "linux/module.h", "linux/fs.h", "linux/netdevice.h", "linux/sched.h", "linux/mm.h",
    "linux/skbuff.h", "net/sock.h", "linux/device.h", "linux/pci.h", "linux/bpf.h",
    "linux/kernel.h", "linux/slab.h", "linux/interrupt.h", "linux/workqueue.h",
    "linux/blkdev.h", "linux/cdev.h", "linux/uaccess.h", "linux/io.h", "linux/dma-mapping.h",
    "linux/usb.h", "linux/tty.h", "linux/seq_file.h", "linux/proc_fs.h", "linux/debugfs.h",
    "linux/kthread.h", "linux/timer.h", "linux/hrtimer.h", "linux/ftrace.h",
    "linux/kprobes.h", "linux/perf_event.h", "linux/filter.h", "net/tcp.h", "linux/crypto.h",
    "crypto/hash.h", "linux/platform_device.h", "linux/of.h", "linux/gpio/driver.h",
    "linux/i2c.h", "linux/spi/spi.h", "linux/input.h", "linux/miscdevice.h",
    "linux/security.h", "linux/cgroup.h", "linux/xarray.h", "linux/string.h", "linux/irq.h",
    "linux/kobject.h", "linux/netfilter.h", "net/netlink.h", "linux/ethtool.h",
    "linux/virtio.h", "linux/bio.h", "linux/fs_context.h", "linux/pagemap.h", "linux/swap.h",
    "linux/vmalloc.h", "linux/iommu.h", "drm/drm_drv.h", "sound/core.h", "net/mac80211.h",
    "linux/nvme.h", "linux/acpi.h", "scsi/scsi_host.h",
]
#: CI's: one unit of the module boilerplate and the operations tables of files and network
#: devices (``+`` joins the headers of one unit: they share most of what they include).
CI_UNITS = ["linux/module.h+linux/fs.h+linux/netdevice.h"]
_CHOSEN = os.environ.get("CFI_TYPEID_KERNEL_HEADERS", "")
UNITS = ALL_UNITS if _CHOSEN == "all" else [u for u in _CHOSEN.split(":") if u] or CI_UNITS
BUILD = kernel_headers.build_tree()


class KcfiResult(NamedTuple):
    checked: int  # functions and probes clang gave a hash, that we answer
    right: int
    wrong: list[str]


def check_kcfi(text: str, normalize: bool = False) -> KcfiResult:
    """Every hash clang-19 ``-fsanitize=kcfi`` gives a function of ``text`` or a probe of a
    record we report, against ours."""
    assert CLANG is not None
    scan = _scan(text)
    ours: dict[str, object] = {}
    for d in scan.declarations:
        if d.kind == "function":
            ours.setdefault(d.symbol, d)
    others = [d for d in scan.declarations if d.kind != "function"]
    probes = {f"__cfi_probe{i}": _probe(d, i, text) for i, d in enumerate(others)}
    ours.update({f"__cfi_probe{i}": d for i, d in enumerate(others)})
    # every function of clang's AST and every probe; probes clang refuses are dropped, as
    # check_text does (a function clang hashes but we lack fails check_text already)
    functions = sorted(clang_functions(text, kernel_headers.TARGET))
    for _ in range(4):
        names = functions + list(probes)
        source = (text + '\n#line 1 "__probes__"\n' + "\n".join(probes.values())
                  + "\nvoid *__cfi_tab[] = {" + "".join(f"(void*)&{n}," for n in names)
                  + "};\n")
        ir, errors = _compile_kcfi(source, normalize)
        if ir is not None:
            break
        lines = {int(n) - 1 for n in re.findall(r"__probes__:(\d+):\d+: error", errors)}
        bad = {list(probes)[k] for k in lines if 0 <= k < len(probes)}
        assert bad, f"clang-19 -fsanitize=kcfi refused the unit:\n{errors[:3000]}"
        probes = {n: p for n, p in probes.items() if n not in bad}
    assert ir is not None
    key = "kcfi_normalized" if normalize else "kcfi"
    wrong, right, checked = [], 0, 0
    for name, expected in kcfi_from_ir(ir).items():
        d = ours.get(name)
        if d is None:
            continue
        checked += 1
        got = d.typeids.to_json()[key]  # type: ignore[attr-defined]
        if got == f"0x{expected:08x}":
            right += 1
        else:
            wrong.append(f"{name}: clang 0x{expected:08x}, ours {got} "
                         f"({d.text})")  # type: ignore[attr-defined]
    return KcfiResult(checked, right, wrong)


@lru_cache(maxsize=2)
def _scan(text: str) -> Any:
    return c_header.scan_c(text, target=kernel_headers.TARGET)


def _compile_kcfi(source: str, normalize: bool) -> tuple[str | None, str]:
    assert CLANG is not None
    flags = ["-target", kernel_headers.TARGET, "-fsanitize=kcfi"]
    if normalize:
        flags.append("-fsanitize-cfi-icall-experimental-normalize-integers")
    done = subprocess.run([CLANG, *flags, "-S", "-emit-llvm", "-O0", "-w", "-x", "c", "-",
                           "-o", "-"], input=source, capture_output=True, text=True)
    return (done.stdout if done.returncode == 0 else None), done.stderr


def unit(name: str) -> str:
    """The preprocessed unit ``name`` (headers joined by ``+``)."""
    return kernel_headers.preprocessed(tuple(name.split("+")), CLANG or "clang-19")


def _installed(name: str) -> bool:
    assert BUILD is not None
    src = kernel_headers.source_tree(BUILD)
    return all(any((d / header).exists() for d in (src / "include", BUILD / "include",
                                                    src / "arch/x86/include"))
               for header in name.split("+"))


needs = pytest.mark.skipif(CLANG is None or BUILD is None,
                           reason="needs clang-19 and a kernel build tree "
                           "(apt-get install clang-19 linux-headers-amd64)")


@needs
@pytest.mark.parametrize("header", UNITS)
def test_every_function_and_member_clang_emits_is_answered_and_right(header: str) -> None:
    if not _installed(header):
        pytest.skip(f"{header} is not in this kernel's headers")
    result = check_text(unit(header), header, target=kernel_headers.TARGET)
    assert not result.wrong, "\n".join(result.wrong[:20])
    assert result.right_functions == result.clang_functions == result.functions
    assert result.right_others == result.others_checked


@needs
# (CI compiles the plain hashes only: the .normalized ids they hash are checked above)
@pytest.mark.parametrize("normalize", [False, True] if _CHOSEN else [False],
                         ids=["kcfi", "kcfi-normalized"] if _CHOSEN else ["kcfi"])
@pytest.mark.parametrize("header", UNITS)
def test_every_kcfi_hash_is_clangs(header: str, normalize: bool) -> None:
    if not _installed(header):
        pytest.skip(f"{header} is not in this kernel's headers")
    result = check_kcfi(unit(header), normalize)
    assert not result.wrong, "\n".join(result.wrong[:20])
    assert result.right == result.checked > 0


# ---- the fixes, each on a few lines of kernel-style C, against clang-19 -------------------

#: bitops.h: an inline function's body holds ``asm("bsr %1,%0" ...)``, a statement, not the
#: ``__asm__("symbol")`` label of a declaration (each was taken for one: the function was
#: looked up under the symbol ``bsr %1,%0``); a label on the next declaration still holds.
ASM_IN_BODIES = """\
static inline unsigned long fls_(unsigned long word)
{
 asm("bsr %1,%0" : "=r" (word) : "rm" (word));
 return word;
}
static inline int ffs_(int x) { int r; asm volatile("bsfl %1,%0" : "=r" (r) : "rm" (x)); return r; }
int renamed(long) __asm__("other_symbol");
static inline void many(void) { asm("nop"); asm("nop"); }
long after(long);
"""

#: arch_hweight.h: the ALTERNATIVE macro's strings hold unbalanced parentheses
#: (``".skip -((("``): counted, they made the ``asm(...)`` run to the end of the file, which
#: was lost with one "unbalanced parentheses" error; so an attribute's strings.
PARENS_IN_STRINGS = """\
static inline unsigned int hweight32_(unsigned int w)
{
 unsigned int res;
 asm (".skip -(((" "6651f-6641f" ")-(" "662b-661b" ")) > 0) * " "((" "x" : "=a" (res) : "D" (w));
 return res;
}
void sectioned(void) __attribute__((section(".text.)x")));
char quoted(char) __attribute__((__section__("(" ")" "(")));
unsigned int after_them(unsigned int);
"""

#: perf_event.h's ``DECLARE_STATIC_CALL(__perf_guest_state, *perf_guest_cbs->state)``: the
#: static call's trampoline is declared with the type of a member, through a pointer.
STATIC_CALLS = """\
struct perf_guest_info_callbacks {
 unsigned int (*state)(void);
 unsigned long (*get_ip)(void);
 union { long (*as_long)(long); int (*as_int)(int); } u;
 struct inner { void (*cb)(struct inner *, const char *); } in;
};
extern struct perf_guest_info_callbacks *perf_guest_cbs;
extern const struct perf_guest_info_callbacks guest_cbs_table[2];
struct static_call_key { void *func; };
extern struct static_call_key __SCK____perf_guest_state;
extern typeof(*perf_guest_cbs->state) __SCT____perf_guest_state;
extern __typeof__(*(perf_guest_cbs)->get_ip) __SCT____perf_guest_get_ip;
extern __typeof__(*guest_cbs_table->in.cb) __SCT__inner_cb;
extern __typeof__(guest_cbs_table[0].get_ip) get_ip_pointer;
extern __typeof__(*perf_guest_cbs->in.cb) __SCT__cb;
extern typeof(*(*perf_guest_cbs).state) __SCT__state_dot;
"""

#: siginfo.h's ``char _dummy_bnd[__ADDR_BND_PKEY_PAD]``, where the pad is
#: ``(__alignof__(void *) < sizeof(short) ? sizeof(short) : __alignof__(void *))``: an
#: alignment in an array length (the whole union __sifields was skipped).
ALIGNOF = """\
union sifields_ {
 struct { void *_addr; char _dummy_bnd[(__alignof__(void *) < sizeof(short) ? sizeof(short) : __alignof__(void *))]; void (*_lower)(char (*)[__alignof__(void *)]); } _sigfault;
};
void by_alignment(char (*)[__alignof__(unsigned char) + _Alignof(const int *)],
                  int (*)[_Alignof(int[3]) * __alignof(short)], long (*)[__alignof__(long)]);
"""


@pytest.mark.skipif(CLANG is None, reason="needs clang-19")
@pytest.mark.parametrize("target", ["i686-unknown-linux-gnu", "armv7-unknown-linux-gnueabihf",
                                    kernel_headers.TARGET, "aarch64-unknown-linux-gnu"])
def test_alignof_of_a_wide_scalar_is_clangs(target: str) -> None:
    """``__alignof__(double)`` is 8 on i686 (``_Alignof`` 4: the preferred alignment and the
    ABI's) and armv7: from the scalar's layout, as an ``aligned(...)`` argument's is."""
    text = ALIGNOF + ("void wide(int (*)[__alignof__(double)], int (*)[_Alignof(long long)],"
                      " int (*)[__alignof__(long long)], int (*)[_Alignof(double)],"
                      " int (*)[__alignof__(long double)], int (*)[_Alignof(long double)],"
                      " int (*)[__alignof__(unsigned long)]);\n")
    result = check_text(text, target=target)
    assert not result.skipped and not result.wrong, (result.skipped, result.wrong)
    assert result.clang_functions == result.right_functions == result.functions == 2


@pytest.mark.skipif(CLANG is None, reason="needs clang-19")
@pytest.mark.parametrize("target", [kernel_headers.TARGET, "i686-unknown-linux-gnu",
                                    "aarch64-unknown-linux-gnu"])
def test_alignof_of_a_scalar_is_clangs(target: str) -> None:
    result = check_text(ALIGNOF, target=target)
    assert not result.skipped and not result.wrong, (result.skipped, result.wrong)
    assert result.right_functions == result.clang_functions == result.functions == 1
    assert result.right_others == result.others_checked == result.others == 1

#: fortify-string.h's ``__FORTIFY_INLINE``, ``... __attribute__((__overloadable__))``: clang
#: links such a function by its C++ name, ``_Z18fortify_memcpy_chkmmmmmPKc``.
OVERLOADABLE = """\
struct S;
typedef unsigned long __kernel_size_t;
extern inline __attribute__((__gnu_inline__)) __attribute__((__overloadable__)) _Bool
fortify_memcpy_chk(__kernel_size_t size, __kernel_size_t p_size, __kernel_size_t q_size,
                   __kernel_size_t p_size_field, __kernel_size_t q_size_field, const char *func)
{ return 0; }
__attribute__((overloadable)) struct S *returns_s(struct S *, struct S *, ...);
__attribute__((overloadable)) void no_parameters(void), two(long), again(struct S *);
void after_it(int) __attribute__((overloadable));
__attribute__((overloadable)) void labelled(unsigned long) __asm__("the_label");
__attribute__((overloadable)) void redeclared(int);
__attribute__((overloadable)) void redeclared(int);
void plain(int);
int memcmp_(const void *, const void *, __kernel_size_t);
extern inline __attribute__((__gnu_inline__)) __attribute__((__overloadable__)) int
memcmp_(const void * const __attribute__((__pass_object_size__(0))) p,
        const void * const __attribute__((__pass_object_size__(0))) q, __kernel_size_t size)
{ return 0; }
extern inline __attribute__((__gnu_inline__)) __attribute__((__overloadable__)) __kernel_size_t
strlen_(const char * const __attribute__((__pass_object_size__(1))) p) { return 0; }
"""


#: siginfo.h's sigevent, skipped (``sizeof(sigval_t)`` of a union: no layout then; here a
#: _BitInt member keeps it unmodelled, see c/layout.py), poisoned its member's name ``_function``
#: as if it were the typedef's; compat.h's struct with a member of that name was skipped with
#: it.
SKIPPED_TYPEDEF = """\
typedef union sigval { _BitInt(31) sival_int; void *sival_ptr; } sigval_t;
typedef struct sigevent {
 sigval_t sigev_value;
 union {
  int _pad[(64 - (sizeof(int) * 2 + sizeof(sigval_t))) / sizeof(int)];
  struct { void (*_function)(sigval_t); void *_attribute; } _sigev_thread;
 } _sigev_un;
} sigevent_t;
typedef unsigned int compat_uptr_t;
typedef struct compat_sigevent {
 union { struct { compat_uptr_t _function; int (*_attribute)(compat_uptr_t); } _sigev_thread; } _sigev_un;
} compat_sigevent_t;
int timer_create_(int, struct sigevent *, compat_sigevent_t *);
"""


@pytest.mark.skipif(CLANG is None, reason="needs clang-19")
def test_a_skipped_typedef_poisons_its_name_only() -> None:
    scan = c_header.scan_c(SKIPPED_TYPEDEF)
    assert [(d.name, d.message) for d in scan.diagnostics] == [
        ("sigevent_t",
         "sizeof of union sigval is not supported: _BitInt is not modelled")]
    result = check_text(SKIPPED_TYPEDEF, target=kernel_headers.TARGET)
    assert not result.wrong and result.right_functions == result.clang_functions == 1
    assert result.right_others == result.others_checked == result.others == 1


@pytest.mark.skipif(CLANG is None, reason="needs clang-19")
@pytest.mark.parametrize("text", [ASM_IN_BODIES, PARENS_IN_STRINGS, STATIC_CALLS,
                                  OVERLOADABLE],
                         ids=["asm-in-bodies", "parens-in-strings", "static-calls",
                              "overloadable"])
def test_kernel_style_declarations_are_read_as_clang_reads_them(text: str) -> None:
    result = check_text(text, target=kernel_headers.TARGET)
    assert not result.skipped, result.skipped
    assert not result.wrong, result.wrong
    assert result.right_functions == result.clang_functions == result.functions
    kcfi = check_kcfi(text)
    assert not kcfi.wrong
    assert kcfi.right == kcfi.checked == result.functions + result.others_checked


def _row(header: str) -> tuple[Result, KcfiResult, KcfiResult]:
    text = unit(header)
    return (check_text(text, header, target=kernel_headers.TARGET), check_kcfi(text),
            check_kcfi(text, True))


def main(headers: list[str]) -> None:
    if CLANG is None or BUILD is None or shutil.which("clang-19") is None:
        sys.exit("needs clang-19 and linux-headers-amd64")
    print("| unit | declarations | functions clang emits ids for | answered | right (4 ids) "
          "| typedef/member/variable (checked, right) | KCFI right / checked "
          "| KCFI normalized | skipped |")
    print("|---|---|---|---|---|---|---|---|---|")
    for header in headers or ALL_UNITS:
        r, k, kn = _row(header)
        skipped = "; ".join(f"{n}x {why}" for why, n in r.skipped.most_common()) or "0"
        print(f"| {header} | {r.declarations} | {r.clang_functions} | {r.functions} | "
              f"{r.right_functions} | {r.others} ({r.others_checked}, {r.right_others}) | "
              f"{k.right}/{k.checked} | {kn.right}/{kn.checked} | {skipped} |", flush=True)
        for w in (r.wrong + k.wrong + kn.wrong)[:8]:
            print("   WRONG", w[:400], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
