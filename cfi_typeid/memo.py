"""Bounded memo dictionaries, as the caches of whole answers and of reused parse work use them.

A memo that is full is emptied rather than trimmed: that bounds its memory without the
bookkeeping of an LRU, which would cost more per lookup than the answers it keeps save when
the same few inputs come back (the common case: a batch, a tight loop).
"""

from __future__ import annotations

from typing import TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


def remember(memo: dict[_K, _V], key: _K, value: _V, limit: int) -> _V:
    """Store ``value`` under ``key`` (emptying ``memo`` first when it holds ``limit``
    entries) and return it."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
