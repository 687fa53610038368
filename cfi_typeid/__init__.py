"""cfi_typeid: compute, explain and decode LLVM CFI / KCFI type identifiers exactly as clang and
rustc do.

>>> typeid("void f(long);")
'_ZTSFvlE'
>>> hex(kcfi("void f(long);"))
'0xbde2bfc8'
"""

from .api import TypeIds, kcfi, parse_function, typeid, typeids, typeids_of
from .decoded import DecodedTypeId, decode, decode_typeid
from .errors import CfiTypeidError, DecodeError, ParseError, UsageError
from .kcfi import kcfi_hash
from .targets import DEFAULT_TARGET, TARGETS

__all__ = [
    "CfiTypeidError", "DEFAULT_TARGET", "DecodeError", "DecodedTypeId", "decode",
    "decode_typeid", "ParseError", "TARGETS", "TypeIds",
    "UsageError", "kcfi", "kcfi_hash", "parse_function", "typeid", "typeids", "typeids_of",
]
