"""Parse, for a value the caller parsed already: read it as the JSON it stands for.

``check`` takes a message as bytes, as text, or as a value such as ``json.loads`` gives. A value
can hold what no JSON text can: a key that is not a string, a set, bytes, an object of any class,
a float that is NaN or infinite, a string with a lone surrogate, a list that contains itself, one
object reached from two places, or more than 32 KiB of data. :func:`read_value` reads the value
the way a JSON text is read, so that ``check(value)`` gives the answer ``check(json_text)`` gives:
either an owned copy made of exact JSON types (``dict`` with ``str`` keys, ``list``, ``str``,
``int``, ``float``, ``bool``, ``None``) and its size as compact JSON, or an :class:`Issue` naming
the first place that is not JSON.

What it accepts, beyond the exact types: any ``Mapping`` (read as an object), a ``tuple`` (read
as an array, as ``json.dumps`` writes it), and subclasses of ``str``, ``int`` and ``float``
(read as their plain value, so an ``IntEnum`` member is its number). An object reached from two
places is read once and shared in the copy; its size counts at each place, as it would in the
text. The work is bounded by the size limit: reading stops as soon as the value is known to be
too large, however large, deep or self-referencing it is.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any, Final

import msgspec
import orjson

from .._issue import Issue, dotted

__all__ = ["BYTES_LIKE", "MAX_DEPTH", "describe_type", "max_integer_digits", "read_value"]

# orjson's limit, which the text reader applies too: deeper bodies are not valid JSON here.
MAX_DEPTH: Final = 1024
# What is bytes to this library: at the top, a body read as the bytes it holds (a batch's items
# come as msgspec.Raw); inside a value, what JSON cannot hold.
BYTES_LIKE: Final = (bytes, bytearray, memoryview, msgspec.Raw)
_NONE: Final = type(None)
# Exact types copied as they are by the fast copy; a float is checked to be finite first.
_PLAIN: Final = frozenset({str, int, bool, _NONE})
_ENCODE: Final = msgspec.json.Encoder().encode


def max_integer_digits() -> int:
    """The most digits an integer may have: Python's limit for turning integers into text and
    back (``sys.get_int_max_str_digits()``, 4,300 by default), which msgspec follows when it
    reads a body, so that every id can be given as text."""
    limit = sys.get_int_max_str_digits()
    return limit if limit > 0 else 4300


def describe_type(value: Any) -> str:
    """Name the JSON type of a value ("a string"), never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return "an unsupported value"


def read_value(value: Any, *, limit: int, what: str = "message") -> tuple[Any, int] | Issue:
    """Read ``value`` as JSON: an owned copy of exact JSON types and its size in bytes as
    compact JSON, or the :class:`Issue` (``invalid-json`` or ``too-large``) that refuses it.

    Never raises, whatever ``value`` is or does (a ``Mapping`` whose methods raise is refused
    as unreadable).
    """
    try:
        copy = _fast_copy(value, [limit // 2])
        # msgspec writes into a buffer of about the output's size (orjson's reach 30 times
        # it on a 500 KB value), and refuses what is left to check: lone surrogates
        # (UnicodeEncodeError) and integers past the digit limit (ValueError).
        size = len(_ENCODE(copy))
    except (_NotPlain, RecursionError, TypeError, ValueError):
        return _Reader(limit, what).read(value)
    if size > limit:
        return _too_large(f"{size:,} bytes", limit, what)
    return copy, size


class _NotPlain(Exception):
    """The fast copy met something it leaves to the careful reader."""


def _fast_copy(value: Any, budget: list[int]) -> Any:
    """Copy a value made of exact JSON types within a budget of entries (each entry of an
    object or array takes at least 2 bytes of JSON); anything else raises :class:`_NotPlain`.

    An object met twice is copied twice, and counted twice: a value that shares objects at
    every level, or contains itself, runs out of budget (or of stack) at once and is left to
    the careful reader. What the encoder checks afterwards (no lone surrogate, no integer past
    the digit limit, the size) is not looked at here.
    """
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # NaN and the infinities give NaN
            return value
        raise _NotPlain
    if kind is not dict and kind is not list:
        raise _NotPlain
    budget[0] -= len(value)
    if budget[0] < 0:
        raise _NotPlain
    if kind is dict:
        new = {
            k: v if type(v) in _PLAIN else _fast_copy(v, budget)
            for k, v in value.items()
            if type(k) is str
        }
        if len(new) != len(value):
            raise _NotPlain  # a key that is not an exact string
        return new
    return [v if type(v) in _PLAIN else _fast_copy(v, budget) for v in value]


def _too_large(size: str, limit: int, what: str) -> Issue:
    return Issue(
        (), "too-large", f"the {what} is {size} as JSON; Segment's limit is {limit:,} bytes"
    )


def _where(path: tuple[str | int, ...]) -> str:
    return dotted(path) if path else "the message"


class _Unreadable(Exception):
    """A place of the value is not JSON: ``issue`` says where and why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class _Reader:
    """The careful reader: any value, with a path for every refusal, exact sizes, shared
    objects read once, and a stop as soon as the value is too large."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.what = what
        self.size = 0
        self.digits = max_integer_digits()
        self.big = 10**self.digits  # an integer must be smaller in magnitude
        # Containers read so far, by id: their copy, their size and their height. (The value
        # is alive for the whole call, so ids cannot be reused meanwhile.)
        self.done: dict[int, tuple[Any, int, int]] = {}
        self.open: set[int] = set()

    def read(self, value: Any) -> tuple[Any, int] | Issue:
        try:
            copy = self.value(value, ())
        except _Unreadable as refusal:
            return refusal.issue
        return copy, self.size

    def refuse(self, path: tuple[str | int, ...], text: str) -> _Unreadable:
        return _Unreadable(Issue(path, "invalid-json", text))

    def grow(self, amount: int) -> None:
        self.size += amount
        if self.size > self.limit:
            raise _Unreadable(_too_large(f"more than {self.limit:,} bytes", self.limit, self.what))

    # -- leaves -----------------------------------------------------------------------------

    def text(self, text: str, path: tuple[str | int, ...], what: str) -> str:
        """An exact ``str`` of ``text`` (a ``str`` or a subclass), its JSON size counted."""
        plain = text if type(text) is str else str.__str__(text)
        if plain.isascii() and plain.isprintable() and '"' not in plain and "\\" not in plain:
            self.grow(len(plain) + 2)
            return plain
        try:
            self.grow(len(orjson.dumps(plain)))
        except orjson.JSONEncodeError:
            raise self.refuse(
                path, f"{what} holds a lone surrogate, which is not valid Unicode"
            ) from None
        return plain

    def integer(self, number: int, path: tuple[str | int, ...]) -> int:
        plain = number if type(number) is int else int.__int__(number)
        if not -self.big < plain < self.big:
            raise self.refuse(
                path, f"{_where(path)} has more than {self.digits:,} digits, too many to read"
            )
        self.grow(_digits(plain))
        return plain

    def number(self, number: float, path: tuple[str | int, ...]) -> float:
        plain = number if type(number) is float else float.__float__(number)
        if not math.isfinite(plain):
            raise self.refuse(
                path, f"{_where(path)} is not a finite number (JSON has no NaN or infinity)"
            )
        self.grow(len(orjson.dumps(plain)))
        return plain

    # -- values -----------------------------------------------------------------------------

    def value(self, value: Any, path: tuple[str | int, ...]) -> Any:
        """Read one value; containers are read by :meth:`container` without recursion."""
        kind = type(value)
        if kind is str:
            return self.text(value, path, _where(path))
        if kind is bool or value is None:
            self.grow(5 if value is False else 4)
            return value
        if kind is int:
            return self.integer(value, path)
        if kind is float:
            return self.number(value, path)
        if kind is dict or kind is list:
            return self.container(value, path)
        try:
            if isinstance(value, str):
                return self.text(value, path, _where(path))
            if isinstance(value, int):
                return self.integer(value, path)
            if isinstance(value, float):
                return self.number(value, path)
            if isinstance(value, Mapping | list | tuple):
                return self.container(value, path)
        except _Unreadable:
            raise
        except Exception as error:  # the value's own methods raised: it cannot be read
            raise self.refuse(
                path, f"{_where(path)} could not be read ({type(error).__name__})"
            ) from None
        raise self.refuse(path, f"{_where(path)} is not a JSON value ({_kind(value)})")

    def container(self, root: Any, path: tuple[str | int, ...]) -> Any:
        """Read an object or an array, and everything in it, with an explicit stack."""
        # A frame: the container, its copy, its items still to read, its path, its depth,
        # the size before it, and the deepest level reached inside it.
        top: list[Any] = [None]
        stack: list[list[Any]] = []
        pending: list[tuple[Any, Any, Any, tuple[str | int, ...], int]] = [(root, top, 0, path, 1)]
        while pending or stack:
            if pending:
                source, parent, slot, where, depth = pending.pop()
                ident = id(source)
                known = self.done.get(ident)
                if known is not None:
                    copy, size, height = known
                    self._check_depth(depth + height - 1, where)
                    self.grow(size)
                    parent[slot] = copy
                    if stack:
                        stack[-1][6] = max(stack[-1][6], depth + height - 1)
                    continue
                if ident in self.open:
                    raise self.refuse(
                        where,
                        f"{_where(where)} refers to a value that contains it, "
                        "which JSON cannot hold",
                    )
                self._check_depth(depth, where)
                is_object = isinstance(source, Mapping)
                copy = {} if is_object else []
                parent[slot] = copy
                self.open.add(ident)
                items = _items(source) if is_object else iter(source)
                stack.append([source, copy, items, where, depth, self.size, depth])
                self.grow(2)
                continue
            frame = stack[-1]
            source, copy, items, where, depth, start, deepest = frame
            try:
                entry = next(items, _END)
            except Exception as error:
                raise self.refuse(
                    where, f"{_where(where)} could not be read ({type(error).__name__})"
                ) from None
            if entry is _END:
                stack.pop()
                self.open.discard(id(source))
                self.done[id(source)] = (copy, self.size - start, deepest - depth + 1)
                if stack:
                    stack[-1][6] = max(stack[-1][6], deepest)
                continue
            if len(copy):
                self.grow(1)  # the comma
            if type(copy) is dict:
                key, item = self._entry(entry, where)
                if key in copy:
                    raise self.refuse(where, f"{_where(where)} has one key twice")
                step: str | int = key
                copy[key] = None
                self.grow(1)  # the colon
            else:
                item = entry
                step = len(copy)
                copy.append(None)
            place = (*where, step)
            kind = type(item)
            if (
                kind is dict
                or kind is list
                or (kind not in _PLAIN and kind is not float and _is_container(item, place, self))
            ):
                pending.append((item, copy, step, place, depth + 1))
            else:
                copy[step] = self.value(item, place)
        return top[0]

    def _entry(self, entry: Any, where: tuple[str | int, ...]) -> tuple[str, Any]:
        try:
            key, item = entry
        except Exception as error:
            raise self.refuse(
                where, f"{_where(where)} could not be read ({type(error).__name__})"
            ) from None
        if type(key) is not str:
            if not isinstance(key, str):
                raise self.refuse(
                    where, f"{_where(where)} has a key that is not a string ({_kind(key)})"
                )
            key = str.__str__(key)
        self.text(key, where, f"a key of {_where(where)}")
        return key, item

    def _check_depth(self, depth: int, where: tuple[str | int, ...]) -> None:
        if depth > MAX_DEPTH:
            raise self.refuse(where, f"the {self.what} nests deeper than {MAX_DEPTH:,} levels")


_END: Final = object()


def _items(source: Any) -> Any:
    return iter(source.items())


def _is_container(item: Any, place: tuple[str | int, ...], reader: _Reader) -> bool:
    try:
        return isinstance(item, Mapping | list | tuple)
    except Exception as error:
        raise reader.refuse(
            place, f"{_where(place)} could not be read ({type(error).__name__})"
        ) from None


def _digits(number: int) -> int:
    """The length of ``str(number)``, without making the text (it may be long)."""
    magnitude = -number if number < 0 else number
    digits = max(1, int((magnitude.bit_length() - 1) * 0.30102999566398120) + 1)
    if magnitude >= 10**digits:
        digits += 1
    elif digits > 1 and magnitude < 10 ** (digits - 1):
        digits -= 1
    return digits + (number < 0)


def _kind(value: Any) -> str:
    """What a value that is not JSON is, in words (its type, never its content)."""
    if isinstance(value, set | frozenset):
        return "a set"
    if isinstance(value, BYTES_LIKE):
        return "bytes"
    if value is None or isinstance(value, str | int | float):
        return describe_type(value)
    return f"an object of type {type(value).__name__}"
