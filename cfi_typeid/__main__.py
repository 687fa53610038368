"""``python -m cfi_typeid``: the command-line interface (see :mod:`cfi_typeid.cli.app`).

The cyclic garbage collector is off from the first import: a one-off run allocates its tables
and classes once and keeps them, so the collections that start-up would trigger (several
milliseconds, rescanning every module's objects) find nothing to free.  ``batch`` turns it back
on for its lines (see :func:`cfi_typeid.cli.app.main`).
"""
import gc; gc.disable()  # noqa: E401,E702
from cfi_typeid.cli.app import main; raise SystemExit(main())  # noqa: E402,E702
