"""Rust paths to their definitions, as rustc's name resolution finds them: a module's own items,
its ``use``s, then its glob imports; ``crate``, ``self`` and ``super``; the 2015 edition's
paths from the crate root; the extern crates and the std prelude.  The resolver
(:class:`cfi_typeid.rust.resolve.Resolver`) is built on it.
"""

from __future__ import annotations

from typing import Mapping

from .ast import PathType, UseItem
from .env import Env
from .items import ALLOC_PRELUDE, STD_PRELUDE, AdtDef, ConstDef, Def, Module, TraitDef

#: Names a user may expect that are not in the core/std this front end knows.
_NOT_MODELLED = frozenset({"Vec", "String"})
#: ``core::ffi``'s names: a bare one says which ``use`` is missing.
_FFI_NAMES = frozenset({
    "c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint", "c_long",
    "c_ulong", "c_longlong", "c_ulonglong", "c_float", "c_double", "c_void",
})


class Names:
    """Name lookup in one crate (``crates[crate]``) and the extern crates ``core`` and ``std``."""

    crates: Mapping[str, Module]
    edition: str  # (set by the resolver)

    def lookup(self, module: Module, name: str, values: bool = False,
               seen: frozenset[tuple[int, str]] = frozenset()) -> Def | ConstDef | None:
        """``name`` as ``module`` sees it: its items, its ``use``s, then its glob imports."""
        if (id(module), name) in seen:
            return None  # a cycle of imports
        seen = seen | {(id(module), name)}
        own = module.values.get(name) if values else module.types.get(name)
        if own is not None:
            return own
        use = module.uses.get(name)
        if use is not None:
            found = self._path(module, use.path, self._use_is_global(module, use), use.at, values,
                               seen)
            if found is not None:
                return found
        for glob in module.globs:
            target = self._path(module, glob.path, self._use_is_global(module, glob), glob.at, False,
                                seen)
            if isinstance(target, Module):
                found = self.lookup(target, name, values, seen)
                if found is not None:
                    return found
        return None

    def _use_is_global(self, module: Module, use: UseItem) -> bool:
        """Whether a ``use`` path starts at the root (2015: all but ``self``/``super``/
        ``crate`` ones, which the 2015 rules read from the root too)."""
        return use.is_global or (self._reads_2015(module) and bool(use.path)
                                 and use.path[0] not in ("self", "super", "crate"))

    def _reads_2015(self, module: Module) -> bool:
        """Whether ``module``'s paths follow 2015 rules (the user's crate, not core/std)."""
        return self.edition == "2015" and self.crates.get(module.crate) is not module.root

    def _path(self, module: Module, names: tuple[str, ...], is_global: bool, at: int,
              values: bool, seen: frozenset[tuple[int, str]] = frozenset()
              ) -> Def | ConstDef | None:
        current: Def | ConstDef | None = module
        for i, name in enumerate(names):
            last = i == len(names) - 1
            if not isinstance(current, Module):
                return None
            if i == 0 and is_global:
                if self._reads_2015(module):  # the root, where `std` and extern crates are
                    root = module.root
                    found = self.lookup(root, name, values and last, seen)
                    if found is None and (name == "std" or name in root.uses):
                        found = self.crates.get(name)
                    current = found
                else:
                    current = self.crates.get(name)
            elif name == "crate" and i == 0:
                current = module.root
            elif name == "self" and i == 0:
                current = module
            elif name == "super" and (i == 0 or names[i - 1] == "super"):
                current = current.parent
            elif i == 0:
                current = self.lookup(current, name, values and last, seen)
                if current is None and not (values and last):
                    current = self._extern(name)
            else:
                current = self.lookup(current, name, values and last, seen)
        return current

    def _extern(self, name: str) -> Def | None:
        crate = self.crates.get(name)
        if crate is not None:
            return crate
        prelude = STD_PRELUDE.get(name)
        home = "core"
        if prelude is None and name in ALLOC_PRELUDE:
            prelude, home = ALLOC_PRELUDE[name], "alloc"
        if prelude is not None:
            found = self._path(self.crates[home], prelude, False, 0, False)
            assert isinstance(found, (AdtDef, TraitDef))
            return found
        return None

    def resolve_path(self, env: Env, path: PathType, values: bool = False) -> Def | ConstDef:
        names = tuple(s.name for s in path.segments)
        found = self._path(env.module, names, path.is_global, path.at, values)
        if found is None:
            name = "::".join(names)
            if values:
                hint = f"declare it in the prelude: 'const {name}: usize = 4;'"
            elif names[-1] in _NOT_MODELLED:
                hint = (f"{names[-1]} comes from alloc, whose generic types this tool does not "
                        "model; use a reference or raw pointer instead")
            elif len(names) == 1 and names[0] in _FFI_NAMES:
                hint = (f"add 'use std::ffi::{names[0]};' or 'use std::ffi::*;' before it "
                        "(rust-file: --use 'std::ffi::*')")
            else:
                hint = ("declare it in the prelude, or name it by its path (core::ffi::c_long, "
                        "core::ffi::cfi::c_long ...)")
            raise env.source.error(f"cannot find {'value' if values else 'type'} {name!r} in "
                                   f"this scope; {hint}", path.at)
        return found
