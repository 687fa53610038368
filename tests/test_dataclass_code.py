"""dataclass_code: dataclasses made while the cache is open have the methods ``@dataclass``
makes without it (same behaviour, annotations, signature), and a second start compiles
nothing."""

from __future__ import annotations

import builtins
import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

from cfi_typeid import dataclass_code


def _classes() -> tuple[Any, Any]:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Node:
        name: str
        args: tuple[int, ...] = ()
        at: int = dataclasses.field(default=0, compare=False)

    @dataclasses.dataclass(order=True)
    class Plain:
        x: int
        y: list[int] = dataclasses.field(default_factory=list)
    return Node, Plain


def _made(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    monkeypatch.setenv("TMPDIR", str(tmp))
    compiled: list[str] = []
    real = builtins.compile

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return real(source, *args, **kwargs)
    monkeypatch.setattr(builtins, "compile", counting)
    cache = dataclass_code.compiled_once("test")
    try:
        node, plain = _classes()
    finally:
        cache.close()
        monkeypatch.setattr(builtins, "compile", real)
    return node, plain, len(compiled)


def test_same_methods_and_compiled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.delenv("CFI_TYPEID_PARSER_NO_CACHE", raising=False)
    node0, plain0 = _classes()
    node1, plain1, first = _made(tmp_path, monkeypatch)
    node2, plain2, second = _made(tmp_path, monkeypatch)
    assert first > 0 and second == 0  # the second start finds every method's code
    assert "exec" not in vars(dataclasses)  # closed: dataclasses calls the builtin again
    for node in (node0, node1, node2):
        a, b = node("f", (1,), 3), node("f", (1,), 9)
        assert a == b and hash(a) == hash(b) and repr(a).endswith("Node(name='f', args=(1,), at=3)")
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.name = "g"
        assert str(inspect.signature(node)) == str(inspect.signature(node0))
        assert node.__init__.__annotations__ == node0.__init__.__annotations__
        assert node.__init__.__code__.co_code == node0.__init__.__code__.co_code
    for plain in (plain0, plain1, plain2):
        assert plain(1) < plain(2) and plain(1).y == [] and plain(1).y is not plain(1).y
