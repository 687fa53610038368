"""Linux kernel headers preprocessed as the kernel's own build does, with clang-19.

Debian's ``linux-headers-<release>`` (``linux-headers-amd64`` pulls in the current one) is a
configured build tree in two parts: ``/usr/src/linux-headers-<release>`` (``.config``, the
generated ``autoconf.h`` and ``asm/`` headers) and the ``-common`` tree it includes (the
sources).  ``make -C /usr/src/linux-headers-<release> M=$PWD V=1 modules`` on a one-line module
shows the compiler command kbuild runs; :func:`cpp_args` is that command's preprocessor part
(``-nostdinc``, the include paths in kbuild's order, the three ``-include``s,
``-D__KERNEL__``, ``-DMODULE``...) plus the code-generation flags that define macros headers
test (``-O2`` is ``__OPTIMIZE__``, ``-mno-sse`` leaves ``__SSE__`` undefined,
``-mcmodel=kernel``, ``-fno-PIE``, ``-fshort-wchar``...).  gcc-only flags (``-mindirect-
branch=thunk-extern``, ``-falign-jumps=1``, ``-fconserve-stack``, warnings) are left out:
none defines a macro.  Debian's kernel is built by gcc, so the configuration says
``CONFIG_CC_IS_GCC``; the headers choose by ``__clang__`` (``compiler_types.h`` includes
``compiler-clang.h``), which is what a clang-built kernel's engineer reads.

``python tests/kernel_headers.py linux/fs.h net/sock.h`` prints the preprocessed unit;
``--args`` prints the clang-19 command's arguments instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

#: Where Debian puts kernel build trees; ``CFI_TYPEID_KERNEL`` names another (the ``-amd64``
#: part, whose Makefile includes the sources' one).
KERNEL_ROOT = Path("/usr/src")

#: kbuild's flags that define or undefine macros (from ``make V=1``'s gcc-12 command for
#: x86_64, Debian 6.1), gcc-only ones dropped.
_MACRO_FLAGS = (
    "-D__KERNEL__", "-std=gnu11", "-fshort-wchar", "-fno-PIE", "-fno-strict-aliasing",
    "-fno-common", "-mno-sse", "-mno-mmx", "-mno-sse2", "-mno-3dnow", "-mno-avx",
    "-fcf-protection=none", "-m64", "-mno-80387", "-mno-red-zone", "-mcmodel=kernel",
    "-O2", "-fstack-protector-strong", "-fno-delete-null-pointer-checks", "-pg", "-mfentry",
    "-DCC_USING_FENTRY", "-DMODULE", '-DKBUILD_BASENAME="probe"',
    '-DKBUILD_MODNAME="probe"', "-D__KBUILD_MODNAME=kmod_probe",
)
TARGET = "x86_64-unknown-linux-gnu"


def build_tree() -> Path | None:
    """The configured build tree (``/usr/src/linux-headers-<release>``, not ``-common``): the
    one ``CFI_TYPEID_KERNEL`` names, else the newest x86 one installed."""
    named = os.environ.get("CFI_TYPEID_KERNEL")
    if named:
        return Path(named)
    trees = sorted(p for p in KERNEL_ROOT.glob("linux-headers-*")
                   if (p / "include/generated/autoconf.h").exists()
                   and (p / "arch/x86/include/generated").is_dir())
    return trees[-1] if trees else None


def source_tree(build: Path) -> Path:
    """The sources a build tree's Makefile includes (itself when it includes none)."""
    makefile = build / "Makefile"
    text = makefile.read_text() if makefile.exists() else ""
    m = re.search(r"^include\s+(\S+)/Makefile\s*$", text, re.M)
    return Path(m.group(1)) if m else build


def cpp_args(build: Path) -> list[str]:
    """clang-19's preprocessor arguments for a module of ``build`` (see the docstring)."""
    src = source_tree(build)
    includes = [src / "arch/x86/include", build / "arch/x86/include/generated",
                src / "include", build / "include", src / "arch/x86/include/uapi",
                build / "arch/x86/include/generated/uapi", src / "include/uapi",
                build / "include/generated/uapi"]
    return ["-target", TARGET, "-nostdinc", *(f"-I{p}" for p in includes),
            "-include", str(src / "include/linux/compiler-version.h"),
            "-include", str(src / "include/linux/kconfig.h"),
            "-include", str(src / "include/linux/compiler_types.h"),
            *_MACRO_FLAGS]


@lru_cache(maxsize=None)
def preprocessed(headers: tuple[str, ...], clang: str = "clang-19") -> str:
    """One translation unit that includes ``headers`` (``linux/fs.h``...), as ``clang -E``
    gives it (line markers kept: records name the header and line)."""
    build = build_tree()
    assert build is not None, "no kernel build tree (install linux-headers-amd64)"
    source = "".join(f"#include <{h}>\n" for h in headers)
    done = subprocess.run([clang, "-E", *cpp_args(build), "-x", "c", "-", "-o", "-"],
                          input=source, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{clang} -E failed on {headers}:\n{done.stderr[:3000]}")
    return done.stdout


def main(argv: list[str]) -> None:
    build = build_tree()
    if build is None:
        sys.exit("no kernel build tree (install linux-headers-amd64)")
    if argv[:1] == ["--args"]:
        print(" ".join(cpp_args(build)))
        return
    sys.stdout.write(preprocessed(tuple(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
