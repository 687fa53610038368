"""The sizes the command line refuses before doing any work (README: "Limits").

Each limit is far above what real input reaches and low enough that the work it allows stays
within a few seconds and a few hundred megabytes.  The front ends hold their own depth limits
(C: ``c.syntax.MAX_NESTING``; Rust: ``rust.frontend.MAX_DEPTH``); these are the CLI's.
"""

from __future__ import annotations

import os

#: One line of ``batch`` or ``decode --batch`` input: declaration, prelude and other keys.
#: A longer line is skipped in pieces (never read whole) and gets an error of its own.
MAX_LINE_BYTES = 16 << 20
#: One declaration (``decl``): a real one is under a few kilobytes; parsing takes up to ~200
#: bytes of memory a character (a C parameter list), so this bounds a line's parse to ~200 MB.
MAX_DECL_CHARS = 1 << 20
#: A file read whole (``--prelude-file``, ``--c-prelude-file``, ``--rust-prelude-file``).
MAX_FILE_BYTES = 64 << 20
#: Digits of one JSON integer (Python's own limit for turning a string into an int).
MAX_INT_DIGITS = 4300


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity mask, where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1
