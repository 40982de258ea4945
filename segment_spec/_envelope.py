"""The HTTP API batch envelope: its items, and what its context and integrations give each one.

Segment's HTTP API takes ``{"batch": [...], "context": {...}, "integrations": {...}}``. The
envelope's ``context`` and ``integrations`` apply to every item, the item's own keys winning, and
every item so merged is one event, which Segment holds to 32 KB (segment-docs, HTTP API page:
"32KB per call"). This module decides what that means here, so that a batch costs time and
memory in proportion to its body, never to the envelope's size times its items:

* the envelope's ``context`` and ``integrations`` are normalized and checked once, for the
  envelope itself: their issues are the batch's (:attr:`Batch.issues`), not repeated in each item;
* each item is checked as the message it is; it is too large when its own size plus what the
  merge adds to it (the envelope's entries it does not override) is over 32 KiB, so an envelope
  ``context`` of more than 32 KiB makes every item too large;
* an item's typed message gets the envelope's object itself (one object shared by every item
  that has none of its own), or, when the item has its own, a :class:`Merged` view of its own
  keys over the envelope's: a read-only mapping, never a copy (``dict(view)`` makes one).

A body is read with msgspec into its items' raw JSON, so each item is read and checked as a
single message is, and its size is exactly its bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from ._compiled import speedups
from ._issue import Issue
from ._normalize import Normalizer, snake_case
from ._parse import BYTES_LIKE, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, parse, text_size
from ._reply import Rejection, reject
from ._select import CALL_TYPES

__all__ = ["Envelope", "Merged", "ShareTexts", "Shared", "read_envelope"]

# The envelope in one pass: every member read as a value, except that an array is read into
# its elements' raw JSON (the batch is the array; another is read element by element after).
# Two passes, the envelope into raw members and then the batch into raw items, cost twice as
# much: 0.9 against 0.45 ms on a 500 KB batch (benchmarks/bench_check.py's batch).
_RAW_ENVELOPE = msgspec.json.Decoder(
    dict[str, list[msgspec.Raw] | dict[Any, Any] | str | int | float | bool | None]
)
_DECODE = msgspec.json.Decoder().decode
_MERGED = ("context", "integrations")
# The members of an item whose text a batch's items share (Envelope.share), and its bounds.
_REPEATED = ("type", "event", "user_id", "anonymous_id")
_TEXTS_KEPT = 1024
_TEXT_LONGEST = 256
_CALL_NAMES = {call: call for call in CALL_TYPES}  # shared by every batch


def read_envelope(
    data: object, normalizer: Normalizer
) -> tuple[dict[str, Any], Any, list[Issue]] | Issue:
    """Read a batch body: the envelope normalized by ``normalizer`` (its ``batch`` left as it
    is), the items, and the normalizer's issues about the envelope; or the issue that refuses
    the body.

    Items are raw JSON (``msgspec.Raw``) when ``data`` is bytes or text that msgspec reads, else
    values already read by :func:`~._parse.read_value`. ``batch`` may be missing or not an array:
    the envelope's schema says so.
    """
    if isinstance(data, (BYTES_LIKE, str)):
        raw = data if isinstance(data, bytes | str) else bytes(data)
        size = len(raw) if isinstance(raw, bytes) else text_size(raw)
        if size > MAX_BATCH_BYTES:
            text = f"the batch is {size:,} bytes; Segment's limit is {MAX_BATCH_BYTES:,} bytes"
            return Issue((), "too-large", text)
        try:
            return _split_raw(_RAW_ENVELOPE.decode(raw), normalizer)
        # Both are named: msgspec.DecodeError is not a ValueError in every supported release.
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
            pass  # the plain parse below says what is wrong, or reads what msgspec could not
    parsed = parse(data, limit=MAX_BATCH_BYTES, what="batch", low_memory=True)
    if isinstance(parsed, Issue):
        return parsed
    return _split(parsed, normalizer)


def _batch_key(keys: Any) -> str | None:
    """The one key that means ``batch`` once in snake_case, or None (none, or two)."""
    names = [key for key in keys if snake_case(key) == "batch"]
    return names[0] if len(names) == 1 else None


def _split_raw(
    envelope: dict[str, Any], normalizer: Normalizer
) -> tuple[dict[str, Any], Any, list[Issue]]:
    """Normalize an envelope read by ``_RAW_ENVELOPE``, but not its items (raw JSON)."""
    name = _batch_key(envelope)
    rest = {
        key: [_DECODE(raw) for raw in value] if type(value) is list else value
        for key, value in envelope.items()
        if key != name
    }
    if name is None:
        return _split(rest, normalizer)
    items = envelope[name]
    shell, issues = normalizer.parts(rest, owned=True)
    return {**shell, "batch": items}, items, list(issues)


def _split(
    parsed: dict[str, Any], normalizer: Normalizer
) -> tuple[dict[str, Any], Any, list[Issue]]:
    """Normalize an envelope read as a value, but not its items."""
    name = _batch_key(parsed)
    if name is None:
        # No batch key, or two that collide: normalize it all, and report it all.
        whole, found = normalizer.parts(parsed, owned=True)
        issues = [i for i in found if i.path[:1] != ("batch",)]
        return whole, whole.get("batch"), issues
    shell, found = normalizer.parts(
        {key: value for key, value in parsed.items() if key != name}, owned=True
    )
    return {**shell, "batch": parsed[name]}, parsed[name], list(found)


_ENCODE = msgspec.json.Encoder().encode


def _size(value: Any) -> int:
    """The size of a JSON value already read, as compact JSON, in bytes (msgspec's buffer is
    about the output's size; orjson's reach 30 times it on a large value)."""
    return len(_ENCODE(value))


@dataclass(frozen=True, slots=True)
class Shared:
    """The envelope's ``context`` or ``integrations``, as merged into every item.

    Attributes:
        name: ``"context"`` or ``"integrations"``.
        value: The envelope's object, normalized.
        size: Its size as compact JSON.
        entries: The size of each of its entries (``"key":value``) an item has overridden so
            far, by key: measured when first needed, as most items override none.
    """

    name: str
    value: dict[str, Any]
    size: int
    entries: dict[str, int]

    @classmethod
    def of(cls, name: str, value: dict[str, Any]) -> Shared:
        return cls(name, value, _size(value), {})

    def added(self, own: Any) -> int:
        """How many bytes merging into an item whose own value is ``own`` adds to it (about:
        a separator either way)."""
        if own is None:  # absent or null: the whole object comes in
            return len(self.name) + 4 + self.size
        if type(own) is not dict:  # not an object: the item's own value wins
            return 0
        if not own:
            return self.size - 2
        value = self.value
        overridden = sum(self._entry(key) + 1 for key in own if key in value)
        return self.size - 1 - overridden

    def _entry(self, key: str) -> int:
        size = self.entries.get(key)
        if size is None:
            size = self.entries[key] = _size(key) + 1 + _size(self.value[key])
        return size

    def merged(self, own: Any) -> Any:
        """The value an item gets: the envelope's object, the item's own, or both in a view."""
        if own is None or (type(own) is dict and not own):
            return self.value
        if type(own) is not dict:
            return own
        return Merged(own, self.value)


class Merged(Mapping[str, Any]):
    """An item's own ``context`` (or ``integrations``) over the envelope's, as Segment merges
    them: a read-only view of both, never a copy. ``own`` and ``shared`` are the two objects.

    It is what a ``collections.ChainMap`` of the two reads, in 56 bytes instead of about 160
    (a ChainMap keeps its maps in a list, in an instance dictionary): one per item of a batch
    whose items have a context of their own, against the 40 bytes of JSON of the smallest item.

    >>> view = Merged({"ip": "1.1.1.1"}, {"ip": "9.9.9.9", "locale": "en-US"})
    >>> view["ip"], dict(view)
    ('1.1.1.1', {'ip': '1.1.1.1', 'locale': 'en-US'})
    """

    __slots__ = ("own", "shared")

    own: Mapping[str, Any]
    shared: Mapping[str, Any]

    def __init__(self, own: Mapping[str, Any], shared: Mapping[str, Any]) -> None:
        self.own = own
        self.shared = shared

    def __getitem__(self, key: str) -> Any:
        own = self.own
        return own[key] if key in own else self.shared[key]

    def __contains__(self, key: object) -> bool:
        return key in self.own or key in self.shared

    def __iter__(self) -> Iterator[str]:
        # The order of {**shared, **own}: the envelope's keys, then the item's that it lacks.
        own, shared = self.own, self.shared
        yield from shared
        yield from (key for key in own if key not in shared)

    def __len__(self) -> int:
        shared = self.shared
        return len(shared) + sum(1 for key in self.own if key not in shared)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.own!r}, {self.shared!r})"

    def __reduce__(self) -> tuple[type[Merged], tuple[Mapping[str, Any], Mapping[str, Any]]]:
        return (type(self), (self.own, self.shared))


class ShareTexts:
    """Give the members of an item (normalized, and ours) whose text repeats from item to item,
    the call type, the event and the user's ids (``keys``), one string object per text across
    the batch: each item is parsed on its own, and 2,500 items of one user's events would
    otherwise each hold a copy of each (50 bytes or more each, against the 43 bytes of JSON of
    the smallest item). ``texts`` keeps at most ``most`` texts, of at most ``longest``
    characters each.

    The readable reference of the compiled core's ``TextSharer``, which does the same in C.

    >>> share = ShareTexts({}, ("event",), 256, 1024)
    >>> first, second = {"event": "Signed Up"}, {"event": "".join(["Signed", " Up"])}
    >>> share(first); share(second)
    >>> second["event"] is first["event"]
    True
    """

    __slots__ = ("keys", "longest", "most", "texts")

    def __init__(self, texts: dict[str, str], keys: tuple[str, ...], longest: int, most: int):
        self.texts = texts
        self.keys = keys
        self.longest = longest
        self.most = most

    def __call__(self, message: dict[str, Any]) -> None:
        texts = self.texts
        for key in self.keys:
            text = message.get(key)
            if type(text) is not str or len(text) > self.longest:
                continue
            kept = texts.get(text)
            if kept is None:
                if len(texts) < self.most:
                    texts[text] = text
            elif kept is not text:
                message[key] = kept


def _text_sharer(texts: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    """What shares a batch's texts in ``texts``: the compiled core's, where it runs."""
    if speedups is not None:
        share: Callable[[dict[str, Any]], None] = speedups.TextSharer(
            texts, _REPEATED, _TEXT_LONGEST, _TEXTS_KEPT
        )
        return share
    return ShareTexts(texts, _REPEATED, _TEXT_LONGEST, _TEXTS_KEPT)


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the envelope gives each item: its non-empty ``context`` and ``integrations``.

    ``refusals`` keeps the rejection of each size an item was refused at for being too large
    once merged, so that the items of an envelope too large to merge share a few replies;
    ``share`` makes the items share the texts in ``texts`` (:class:`ShareTexts`, or the compiled
    core's ``TextSharer``).
    """

    shared: tuple[Shared, ...]
    refusals: dict[int, Rejection]
    texts: dict[str, str]
    share: Callable[[dict[str, Any]], None]

    @classmethod
    def of(cls, envelope: Mapping[str, Any]) -> Envelope:
        texts = dict(_CALL_NAMES)
        return cls(
            tuple(
                Shared.of(name, value)
                for name in _MERGED
                if type(value := envelope.get(name)) is dict and value
            ),
            {},
            texts,
            _text_sharer(texts),
        )

    def added_size(self, message: Mapping[str, Any]) -> int:
        """The bytes merging adds to ``message`` (normalized)."""
        return sum(shared.added(message.get(shared.name)) for shared in self.shared)

    def admit(self, size: int, message: dict[str, Any]) -> Rejection | None:
        """Take an item of ``size`` bytes (``message``, normalized, and ours) into the batch:
        the rejection of an item that the merge takes over Segment's limit for one message;
        otherwise None, once the item shares the batch's repeated texts (:attr:`share`)."""
        if self.shared:
            refusal = self.too_large(size, message)
            if refusal is not None:
                return refusal
        self.share(message)
        return None

    def too_large(self, size: int, message: Mapping[str, Any]) -> Rejection | None:
        """The rejection of an item of ``size`` bytes that the merge takes over Segment's
        limit for one message, if it is one."""
        if not self.shared:
            return None
        merged = size + self.added_size(message)
        if merged <= MAX_MESSAGE_BYTES:
            return None
        refusal = self.refusals.get(merged)
        if refusal is None:
            text = (
                f"with the batch's context and integrations merged in, the message is "
                f"{merged:,} bytes; Segment's limit is {MAX_MESSAGE_BYTES:,} bytes"
            )
            refusal = self.refusals[merged] = reject([Issue((), "too-large", text)])
        return refusal

    def merge(self, message: dict[str, Any]) -> dict[str, Any]:
        """``message`` (normalized, and ours) with the envelope's ``context`` and
        ``integrations`` merged in, in place and without copying them: a copy of the item's
        top level would cost about 300 bytes an item, seven times the JSON of the smallest."""
        for shared in self.shared:
            message[shared.name] = shared.merged(message.get(shared.name))
        return message
