"""Python values that JSON cannot hold, for the tests of the contract for any value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Unreadable(Mapping[str, Any]):
    """A Mapping whose every method raises."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("no")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("no")

    def __len__(self) -> int:
        raise RuntimeError("no")


class Repeats(Mapping[Any, Any]):
    """A Mapping that yields one key twice (a dict never does), and lists as keys."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def __getitem__(self, key: Any) -> Any:
        return next(value for k, value in self.pairs if k == key)

    def __iter__(self) -> Iterator[Any]:
        return (key for key, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def items(self) -> Any:
        return list(self.pairs)
