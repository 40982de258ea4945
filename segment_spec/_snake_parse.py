"""Parse and normalize in one pass, for a body whose keys are all in snake_case already.

Segment forwards messages to a Direct destination with snake_case keys. For such a body the
usual way (:func:`._parse.parse`, then a walk over every object to find that snake_case changes
none of its keys) spends more time on the walk than msgspec spends reading the bytes. Here
msgspec reads the body against a type whose object keys can only be keys known to be their own
snake_case: reading and the key check become one pass in C.

A body this reader returns is, as a value, exactly what ``parse`` returns (the type only
restricts keys; values decode as they do untyped, integers of any size included), and
normalizing it would change nothing. Anything else answers None and the caller takes the usual
way, which decides as before: a key not known yet, a camelCase key, nesting deeper than the type
reaches, a batch envelope, a body that is not JSON. The reader therefore never changes a
result, only how fast it comes.

What the type holds is learnt, like the other caches of the normalize stage: it starts with
every property name of the bundled schemas and the two destination names seen most in
``integrations`` (``All``, and ``Segment.io`` in Segment's docs), and grows with the keys and
destination names the usual way finds in snake_case bodies this reader refused. Building the
type costs about as much per key as one miss, so it is rebuilt only once the misses since the
last build reach one per key it holds. Once it is full, keys found later are left to the
usual way. It is a cache: no result depends on what it holds.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, Literal, NewType, Union

import msgspec

from ._compiled import speedups
from ._normalize import snake_case
from ._schemas import store

__all__ = ["SnakeReader"]

# Levels of objects and arrays the type reaches: the root object, then four more. 98% of the
# real corpus nests no deeper (5,551 messages: 49 reach 6 levels, 43 go deeper). Building the
# type takes time in proportion to its keys and to two to the power of its levels, and a build
# happens within one call: five levels and 1,024 keys keep it near 1 ms on the development
# machine, under 3 ms on its slowest days (benchmarks/bench_hostile.py, reader-rebuild).
_DEPTH: Final = 5
# At most this many keys in the type: past it, new keys are left to the usual way.
_MAX_KEYS: Final = 1024
# At most this many destination names, and no key or name longer than this: real ones are
# short, and a sender should not be able to grow the type without bound.
_MAX_NAMES: Final = 256
_MAX_LENGTH: Final = 100
# Destination names known before any is learnt. In the real corpus "All" opens the integrations
# of 1,399 lines; the next name, 88.
_NAMES: Final = frozenset({"All", "Segment.io"})
# After a body the reader refused that was not snake_case (camelCase traffic), this many bodies
# skip the reader: each refusal costs a partial read.
_SKIP: Final = 32
# A rebuild is due when the misses since the last one reach this many per key in the type
# (building costs about 3 microseconds per key, about what a miss costs).
_MISSES_PER_KEY: Final = 1

# Types are built at run time from the learnt keys: through these names the type checker sees
# them as what they are here, values.
_LITERAL: Any = Literal
_UNION: Any = Union
_LIST: Any = list
_DICT: Any = dict
_NEW_TYPE: Any = NewType

_Decode = Callable[[bytes | str], Any]


def _foreign_at_top(value: dict[str, Any], foreign: frozenset[str]) -> bool:
    """Whether an object directly under the root of ``value``, other than its
    ``integrations``, has a key in ``foreign`` (a destination name that is not a snake_case
    key: the type accepts those in every such object).

    >>> _foreign_at_top({"context": {"All": True}}, frozenset({"All"}))
    True
    >>> _foreign_at_top({"integrations": {"All": True}, "context": {}}, frozenset({"All"}))
    False
    """
    integrations = value.get("integrations")
    for member in value.values():
        if type(member) is dict and member is not integrations and not foreign.isdisjoint(member):
            return True
    return False


# The compiled core's test (``_speedups.foreign_at_top``) where it is built: the same answer,
# without the interpreter's loop over the root's members, which every body the reader reads pays.
_foreign_at_top_python: Final = _foreign_at_top
if speedups is not None:
    _foreign_at_top = speedups.foreign_at_top


@dataclass(frozen=True, slots=True)
class _Reader:
    """One built type: its decoder, and the keys and destination names it accepts."""

    decode: _Decode
    keys: frozenset[str]
    # Destination names: the type accepts them as keys of every object directly under the
    # root, so a body is refused when one that is not a snake_case key (``foreign``) appears
    # in such an object other than integrations.
    names: frozenset[str]
    foreign: frozenset[str]


def _literal(keys: frozenset[str]) -> Any:
    """``Literal[...]`` of ``keys``, hashed once.

    msgspec looks a ``Literal`` up by its hash at every place it appears in a type, and
    ``typing`` hashes one by hashing all of its values each time: a thousand keys at the
    sixteen places of a five-level type would cost that many times over. Where ``typing`` has
    the class it makes Literals of, a subclass that remembers its hash is used; elsewhere, the
    plain ``Literal``.
    """
    values = tuple(sorted(keys))
    if _HashedLiteral is None:
        return _LITERAL[values]
    return _HashedLiteral(values)


def _hashed_literal_class() -> Any:
    base: Any = getattr(typing, "_LiteralGenericAlias", None)
    if base is None:
        return None

    class HashedLiteral(base, _root=True):  # type: ignore[misc,call-arg]
        def __init__(self, values: tuple[str, ...]) -> None:
            super().__init__(Literal, values)
            self.__hash_value__ = hash(frozenset(values))

        def __hash__(self) -> int:
            return int(self.__hash_value__)

    try:  # the class must behave as a Literal does for msgspec, or it is not used
        probe = HashedLiteral(("a",))
        if msgspec.json.Decoder(dict[probe, int]).decode(b'{"a":1}') != {"a": 1}:  # type: ignore[valid-type]
            return None
    except (TypeError, AttributeError, msgspec.MsgspecError):
        return None
    return HashedLiteral


_HashedLiteral: Final = _hashed_literal_class()


def _build(keys: frozenset[str], names: frozenset[str]) -> _Reader:
    # NewType wrappers hash by identity: typing and msgspec hash each nested type as they build.
    key: Any = _NEW_TYPE("_SnakeKey", _literal(keys))
    top_key: Any = _NEW_TYPE("_TopKey", _literal(keys | names)) if names else key
    leaf: Any = _UNION[str, int, float, bool, None]
    value = leaf
    for level in range(_DEPTH - 2):
        value = _NEW_TYPE(f"_Level{level}", _UNION[leaf, _LIST[value], _DICT[key, value]])
    top = _NEW_TYPE("_Top", _UNION[leaf, _LIST[value], _DICT[top_key, value]])
    decoder = msgspec.json.Decoder(_DICT[key, top])
    return _Reader(decoder.decode, keys, names, names - _snake_only(names))


def _schema_keys() -> frozenset[str]:
    """Every property name of the bundled schemas that is its own snake_case."""
    found: set[str] = set()
    stack: list[Any] = [store().by_path(path) for path in store().paths]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            properties = item.get("properties")
            if isinstance(properties, Mapping):
                found.update(name for name in properties if isinstance(name, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return frozenset(_snake_only(found))


def _snake_only(keys: Iterable[Any]) -> set[str]:
    return {key for key in keys if type(key) is str and key and snake_case(key) == key}


class SnakeReader:
    """The one-pass reader of snake_case bodies, and what it has learnt since it was built.

    A cache: no result depends on it, only the speed. A :class:`~segment_spec.Checker` owns
    one; it is safe to share between threads (a rebuild swaps the reader in one assignment).
    """

    def __init__(self, known_snake_keys: Callable[[], Sequence[str]]) -> None:
        # The keys the checker's normalizer has found to be their own snake_case, earliest
        # first: a rebuild learns them.
        self.known_snake_keys = known_snake_keys
        self.reader: _Reader | None = None
        self.skip = 0
        self.misses = 0
        self.names: set[str] = set()
        self.lock = threading.Lock()

    def first(self) -> _Reader:
        with self.lock:
            if self.reader is None:
                self.reader = _build(_schema_keys(), _NAMES)
            return self.reader

    def read(self, text: bytes | str) -> dict[str, Any] | None:
        """The body as a dict when it is a JSON object whose keys are all known snake_case keys
        (those of ``integrations`` are destination names), else None.

        Never raises. The caller has checked the size, and takes the usual way on None, then tells
        :meth:`missed` what that way found.
        """
        if self.skip:
            self.skip -= 1
            return None
        reader = self.reader or self.first()
        try:
            value: dict[str, Any] = reader.decode(text)
        # Both are named: msgspec.DecodeError is not a ValueError in every supported release.
        except (msgspec.MsgspecError, ValueError, RecursionError):
            return None
        if "batch" in value:  # an envelope: its messages have their own rules
            return None
        foreign = reader.foreign
        if foreign and _foreign_at_top(value, foreign):
            return None
        return value

    def missed(self, message: Mapping[str, Any] | None) -> None:
        """Learn from a body :meth:`read` did not return: ``message`` is the body when the
        usual way found it in snake_case already, else None."""
        if message is None:
            if not self.skip:
                self.skip = _SKIP
            return
        self.skip = 0
        integrations = message.get("integrations")
        room = _MAX_NAMES - len(self.names)
        if type(integrations) is dict and room > 0:
            self.names.update(
                islice((k for k in integrations if type(k) is str and len(k) <= _MAX_LENGTH), room)
            )
        self.misses += 1
        reader = self.reader
        if reader is None or self.misses < _MISSES_PER_KEY * len(reader.keys):
            return
        self.misses = 0
        keys = reader.keys
        room = _MAX_KEYS - len(keys)
        # As many of the keys learnt since as fit, the earliest found first: a key that most
        # bodies carry is found early, so whether it gets in does not depend on the hash seed.
        if room > 0:
            learnt = (k for k in self.known_snake_keys() if len(k) <= _MAX_LENGTH and k not in keys)
            keys = keys | frozenset(islice(learnt, room))
        names = reader.names | self.names
        if keys != reader.keys or names != reader.names:
            with self.lock:
                if self.reader is reader:  # another thread may have rebuilt it meanwhile
                    self.reader = _build(keys, names)
