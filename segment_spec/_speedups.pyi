# Types of the compiled core (_speedups.pyx); see that file for what each function mirrors.
from collections.abc import Callable, Hashable, Mapping
from typing import Any

def snake_case(key: str) -> str: ...
def fast_message(
    message: dict[Any, Any],
    root: bool,
    keys: dict[Hashable, Hashable],
    learn: Callable[[Mapping[Hashable, Any]], bool],
) -> dict[Any, Any] | None: ...
def already_snake(
    message: dict[Any, Any],
    root: bool,
    known: set[str],
    snake_keys: Callable[[dict[Any, Any]], bool],
    keys: dict[Hashable, Hashable],
) -> bool: ...
def within(value: Any, budget: int) -> bool: ...

class FastPath:
    def __init__(
        self,
        known: set[str],
        snake_keys: Callable[[dict[Any, Any]], bool],
        keys: dict[Hashable, Hashable],
        learn: Callable[[Mapping[Hashable, Any]], bool],
    ) -> None: ...
    def __call__(self, message: dict[Any, Any], root: bool) -> dict[Any, Any] | None: ...

class Learner:
    def __init__(
        self,
        fast_keys: dict[Hashable, Hashable],
        converted: dict[Hashable, Hashable],
        size: int,
        longest: int,
        most: int,
    ) -> None: ...
    def __call__(self, obj: dict[Hashable, Any]) -> bool: ...

class Unkept:
    def __init__(
        self, memo: dict[Hashable, Hashable], name: Callable[[Hashable], Hashable]
    ) -> None: ...
    def __getitem__(self, key: Hashable, /) -> Hashable: ...

class Maker:
    def __init__(
        self, cls: type[Any], names: tuple[str, ...], fixed: tuple[tuple[str, Any], ...]
    ) -> None: ...
    def __call__(self, *values: Any) -> Any: ...

class TimestampReader:
    def __init__(
        self,
        fields: tuple[str, ...],
        recent: dict[str, Any],
        parse: Callable[[object], Any],
        fallback: Callable[[Any], Any],
    ) -> None: ...
    def __call__(self, data: Any) -> tuple[Any, Any, Any, Any] | None: ...

class Builder:
    def __init__(
        self,
        makers: dict[str, Maker],
        text_id: Callable[[Any], str | None],
        mapping: Callable[[Any], Any],
        text: Callable[[Any], str | None],
        parse: Callable[[object], Any],
        fields: tuple[str, ...],
    ) -> None: ...
    def __call__(
        self,
        call: str,
        data: Any,
        issues: list[Any],
        semantic: Any = None,
        times: tuple[Any, Any, Any, Any] | None = None,
    ) -> Any: ...

def foreign_at_top(value: dict[str, Any], foreign: frozenset[str]) -> bool: ...

class TextSharer:
    def __init__(
        self, texts: dict[str, str], keys: tuple[str, ...], longest: int, most: int
    ) -> None: ...
    def __call__(self, message: dict[str, Any]) -> None: ...
