"""Normalize: every key of a message in snake_case, converted the way Segment converts them.

Segment promises Direct destinations "all keys in snake_case" and documents one converter, the
Go package ``segmentio/go-snakecase`` (its warehouses use it). :func:`snake_case` is that rule;
:func:`normalize` applies it to every object key of a message, at every depth.

Segment documents no policy for two outcomes, so these are ours, chosen so that no value is ever
lost and the result is stable (``normalize`` of a normalized value changes nothing):

- Two keys of one object that become the same key (``firstName`` and ``first_name``): the key
  already in snake_case keeps the name; when none is, the first key does. Every other one keeps
  its original spelling, with a ``key-collision`` warning at that key.
- A key with no ASCII letter or digit (``$``, ``ÄÖÜ``) would become empty: it keeps its original
  spelling, with an ``empty-key`` warning.

Destination names are not field names: the keys of ``integrations`` (and of ``integrations`` in
each message of a ``{"batch": [...]}`` envelope) are kept exactly as sent (``"Google Analytics"``).
"""

from __future__ import annotations

import contextlib
import re
from array import array
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from types import FunctionType, MappingProxyType, ModuleType
from typing import Any, Final, NoReturn, Protocol, TypeAlias

from ._compiled import speedups
from ._issue import Findings, Issue, Severity, issue_bounds

__all__ = ["Normalized", "normalize", "snake_case"]

# A word: a run of upper case and digits, then a run of lower case and digits (rule 3). Explicit
# ASCII classes: every other character, non-ASCII letters included, is a separator (rule 1).
_WORD: Final = re.compile(r"[A-Z0-9]+[a-z0-9]*|[a-z0-9]+")


def snake_case(key: str) -> str:
    """Convert ``key`` to snake_case exactly as Segment's ``go-snakecase`` does.

    Only ASCII letters and digits are kept; every other character separates words. A word is a
    run of upper case and digits followed by a run of lower case and digits, so acronyms stick to
    the next word and digits to their neighbours. A key with nothing to keep becomes ``""``.

    >>> snake_case("CreatedAt"), snake_case("userID"), snake_case("HTTPRequest")
    ('created_at', 'user_id', 'httprequest')
    >>> snake_case("context.page.url"), snake_case("5TEst"), snake_case("$")
    ('context_page_url', '5test', '')
    """
    # One pass of the word pattern over the whole key is the whole rule: a key already in
    # snake_case splits into its own segments and joins back unchanged (rule 2), and a run of
    # digits followed by upper case is one word (the glue rule, ``5TEst -> 5test``), so the
    # prefix go-snakecase copies as it is needs no case of its own. The test suite holds this
    # to go-snakecase's table and to an exhaustive comparison with the rule as written.
    converted = "_".join(_WORD.findall(key)).lower()
    return key if converted == key else converted


@dataclass(frozen=True, slots=True)
class Normalized:
    """The outcome of :func:`normalize`.

    Attributes:
        value: A new structure with every object key in snake_case. Leaves (strings, numbers,
            booleans, ``None``, anything else) are the very objects of the input.
        issues: One ``key-collision`` or ``empty-key`` warning for each key that kept its
            original spelling, in document order; empty for almost every message.
    """

    value: Any
    issues: tuple[Issue, ...]


# --- normalize -----------------------------------------------------------------------------------

_KEY_CACHE_SIZE: Final = 8192
# Longer keys are converted each time they are met, never kept: a memo of 8,192 keys of 32 KiB
# each would hold half a gigabyte. Real keys are far shorter (the longest in the real corpus has
# 65 characters).
_KEY_CACHE_LENGTH: Final = 128
# An object with more keys than this is huge: no memo keeps its keys, which the careful walk
# converts each time it meets them (the keys of a few such objects would push the keys of a
# receiver's traffic out of the memos, and each fresh key would hold about 185 bytes there: an
# envelope context of 2,400 fresh keys, merged into 2,500 items, doubled the batch's peak), and,
# when it was just parsed, it is emptied as it is renamed (_consumed). Real objects have far
# fewer keys (the most in the real corpus: 43).
_HUGE: Final = 1024


class _KeyCache(dict[Hashable, Hashable]):
    """snake_case results by key, read with a plain subscript so a hit costs no function call.

    A memo of a pure function, bounded: it starts over when full, and keeps no key longer than
    ``_KEY_CACHE_LENGTH``. Keys that are not strings map to themselves, and keys of a str
    subclass to a plain str; neither is stored.
    """

    __slots__ = ()

    def __missing__(self, key: Hashable) -> Hashable:
        converted = _name(key)
        if type(key) is str and len(key) <= _KEY_CACHE_LENGTH:
            if len(self) >= _KEY_CACHE_SIZE:
                self.clear()
            self[key] = converted
        return converted


def _name(key: Hashable) -> Hashable:
    """What a key becomes: its snake_case if it is a string (a str subclass becomes a plain
    str, never kept: a memo that held one would hand it out for the plain key it equals), else
    the key itself."""
    if not isinstance(key, str):
        return key
    return _convert(key if type(key) is str else str.__str__(key))


class _Names(Protocol):
    """What names the keys of an object: a normalizer's memo, or :class:`_Unkept` over it."""

    def __getitem__(self, key: Hashable, /) -> Hashable: ...


class _Unkept:
    """A memo read, never written: how the careful walk names the keys of a huge object.

    >>> memo = _KeyCache()
    >>> _Unkept(memo)["firstName"], len(memo)
    ('first_name', 0)
    """

    __slots__ = ("_memo",)

    def __init__(self, memo: Mapping[Hashable, Hashable]) -> None:
        self._memo = memo

    def __getitem__(self, key: Hashable) -> Hashable:
        found = self._memo.get(key)
        return _name(key) if found is None else found


def _unkept(memo: Mapping[Hashable, Hashable]) -> _Names:
    """An :class:`_Unkept` over ``memo``: the compiled core's when it runs (the same reading,
    at a fraction of a Python call a key), and for a memo that is a dict.

    >>> _unkept(_KeyCache())["userId"]
    'user_id'
    """
    if speedups is None or not isinstance(memo, dict):
        return _Unkept(memo)
    names: _Names = speedups.Unkept(memo, _name)
    return names


# The key rule as the memo runs it: the compiled core's, when it runs (the same function).
_convert: Final = snake_case if speedups is None else speedups.snake_case

# Where a container sits, which decides whether its keys are converted.
_PLAIN: Final = 0
_ROOT: Final = 1  # the value passed in: a message, or a batch envelope
_BATCH: Final = 2  # the list under the root's "batch"
_MESSAGE: Final = 3  # a message inside that list
_INTEGRATIONS: Final = 4  # "integrations" of the root or of a batch message: keys kept
_CHILD_ROLES: Final[dict[int, dict[Hashable, int]]] = {
    _ROOT: {"integrations": _INTEGRATIONS, "batch": _BATCH},
    _MESSAGE: {"integrations": _INTEGRATIONS},
}

_LEAVES: Final = frozenset({str, int, float, bool, type(None)})
_CONTAINERS: Final = (Mapping, list, tuple)

# The path to a container as a linked list (parent link, step), built one cheap pair per
# container; a tuple path is made only for an issue. Steps are output keys and list indexes.
_Link: TypeAlias = "tuple[_Link | None, Hashable]"
# (input container, output parent, slot in the parent, role, the parent's link)
_Frame: TypeAlias = "tuple[Any, Any, Any, int, _Link | None]"


def normalize(value: Any) -> Normalized:
    """Return ``value`` with every object key, at every depth, converted by :func:`snake_case`.

    Objects (any ``Mapping``) become new dicts and lists (and tuples) new lists; the input is
    never changed. Keys keep their order, and come out as plain ``str`` (a key of a ``str``
    subclass too); keys that are not strings are kept as they are; the keys of
    ``integrations`` are destination names and are kept too. Never raises, however deep
    the value (the walk uses no recursion), and a value that contains itself comes back as a
    normalized structure that contains itself.

    >>> normalize({"userId": "u1", "traits": {"firstName": "Ann"}}).value
    {'user_id': 'u1', 'traits': {'first_name': 'Ann'}}
    >>> normalize({"orderId": 1, "order_id": 2}).issues[0].json_path
    '$.orderId'
    """
    return DEFAULT.normalize(value)


class Normalizer:
    """The normalizer of a :class:`~segment_spec.Checker`, and what it learns: bounded memos of
    :func:`snake_case` by key, the conversions its fast path reads, and the keys found to be
    their own snake_case. A cache: no result depends on it, only the speed. Safe to share
    between threads (a memo that is full starts over; every entry is a pure function's value).

    The module function :func:`normalize` uses :data:`DEFAULT`, the one of the default checker.

    ``fast(value, root)`` is its fast path, for a dict just parsed from a body that nobody else
    holds (``root``: a whole body, not a batch item): the normalized dict when the value needs
    neither issues nor the careful walk (``value`` itself when it is in snake_case already),
    else None. :meth:`parts` tries it first, then :meth:`walk`; the way of a message calls the
    two itself.

    >>> Normalizer().normalize({"firstName": "Ann"}).value
    {'first_name': 'Ann'}
    """

    __slots__ = ("_converted", "_fast_keys", "_snake", "_snake_order", "fast")

    def __init__(self) -> None:
        self._converted = _KeyCache()
        # The fast path's conversions, in a plain dict: the interpreter's specialised subscript
        # for exact dicts is faster than a dict subclass with __missing__. A key it has not seen
        # raises KeyError; the object's keys are then learnt (:meth:`_learn`) and the object
        # converted again (rare: the keys of a receiver's traffic repeat).
        self._fast_keys: dict[Hashable, Hashable] = {}
        # Keys known to be their own snake_case, in a set: ``set.issuperset(obj)`` tests every
        # key of an object in C, so a message that needs no change is only read, never rebuilt.
        self._snake: set[str] = set()
        # The same keys in the order they were found (a dict keeps it): the snake_case reader
        # takes the earliest first when it has room for only some (:meth:`known_snake_keys`).
        self._snake_order: dict[str, None] = {}
        if speedups is None:
            self.fast = _python_fast(self._snake, self._snake_keys, self._fast_keys, self._learn)
        else:
            # The compiled core's _learn: the same decisions, without a call per key.
            learn = speedups.Learner(
                self._fast_keys, self._converted, _KEY_CACHE_SIZE, _KEY_CACHE_LENGTH, _HUGE
            )
            self.fast = _compiled_fast(
                speedups, self._snake, self._snake_keys, self._fast_keys, learn
            )

    def normalize(self, value: Any) -> Normalized:
        """:func:`normalize`, with this normalizer's memo."""
        # A value from the caller may share objects between places, or contain itself: only
        # the careful walk, which meets each object once, is safe on it (the fast path would
        # walk a shared object at each place, which can take time exponential in the depth).
        if type(value) in _LEAVES or not _is_container(value):
            return Normalized(value, ())
        return Normalized(*_walk(value, self._converted))

    def parts(
        self, value: Any, *, owned: bool = False, size: int | None = None
    ) -> tuple[Any, tuple[Issue, ...]]:
        """:meth:`normalize`'s value and issues, without the :class:`Normalized` around them
        (its frozen ``__init__`` costs a quarter of a microsecond, and every message pays it).

        ``owned`` says that ``value`` was just parsed (from a body, or read by
        :func:`~._parse.parse`): a tree of exact JSON types, within Segment's size limits, that
        nobody else holds. It may then take the fast path, and when every key in it is already
        in snake_case, which is how Segment forwards messages to a Direct destination, ``value``
        itself is the result, with no copy. ``size``, that of its body, bounds the issues listed
        (:func:`~._issue.issue_bounds`; None: the most any message lists).
        """
        if owned and type(value) is dict:
            fast = self.fast(value, True)
            if fast is not None:
                return fast, ()
        return self.walk(value, owned=owned, size=size)

    def walk(
        self, value: Any, *, owned: bool = False, size: int | None = None, item: bool = False
    ) -> tuple[Any, tuple[Issue, ...]]:
        """:meth:`parts` (``item``: :meth:`message`) without its fast path: the careful walk
        alone, for a value the fast path has answered None for."""
        if not _is_container(value):
            return value, ()
        return _walk(value, self._converted, _MESSAGE if item else _ROOT, size, owned)

    def message(self, value: Any, *, owned: bool = False, size: int | None = None) -> Normalized:
        """Like :meth:`normalize`, for one message of a batch: its ``integrations`` keep their
        keys, and a ``batch`` key in it is an ordinary key. ``owned`` and ``size`` are as for
        :meth:`parts`."""
        if owned and type(value) is dict:
            fast = self.fast(value, False)
            if fast is not None:
                return Normalized(fast, ())
        return Normalized(*self.walk(value, owned=owned, size=size, item=True))

    def known_snake_keys(self) -> tuple[str, ...]:
        """The keys found so far to be their own snake_case (non-empty strings only), in the
        order they were first found.

        The order is that of the traffic, not of a set: a key that most messages carry is met
        early, so a reader with room for only some of the keys takes it whatever the process's
        hash seed (a set's order would leave that to chance).
        """
        return tuple(self._snake_order)  # one copy in C: another thread may be adding keys

    def _snake_keys(self, obj: dict[Any, Any]) -> bool:
        """Whether every key of ``obj`` is a non-empty string that snake_case leaves
        unchanged (and learn those keys)."""
        known = self._snake
        if known.issuperset(obj):
            return True
        if len(obj) > _HUGE:
            return False  # a huge object: the careful walk converts its keys, keeping none
        order = self._snake_order
        if len(known) + len(obj) > _KEY_CACHE_SIZE:
            known.clear()
            order.clear()
        converted = self._converted
        for key in obj:
            if (
                type(key) is not str
                or not key
                or len(key) > _KEY_CACHE_LENGTH
                or converted[key] != key
            ):
                return False
            known.add(key)
            order[key] = None  # a key found again keeps its place
        return True

    def _learn(self, obj: Mapping[Hashable, Any]) -> bool:
        """Put the conversions of ``obj``'s keys where the fast path reads them, or answer
        False when the careful walk must convert them: a key that would become empty is never
        put there (the careful walk reports it), so the fast path need not look for one, and
        neither is a long key (the careful walk converts it each time), nor a huge object's
        (``_HUGE``)."""
        if len(obj) > _HUGE:
            return False  # a huge object: the careful walk converts its keys, keeping none
        fast_keys = self._fast_keys
        if len(fast_keys) + len(obj) > _KEY_CACHE_SIZE:
            fast_keys.clear()
        converted = self._converted
        for key in obj:
            if type(key) is str and len(key) > _KEY_CACHE_LENGTH:
                return False
            name = converted[key]
            if name == "" and key != "":
                return False
            fast_keys[key] = name
        return True


_FastPath: TypeAlias = Callable[[dict[Any, Any], bool], "dict[Any, Any] | None"]


# --- already in snake_case -----------------------------------------------------------------------
# Any doubt (a key to convert, a batch) answers False, and the message is normalized the usual
# way; a value nested deeper than the interpreter's stack raises RecursionError, and the careful
# walk runs.
#
# The functions below read a normalizer's memos as module globals: each normalizer runs them
# with its own memos in their place (_python_fast). A comprehension is a nested function in
# Python 3.11, and a global it reads costs less than an outer local, which would become a cell.
# The module's own bindings are empty and read-only: run as they are, these functions learn
# nothing and leave every message to the careful walk.

_SNAKE_KEYS: frozenset[str] | set[str] = frozenset()  # keys known to be their own snake_case
_FAST_KEYS: Mapping[Hashable, Hashable] = MappingProxyType({})  # the fast path's conversions


def _snake_keys(obj: dict[Any, Any]) -> bool:
    """Whether every key of ``obj`` is its own snake_case (the normalizer's method)."""
    return False


def _learn(obj: Mapping[Hashable, Any]) -> bool:
    """Learn the conversions of ``obj``'s keys (the normalizer's method)."""
    return False


def _snake_values(values: Any, skip: object = None) -> bool:
    """Whether every object below these values (at any depth) has snake_case keys only;
    ``skip`` is a container not to look into."""
    leaves = _LEAVES
    known = _SNAKE_KEYS
    for value in values:
        kind = type(value)
        if kind in leaves or value is skip:  # most values: one test
            continue
        if kind is dict:
            if not (
                (known.issuperset(value) or _snake_keys(value)) and _snake_values(value.values())
            ):
                return False
        elif kind is not list or not _snake_values(value):
            return False
    return True


def _already_snake(message: dict[Any, Any], root: bool) -> bool:
    """Whether normalizing ``message``, a freshly parsed value, would change nothing (its
    integrations keep their keys; a batch envelope at the root is left to the usual walk)."""
    if not (_SNAKE_KEYS.issuperset(message) or _snake_keys(message)) or (
        root and "batch" in message
    ):
        return False
    integrations = message.get("integrations")
    if type(integrations) is not dict:
        return _snake_values(message.values())
    # Destination names: only the values are walked. (Parsed JSON shares no object, so the
    # integrations dict is skipped by identity in the walk of the message.)
    return _snake_values(integrations.values()) and _snake_values(message.values(), integrations)


# --- the fast path -------------------------------------------------------------------------------
# Plain dicts and lists of JSON leaves, no collision, no empty key: what almost every message
# is. Anything else raises _Slow and the careful walk starts over, so both paths give the same
# result. The recursion has no depth count: a value nested deeper than the interpreter allows
# raises RecursionError, which the callers treat like _Slow (the careful walk needs no stack).
# A key not yet learnt raises KeyError; the object's keys are then learnt and the object
# converted again (rare: the keys of a receiver's traffic repeat).


class _Slow(Exception):
    """The fast path met something it leaves to the careful walk."""


def _fast_object(obj: dict[Any, Any], retried: bool = False) -> dict[Any, Any]:
    try:
        new = {
            _FAST_KEYS[k]: v
            if type(v) in _LEAVES
            else _fast_object(v)
            if type(v) is dict
            else [x if type(x) in _LEAVES else _fast_value(x) for x in v]
            if type(v) is list
            else _refuse()
            for k, v in obj.items()
        }
    except KeyError:
        # retried: the cache was cleared under us, more keys than it holds
        if retried or not _learn(obj):
            raise _Slow from None
        return _fast_object(obj, True)
    if len(new) != len(obj):  # two keys became one
        raise _Slow
    return new


def _refuse() -> NoReturn:
    raise _Slow


def _fast_value(value: Any) -> Any:
    """A container below a message: a dict or a list, else the careful walk takes over."""
    kind = type(value)
    if kind is dict:
        return _fast_object(value)
    if kind is list:
        return [v if type(v) in _LEAVES else _fast_value(v) for v in value]
    raise _Slow


def _fast_message(obj: dict[Any, Any], root: bool, retried: bool = False) -> dict[Any, Any]:
    """A message (or, at the root, possibly a batch envelope): integrations keep their keys."""
    # The key is computed before the value in a dict display, so the value can depend on it.
    try:
        new = {
            (name := _FAST_KEYS[k]): v if type(v) in _LEAVES else _fast_member(name, v, root)
            for k, v in obj.items()
        }
    except KeyError:
        if retried or not _learn(obj):
            raise _Slow from None
        return _fast_message(obj, root, True)
    if len(new) != len(obj):
        raise _Slow
    return new


def _fast_member(name: Any, value: Any, root: bool) -> Any:
    """A container at the top of a message: integrations keep their keys, a batch at the root
    holds messages, anything else is an ordinary value."""
    kind = type(value)
    if kind is dict:
        if name == "integrations":
            return {k: v if type(v) in _LEAVES else _fast_value(v) for k, v in value.items()}
        return _fast_object(value)
    if kind is list and root and name == "batch":
        return _fast_batch(value)
    return _fast_value(value)


def _fast_batch(items: list[Any]) -> list[Any]:
    new = list(items)
    for index, value in enumerate(new):
        kind = type(value)
        if kind is dict:
            new[index] = _fast_message(value, False)
        elif kind not in _LEAVES:
            new[index] = _fast_value(value)
    return new


def _fast_python(message: dict[Any, Any], root: bool) -> dict[Any, Any] | None:
    """The fast path's result for a freshly parsed message (``message`` itself when nothing
    changes), or None when the careful walk must decide."""
    try:
        if _already_snake(message, root):
            return message
        return _fast_message(message, root)
    except (_Slow, RecursionError):
        return None


# The functions a normalizer runs with its own memos as their globals.
_BOUND: Final = (
    _snake_values,
    _already_snake,
    _fast_object,
    _fast_value,
    _fast_message,
    _fast_member,
    _fast_batch,
    _fast_python,
)


def _python_fast(
    known: set[str],
    snake_keys: Callable[[dict[Any, Any]], bool],
    fast_keys: dict[Hashable, Hashable],
    learn: Callable[[Mapping[Hashable, Any]], bool],
) -> _FastPath:
    """:func:`_fast_python` over a normalizer's memos: the same code, whose globals are this
    module's with the memos (and the methods that fill them) in place of the empty ones."""
    if not all(type(function) is FunctionType for function in _BOUND):
        # This module's compiled copy (setup.py), imported on its own without the core: its
        # functions are not Python code to rebind, and its fast path leaves all to the walk.
        return _fast_python
    namespace: dict[str, Any] = {
        **globals(),
        "_SNAKE_KEYS": known,
        "_snake_keys": snake_keys,
        "_FAST_KEYS": fast_keys,
        "_learn": learn,
    }
    for function in _BOUND:
        namespace[function.__name__] = FunctionType(
            function.__code__, namespace, function.__name__, function.__defaults__
        )
    fast: _FastPath = namespace["_fast_python"]
    return fast


def _compiled_fast(
    core: ModuleType,
    known: set[str],
    snake_keys: Callable[[dict[Any, Any]], bool],
    fast_keys: dict[Hashable, Hashable],
    learn: Callable[[Mapping[Hashable, Any]], bool],
) -> _FastPath:
    """:func:`_python_fast`, by the compiled core ``core`` (``_speedups.pyx``) over the same
    memos."""
    fast: _FastPath = core.FastPath(known, snake_keys, fast_keys, learn)
    return fast


def _walk(
    value: Any,
    keys: Mapping[Hashable, Hashable],
    role: int = _ROOT,
    size: int | None = None,
    owned: bool = False,
) -> tuple[Any, tuple[Issue, ...]]:
    """The careful walk: any depth, any Mapping, collisions, empty keys, shared objects. Gives
    the value and its issues (a plain tuple: the compiled copy of this module has a
    ``Normalized`` class of its own). ``keys`` gives each string key's snake_case (a
    normalizer's memo, which keeps no key of a huge object). ``owned``: ``value`` was just
    parsed and nobody else holds it (:meth:`Normalizer.parts`), so a huge object may be emptied
    as it is renamed."""
    leaves = _LEAVES
    issues = Findings(severity=Severity.WARNING, bounds=issue_bounds(size))
    top: list[Any] = [value]
    # The output made for each input container, by its id and role: a container met again
    # (shared by two places, or containing itself) is not walked again, its output is reused.
    # Parsed JSON shares nothing; a value built in Python may, and walking each place anew
    # could take time exponential in its depth.
    made: dict[int, Any] = {}  # keyed by id * 8 + role
    stack: list[_Frame] = [(value, top, 0, role, None)]
    while stack:
        obj, parent, slot, role, parent_link = stack.pop()
        seen = made.get(id(obj) * 8 + role)
        if seen is not None:  # met before: shared by two places, or containing itself
            parent[slot] = seen
            continue
        link: _Link = (parent_link, slot)
        new: Any
        kind = type(obj)
        if kind is dict:
            if role == _INTEGRATIONS:
                new = dict(obj)
            else:
                huge = len(obj) > _HUGE
                names = _unkept(keys) if huge else keys  # made only for a huge object
                new = _consumed(obj, names) if owned and huge else None
                if new is None:
                    converted: list[Any] | None = None
                    if huge:
                        # Nothing keeps a huge object's conversions (hundreds of nanoseconds a
                        # key): each key is converted once, and a rename reuses them.
                        converted = [names[k] if type(k) is str else k for k in obj]
                        new = dict(zip(converted, obj.values(), strict=True))
                    else:
                        new = {names[k]: v for k, v in obj.items()}
                    # A collision leaves fewer keys; "" means a key may have had nothing to keep.
                    if len(new) != len(obj) or "" in new:
                        new = _renamed(
                            list(obj.items()), link, issues, names, converted, plain=True
                        )
        elif kind is not list and kind is not tuple and _is_mapping(obj):
            pairs = _pairs(obj, link, issues)
            if pairs is None:  # its items cannot be read: kept as it is, with a warning
                parent[slot] = obj
                continue
            names = _unkept(keys) if len(pairs) > _HUGE else keys
            new = _renamed(pairs, link, issues, names, keep=role == _INTEGRATIONS, plain=False)
        else:
            new = list(obj)
            parent[slot] = new
            made[id(obj) * 8 + role] = new
            child_role = _MESSAGE if role == _BATCH else _PLAIN
            # Pushed last to first, so that children are walked, and issues found, in order.
            for index in range(len(new) - 1, -1, -1):
                item = new[index]
                if type(item) not in leaves and _is_container(item):
                    stack.append((item, new, index, child_role, link))
            continue
        parent[slot] = new
        made[id(obj) * 8 + role] = new
        roles = _CHILD_ROLES.get(role)
        for key, item in reversed(new.items()):
            if type(item) not in leaves and _is_container(item):
                child_role = _PLAIN if roles is None else roles.get(key, _PLAIN)
                stack.append((item, new, key, child_role, link))
    return top[0], tuple(
        issues.listed(
            "key that kept its original spelling", "keys that kept their original spelling"
        )
    )


def _consumed(obj: dict[Any, Any], keys: _Names) -> dict[Any, Any] | None:
    """``obj``'s members under their snake_case keys, ``obj`` emptied on the way so that each
    key it had is let go once renamed: a huge object (an envelope ``context`` of 30,000 keys) is
    not held twice, as sent and renamed, at the peak. None, with ``obj`` as it was, when a key
    is not a string, two keys collide or one becomes empty: the careful rename reports it.

    >>> obj = {"firstName": 1, "lastName": 2}
    >>> _consumed(obj, _KeyCache()), obj
    ({'first_name': 1, 'last_name': 2}, {})
    >>> obj = {"aB": 1, "a_b": 2}
    >>> _consumed(obj, _KeyCache()), obj
    (None, {'aB': 1, 'a_b': 2})
    """
    names: list[Any] = list(obj)
    if not all(type(name) is str for name in names):
        return None
    values = list(obj.values())
    # The keys spelled out in one string, and where each ends: what rebuilds ``obj`` on a
    # collision, at a few bytes a key instead of a string object of fifty bytes or more.
    spelled = "".join(names)
    ends = array("q", accumulate(map(len, names)))
    obj.clear()
    new: dict[Any, Any] = {}
    for index, value in enumerate(values):
        name = keys[names[index]]
        if name == "" or name in new:
            for before in range(index):  # the keys let go, spelled again
                start = ends[before - 1] if before else 0
                obj[spelled[start : ends[before]]] = values[before]
            for after in range(index, len(values)):
                obj[names[after]] = values[after]
            return None
        new[name] = value
        names[index] = None
    return new


def _is_mapping(value: Any) -> bool:
    try:
        return isinstance(value, Mapping)
    except Exception:  # an object whose class cannot even be asked: a leaf
        return False


def _is_container(value: Any) -> bool:
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        return True
    try:
        return isinstance(value, _CONTAINERS)
    except Exception:
        return False


def _pairs(obj: Any, link: _Link, issues: Findings) -> list[tuple[Any, Any]] | None:
    """The items of a Mapping, or None (with a warning) when reading them raises."""
    if type(obj) is dict:
        return list(obj.items())
    try:
        return list(obj.items())
    except Exception as error:
        if issues.full:
            issues.skip()
        else:
            text = f"the object could not be read ({type(error).__name__}); it is kept as it is"
            issues.append(Issue(_path(link), "unreadable", text, Severity.WARNING))
        return None


def _renamed(
    pairs: list[tuple[Any, Any]],
    link: _Link,
    issues: Findings,
    keys: _Names,
    known: list[Any] | None = None,
    *,
    keep: bool = False,
    plain: bool,
) -> dict[Hashable, Any]:
    """Name the keys of one object where two keys collide, one would become empty, or one
    cannot be a dict key (``keep``: destination names, kept as they are; ``plain``: the items
    of a dict, whose keys are hashable; ``known``: the converted keys of a dict whose keys are
    not kept, in order, when they are known already)."""
    converted: list[Any]
    if known is not None:
        converted = known
    elif plain and not keep:  # the usual case, a dict: one comprehension
        converted = [keys[key] if type(key) is str else key for key, _ in pairs]
    else:
        converted = []
        for key, _ in pairs:
            if not plain and not _hashable(key):
                converted.append(_UNHASHABLE)
            elif keep or type(key) is not str:
                converted.append(key)
            else:
                converted.append(keys[key])
    owner: dict[Hashable, int] = {}  # converted key -> index of the item that gets it
    for index, (key, _) in enumerate(pairs):
        name = converted[index]
        if name is _UNHASHABLE or (name == "" and key != ""):
            continue  # this key keeps its own spelling, or gets a name of its own
        if name not in owner or name == key:  # the key already in snake_case wins
            owner[name] = index
    new: dict[Hashable, Any] = {}
    numbers: dict[str, int] = {}  # the next free number of each name given twice
    full = issues.full  # it changes only when an issue is appended below
    skipped = 0  # issues counted, not written, once the list is full
    for index, (key, value) in enumerate(pairs):
        name = converted[index]
        keyword = ""
        if name is _UNHASHABLE:
            name = _free_name(key, new, numbers)
            keyword = "key-type"
        elif owner.get(name) != index:
            keyword = "empty-key" if name == "" else "key-collision"
            wanted, name = name, key
        if name in new:
            # Never for a dict: a kept original is not in snake_case and a converted key is,
            # so they differ. A Mapping that yields one key twice gets here.
            name = _free_name(key, new, numbers)
            keyword = "key-repeated"
        new[name] = value
        if not keyword:
            continue
        if full:  # counted, never written: the paths of deep keys are long
            skipped += 1
            continue
        if keyword == "key-type":
            text = (
                f"a key of type {type(key).__name__} cannot be a key of a dict; "
                f"it is kept as {name!r}"
            )
        elif keyword == "empty-key":
            text = (
                f"key {_shown(key)} has no letters or digits to keep in snake_case; "
                "it is kept as it is"
            )
        elif keyword == "key-collision":
            text = (
                f"key {_shown(key)} also becomes {_shown(wanted)}; "
                "it is kept under its original name"
            )
        else:
            text = f"key {_shown(key)} equals another key; it is kept as {name!r}"
            keyword = "key-collision"
        issues.append(Issue((*_path(link), _step(name)), keyword, text, Severity.WARNING))
        full = issues.full
    if skipped:
        issues.omitted += skipped  # warnings: omitted_errors stays as it is
    return new


_UNHASHABLE: Final = object()


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except Exception:
        return False
    return True


def _shown(key: Hashable) -> str:
    """A key as an issue's message shows it: a very long key is cut, with its length."""
    if isinstance(key, str) and len(key) > 80:
        return f"{key[:60]!r}... ({len(key):,} characters)"
    return repr(key)


def _free_name(key: Hashable, taken: Mapping[Hashable, Any], numbers: dict[str, int]) -> str:
    """A name for a key that cannot keep its own: ``"<key> (2)"``, ``"<key> (3)"``, ..."""
    base = key if isinstance(key, str) else type(key).__name__
    number = numbers.get(base, 2)
    while f"{base} ({number})" in taken:
        number += 1
    numbers[base] = number + 1
    return f"{base} ({number})"


def _step(key: Hashable) -> str | int:
    """A path step for an output key or list index (a key that is not a string is rendered)."""
    if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
        return key
    try:
        shown = repr(key)
    except Exception:  # an object whose repr raises: its type will do
        return f"<{type(key).__name__}>"
    return shown if len(shown) <= 80 else f"<{type(key).__name__}>"


def _path(link: _Link | None) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    while link is not None:
        link, step = link
        steps.append(step if type(step) is str or type(step) is int else _step(step))
    steps.pop()  # the slot of the value passed in, not a step inside it
    steps.reverse()
    return tuple(steps)


# --- the careful walk, compiled ------------------------------------------------------------------
# Where the compiled core is built, the package's build also compiles this very file with Cython
# as ``segment_spec._normalize_compiled`` (setup.py): the careful walk, which meets what the fast
# paths leave (collisions, empty keys, Mappings, shared objects, any depth), then runs the same
# code at two to three times the speed. Only the walk is taken from it; the guard keeps the
# compiled copy from taking its own.
_walk_python: Final = _walk
if speedups is not None and __name__ == "segment_spec._normalize":
    with contextlib.suppress(ImportError):  # built without it: the walk above runs
        from ._normalize_compiled import _walk  # type: ignore[import-not-found,no-redef]


DEFAULT: Final = Normalizer()
"""The default checker's normalizer, which :func:`normalize` uses."""
