"""The C strategies, now the public :mod:`cfi_typeid.strategies.c` (the tests import them from
here, as before)."""

from cfi_typeid.strategies.c import *  # noqa: F401,F403
from cfi_typeid.strategies.c import _CONSTANTS, _VA_LIST_TAG, _builtin, _huge, _join  # noqa: F401
