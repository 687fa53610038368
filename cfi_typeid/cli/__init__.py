"""The command line: ``python -m cfi_typeid COMMAND`` (see :mod:`cfi_typeid.cli.app`)."""

from .app import main

__all__ = ["main"]
