"""Where an offset of preprocessed text came from: the original file and line, read from the
preprocessor's line markers (``# 12 "zlib.h" 2``, ``#line 12 "zlib.h"``).  Text without
markers (``cc -E -P``) is its own file.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from ..regex_code import cached_regex

_MARKER = cached_regex(r'^[ \t]*#[ \t]*(?:line[ \t]+)?(\d+)(?:[ \t]+"((?:[^"\\\n]|\\.)*)")?',
                     re.M)


class LineMap:
    """Offsets of one text to (file, line, column) in the files it was preprocessed from."""

    def __init__(self, text: str, filename: str) -> None:
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))
        # (physical line of the marker, file, the line number the next line has)
        self._markers: list[tuple[int, str, int]] = []
        file = filename
        for m in _MARKER.finditer(text):
            physical = bisect_right(self._starts, m.start())
            if m.group(2) is not None:
                file = _unescape(m.group(2))
            self._markers.append((physical, file, int(m.group(1))))
        self._marker_lines = [p for p, _, _ in self._markers]
        self._filename = filename

    def locate(self, offset: int) -> tuple[str, int, int]:
        """(file, line, column) of ``offset``, lines and columns from 1."""
        physical = bisect_right(self._starts, offset)  # 1-based line of the offset
        column = offset - self._starts[physical - 1] + 1
        k = bisect_right(self._marker_lines, physical - 1) - 1
        if k < 0:
            return self._filename, physical, column
        marker_line, file, line = self._markers[k]
        return file, line + (physical - marker_line - 1), column


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name) if "\\" in name else name
