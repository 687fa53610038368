"""``python -m cfi_typeid``: the command-line interface (see :mod:`cfi_typeid.cli`)."""
from cfi_typeid.cli import main; raise SystemExit(main())  # noqa: E702
