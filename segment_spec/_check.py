"""The way of a message: bytes -> parse -> normalize -> select schema -> validate -> reply.

This module only strings the stages together; each stage lives in its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from ._catalog import Event, resolve_event
from ._envelope import Envelope, read_envelope
from ._issue import Issue, Severity
from ._message import BuildMessage, Message, ReadTimestamps, message_tools
from ._normalize import DEFAULT as DEFAULT_NORMALIZER
from ._normalize import Normalizer
from ._parse import MAX_BATCH_ITEMS, MAX_MESSAGE_BYTES, not_an_object, parse_body, parse_sized
from ._reply import Rejection, reject
from ._select import CALL_TYPES, Schemas, select_call, supported_calls
from ._snake_parse import SnakeReader
from ._timestamps import RecentTimestamps
from ._validate import Allowance
from .exceptions import InvalidMessage

__all__ = [
    "Batch",
    "Checker",
    "InvalidMessage",
    "check",
    "check_batch",
    "is_valid",
    "iter_issues",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Batch:
    """The result of :func:`check_batch`: one result per item, in order.

    Attributes:
        results: A :data:`Message` or a :class:`Rejection` for each item of ``batch``.
        context: The envelope's ``context``, normalized. Every item's ``context`` is this
            object itself, or, for an item with its own, a read-only ``Mapping`` of its keys
            over this one's (``Merged``, with ``own`` and ``shared``; ``dict(message.context)``
            makes a plain copy).
        integrations: The envelope's ``integrations``, given to the items the same way.
        write_key: The envelope's ``write_key``, if any.
        issues: Issues of the envelope itself, its ``context`` and ``integrations`` included
            (reported here once, not in each item).
    """

    results: tuple[Message | Rejection, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    integrations: Mapping[str, Any] = field(default_factory=dict)
    write_key: str | None = None
    issues: tuple[Issue, ...] = ()

    @property
    def messages(self) -> tuple[Message, ...]:
        """The accepted items."""
        return tuple(r for r in self.results if not isinstance(r, Rejection))

    @property
    def rejections(self) -> tuple[tuple[int, Rejection], ...]:
        """The rejected items, each with its index in ``batch``."""
        return tuple((i, r) for i, r in enumerate(self.results) if isinstance(r, Rejection))


@dataclass(frozen=True, slots=True)
class _Tools:
    """What a checker learns and compiles as it checks: the compiled schemas, the snake_case
    reader, the normalizer's key memos and the timestamps read lately, with the timestamp
    reader and message builder that read those. Only the speed depends on them, never a
    result."""

    schemas: Schemas
    reader: SnakeReader
    normalizer: Normalizer
    timestamps: RecentTimestamps
    read_timestamps: ReadTimestamps
    build_message: BuildMessage

    @classmethod
    def new(cls, normalizer: Normalizer | None = None) -> _Tools:
        normalizer = Normalizer() if normalizer is None else normalizer
        timestamps = RecentTimestamps()
        read_timestamps, build_message = message_tools(timestamps)
        return cls(
            Schemas(),
            SnakeReader(normalizer.known_snake_keys),
            normalizer,
            timestamps,
            read_timestamps,
            build_message,
        )


# The module functions' tools: those of one default checker (cheap to make: everything in them
# is compiled and learnt on first use), whose normalizer :func:`normalize` uses too.
_DEFAULT: Final = _Tools.new(DEFAULT_NORMALIZER)


class Checker:
    """A checker that owns what it compiles and learns: the validators of the bundled schemas
    and the snake_case reader. The module functions (:func:`check`, ...) use a default one;
    make your own to keep that state with your receiver, or to fix its settings once.

    Args:
        strict: Turn warnings into rejections, as ``check(..., strict=True)``.
        supported: The call types this destination handles (None: all six), as in
            :func:`check`; raises ``TypeError``/``ValueError`` for a bad one.

    Safe to share between threads. A new checker compiles each schema the first time it meets
    it (about 0.1 s for a call's schema, 10 ms for an event's), so make one and keep it.

    >>> from segment_spec import Checker
    >>> checker = Checker(supported={"track"})
    >>> checker.check({"type": "track", "event": "Signed Up", "userId": "u1"}).event
    'Signed Up'
    >>> checker.check({"type": "identify", "userId": "u1"}).status
    501
    >>> checker.is_valid({"type": "track", "userId": "u1"})
    False
    """

    __slots__ = ("_allowed", "_strict", "_tools")

    def __init__(self, *, strict: bool = False, supported: Iterable[str] | None = None) -> None:
        self._strict = bool(strict)
        self._allowed = supported_calls(supported)
        self._tools = _Tools.new()

    @property
    def strict(self) -> bool:
        """Whether warnings become rejections."""
        return self._strict

    @property
    def supported(self) -> frozenset[str] | None:
        """The call types handled, or None for all six."""
        return self._allowed

    def __repr__(self) -> str:
        supported = None if self._allowed is None else sorted(self._allowed)
        return f"Checker(strict={self._strict}, supported={supported})"

    def check(self, data: bytes | str | Mapping[str, Any]) -> Message | Rejection:
        """:func:`check` with this checker's settings."""
        return _check_one(data, self._strict, self._allowed, None, self._tools)

    def check_batch(self, data: bytes | str | Mapping[str, Any]) -> Batch | Rejection:
        """:func:`check_batch` with this checker's settings."""
        return _check_batch(data, self._strict, self._allowed, self._tools)

    def validate(self, data: bytes | str | Mapping[str, Any]) -> Message:
        """:func:`validate` with this checker's settings: raises :class:`InvalidMessage`."""
        result = self.check(data)
        if isinstance(result, Rejection):
            raise InvalidMessage(result)
        return result

    def iter_issues(self, data: bytes | str | Mapping[str, Any]) -> Iterator[Issue]:
        """:func:`iter_issues` with this checker's settings."""
        yield from self.check(data).issues

    def is_valid(self, data: bytes | str | Mapping[str, Any]) -> bool:
        """:func:`is_valid` with this checker's settings."""
        return not isinstance(self.check(data), Rejection)


def _refuse(issues: list[Issue], strict: bool) -> Rejection:
    return reject([issue.as_error() for issue in issues] if strict else issues)


def _finish(
    issues: list[Issue],
    strict: bool,
    call: str,
    message: dict[str, Any],
    semantic: Event | None,
    envelope: Envelope | None,
    tools: _Tools,
) -> Message | Rejection:
    """Build the typed message, or the rejection when an issue is (or, strict, becomes) an
    error. Most messages have no issue at all and go straight to the build."""
    if issues and (strict or any(issue.is_error for issue in issues)):
        return _refuse(issues, strict)
    data = message if envelope is None else envelope.merge(message)
    return tools.build_message(call, data, issues, semantic)


def _check_normalized(
    message: dict[str, Any],
    issues: list[Issue],
    strict: bool,
    supported: frozenset[str] | None,
    envelope: Envelope | None,
    size: int,
    tools: _Tools,
    allowance: Allowance | None = None,
) -> Message | Rejection:
    """Check a message whose keys are already snake_case (with ``envelope``, a batch item, and
    its typed message gets what the envelope gives it); ``size`` is that of its body, which
    bounds the issues listed (:func:`~._issue.issue_bounds`), and ``allowance`` bounds what
    listing a whole batch's issues costs (:class:`~._validate.Allowance`)."""
    kind = message.get("type")
    refused = False  # the call's schema has already said the message breaks it
    if (
        not issues
        and type(kind) is str
        and kind in CALL_TYPES
        and (supported is None or kind in supported)
    ):
        # The usual clean message: the engine finds nothing to report (a track naming a spec
        # event: in its properties either), and its timestamps are read once. The one-pass
        # check is the call's; a track naming a spec event takes its event's, and one whose
        # event is not a plain string, or names a spec event only in another letter case,
        # none (the usual way reports those).
        event: Event | None = None
        fast: Callable[[Any], bool] | None = (
            tools.schemas.oks.get(kind) or tools.schemas.call(kind).ok
        )
        if kind == "track":
            name = message.get("event")
            if type(name) is not str:
                fast = None
            else:
                event, exact = resolve_event(name)
                if event is not None:  # (a custom event keeps the call's check)
                    fast = tools.schemas.track(event) if exact else None
        if fast is not None:
            if fast(message):
                times = tools.read_timestamps(message)
                if times is not None:
                    data = message if envelope is None else envelope.merge(message)
                    return tools.build_message(kind, data, issues, event, times)
            else:
                refused = event is None  # the check was the call's schema alone
    selection = select_call(message, supported)
    if selection.call is None:
        assert selection.issue is not None
        issues.append(selection.issue)
        if selection.issue.keyword != "unsupported-type":
            # Whatever the call, it needs user_id or anonymous_id (alias: user_id), so a
            # message without a usable type still hears about missing ids.
            issues.extend(tools.schemas.identity_issues(message, size))
        return reject(issues)
    call = selection.call
    if selection.warning is not None:
        issues.append(selection.warning)
        message = {**message, "type": call}
    if refused or not tools.schemas.call(call).ok(message):
        issues.extend(tools.schemas.report(call, message, size, allowance))
        if any(issue.is_error for issue in issues):
            return _refuse(issues, strict)
    semantic = (
        _semantic_issues(message, issues, size, tools.schemas, allowance)
        if call == "track"
        else None
    )
    return _finish(issues, strict, call, message, semantic, envelope, tools)


def _semantic_issues(
    message: Mapping[str, Any],
    issues: list[Issue],
    size: int,
    schemas: Schemas,
    allowance: Allowance | None = None,
) -> Event | None:
    """Check a track's properties against its semantic event; deviations are warnings.

    A receiver loses no data this way: Segment drops a message for good on a 400, so only
    ``strict=True`` turns these warnings into a rejection.
    """
    event, exact = resolve_event(message["event"])
    if event is None:
        return None
    if not exact:
        text = f"event matches the spec event {event.name!r} except for letter case or spaces"
        issues.append(Issue(("event",), "event-case", text, Severity.WARNING))
    properties = message.get("properties")
    if type(properties) is not dict and not isinstance(properties, Mapping):
        return event
    validator = schemas.event(event)
    if validator.ok(properties):
        return event
    found = validator.report(properties, ("properties",), Severity.WARNING, size, allowance)
    # The reserved track properties (revenue, currency, ...) may already have said the same.
    seen = {(issue.path, issue.keyword) for issue in issues}
    issues.extend(issue for issue in found if (issue.path, issue.keyword) not in seen)
    return event


def check(
    data: bytes | str | Mapping[str, Any],
    *,
    strict: bool = False,
    supported: Iterable[str] | None = None,
) -> Message | Rejection:
    """Check one Segment message and return it typed, or the reply that rejects it.

    Args:
        data: The request body as bytes (or any bytes-like object: ``bytearray``,
            ``memoryview``, ``msgspec.Raw``) or JSON text, or an already-parsed mapping
            (camelCase or snake_case keys).
        strict: Turn warnings (key collisions, semantic deviations, ...) into rejections.
        supported: The call types this destination handles, e.g. ``{"track", "identify"}``;
            any other call type gets a 501. None (the default) accepts all six.

    Returns:
        A typed :data:`Message` (``Identify``, ``Track``, ...) whose ``issues`` hold any
        warnings, or a :class:`Rejection` with the status and body to send back.

    Never raises and never hangs, whatever ``data`` is; raises ``TypeError``/``ValueError``
    only for a bad ``supported`` argument. A value passed parsed gets the answer its JSON text
    would get: what JSON cannot hold (a key that is not a string, a set, NaN, a value that
    contains itself, ...) is a 400 naming the place (docs/error-model.md, ``invalid-json``).

    >>> from segment_spec import check
    >>> message = check(b'{"type": "track", "event": "Signed Up", "userId": 42}')
    >>> message.event, message.user_id
    ('Signed Up', '42')
    """
    allowed = None if supported is None else supported_calls(supported)
    return _check_one(data, strict, allowed, None, _DEFAULT)


def _check_one(
    data: object,
    strict: bool,
    allowed: frozenset[str] | None,
    envelope: Envelope | None,
    tools: _Tools,
    allowance: Allowance | None = None,
) -> Message | Rejection:
    """:func:`check` once its arguments are checked; with ``envelope`` and ``allowance``, for
    an item of a batch."""
    # A body in snake_case, as Segment forwards it, is read and key-checked in one pass. (A
    # character is at most 4 UTF-8 bytes: text that might be too long takes the usual way.) A
    # batch item comes as the msgspec.Raw that holds its bytes, read as they are, uncopied.
    read = False
    if (type(data) is bytes or type(data) is msgspec.Raw or type(data) is str) and len(data) * (
        4 if type(data) is str else 1
    ) <= MAX_MESSAGE_BYTES:
        read = True
        snake = tools.reader.read(data)
        if snake is not None:
            # The size in characters for text: it bounds the issues listed, and batch items,
            # whose size counts exactly, are bytes.
            size = len(data)
            if envelope is not None and (refusal := envelope.admit(size, snake)) is not None:
                return refusal
            return _check_normalized(snake, [], strict, allowed, envelope, size, tools, allowance)
    body: dict[str, Any] | Issue
    if read and (type(data) is bytes or type(data) is msgspec.Raw):  # known to be within the limit
        body, size = parse_body(data), len(data)
    else:
        parsed = parse_sized(data, limit=MAX_MESSAGE_BYTES)
        body, size = (parsed, 0) if isinstance(parsed, Issue) else parsed
    if isinstance(body, Issue):
        return reject([body])
    value: dict[str, Any]
    # Whatever came in, what parse gives is ours: normalizing may keep it as it is.
    # The fast path, then (None: it cannot decide) the careful walk: parts() (for a batch
    # item, message()) in two calls.
    fast = tools.normalizer.fast(body, envelope is None)
    if fast is not None:
        value, issues = fast, []
    else:
        found: tuple[Issue, ...]
        value, found = tools.normalizer.walk(body, owned=True, size=size, item=envelope is not None)
        issues = list(found)
    if read:
        reader = tools.reader
        # A body that was not snake_case tells a reader that skips bodies nothing (missed()
        # would return at once): the call is left out, camelCase traffic's usual case.
        if value is body or not reader.skip:
            reader.missed(body if value is body else None)
    if envelope is not None and (refusal := envelope.admit(size, value)) is not None:
        return refusal
    return _check_normalized(value, issues, strict, allowed, envelope, size, tools, allowance)


def validate(
    data: bytes | str | Mapping[str, Any],
    *,
    strict: bool = False,
    supported: Iterable[str] | None = None,
) -> Message:
    """Like :func:`check`, but raise :class:`InvalidMessage` instead of returning a rejection.

    >>> from segment_spec import validate, InvalidMessage
    >>> try:
    ...     validate({"type": "group", "userId": "u1"})
    ... except InvalidMessage as error:
    ...     print(error.rejection.status, error.rejection.body["message"])
    400 group_id is required: a non-empty string or a number
    """
    result = check(data, strict=strict, supported=supported)
    if isinstance(result, Rejection):
        raise InvalidMessage(result)
    return result


def iter_issues(
    data: bytes | str | Mapping[str, Any],
    *,
    strict: bool = False,
    supported: Iterable[str] | None = None,
) -> Iterator[Issue]:
    """Yield every issue of a message, errors and warnings, the most useful first.

    A clean message yields nothing.
    """
    result = check(data, strict=strict, supported=supported)
    yield from result.issues


def check_batch(
    data: bytes | str | Mapping[str, Any],
    *,
    strict: bool = False,
    supported: Iterable[str] | None = None,
) -> Batch | Rejection:
    """Check an HTTP API batch envelope ``{"batch": [...], ...}``, item by item.

    Each item is checked as the message it is, the way :func:`check` checks one: one bad item
    never costs the others. The envelope's ``context`` and ``integrations`` apply to every item
    (the item's own keys win): they are checked once, their issues are the batch's
    (:attr:`Batch.issues`), and each typed message gets them without a copy (the envelope's
    object itself, or a read-only ``Mapping`` of the item's own keys over the envelope's).
    An item is over Segment's 32 KiB limit when it is, with what the merge adds, and is then
    rejected alone.

    The envelope itself is rejected (400) when it is not JSON, not an object, over 500 KiB, has
    no ``batch`` array, or has more than 2,500 items. The cost, in time and in memory, grows
    with the body, never with the envelope's size times its items.
    """
    return _check_batch(data, strict, supported_calls(supported), _DEFAULT)


def _check_batch(
    data: object, strict: bool, allowed: frozenset[str] | None, tools: _Tools
) -> Batch | Rejection:
    """:func:`check_batch` once its arguments are checked."""
    read = read_envelope(data, tools.normalizer)
    if isinstance(read, Issue):
        return reject([read])
    envelope, items, envelope_issues = read
    if isinstance(items, list) and len(items) > MAX_BATCH_ITEMS:
        text = f"batch has {len(items):,} items; Segment's limit is {MAX_BATCH_ITEMS:,}"
        return reject([Issue(("batch",), "too-large", text)])
    validator = tools.schemas.batch()
    if not validator.ok(envelope):
        # The items are checked one by one below, their count above: the envelope's issues are
        # its own, the same whether its items were read already or are still raw JSON.
        shell = {**envelope, "batch": []} if isinstance(items, list) else envelope
        envelope_issues.extend(validator.report(shell))
    if strict:
        envelope_issues = [issue.as_error() for issue in envelope_issues]
    if any(issue.is_error for issue in envelope_issues):
        return reject(envelope_issues)
    assert isinstance(items, list)
    merge = Envelope.of(envelope)
    try:
        # A tuple grown from a generator: no list of the results beside it at the end.
        results = tuple(_check_items(items, strict, allowed, merge, tools))
    except _NotJSON as refusal:
        return reject([refusal.issue])
    shared_context = envelope.get("context")
    shared_integrations = envelope.get("integrations")
    write_key = envelope.get("write_key")
    return Batch(
        results=results,
        context=shared_context if isinstance(shared_context, Mapping) else {},
        integrations=shared_integrations if isinstance(shared_integrations, Mapping) else {},
        write_key=write_key if isinstance(write_key, str) else None,
        issues=tuple(envelope_issues),
    )


class _NotJSON(Exception):
    """An item holds what makes the whole batch body something other than JSON."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _check_items(
    items: list[Any],
    strict: bool,
    allowed: frozenset[str] | None,
    envelope: Envelope,
    tools: _Tools,
) -> Iterator[Message | Rejection]:
    """Check each item in turn, letting each go once checked (the items are ours); the items
    share one allowance for listing their issues."""
    allowance = Allowance()
    for index in range(len(items)):
        item = items[index]
        items[index] = None
        # An item read already (a body passed parsed, or one msgspec could not read) is a
        # value: a string there is a JSON string, not JSON text as a string given to check is.
        result = (
            reject([not_an_object(item, "message")])
            if type(item) is str
            else _check_one(item, strict, allowed, envelope, tools, allowance)
        )
        if (
            type(item) is msgspec.Raw
            and isinstance(result, Rejection)
            and result.issues[0].keyword == "invalid-json"
        ):
            # msgspec checked the body's syntax, not its UTF-8 or its numbers: the item holds
            # what makes the whole body something other than JSON.
            raise _NotJSON(result.issues[0])
        yield result


def is_valid(
    data: bytes | str | Mapping[str, Any],
    *,
    strict: bool = False,
    supported: Iterable[str] | None = None,
) -> bool:
    """True when :func:`check` would return a message, False when it would reject ``data``.

    Takes the same arguments as :func:`check`; a message that has only warnings is valid
    unless ``strict`` is true.

    >>> from segment_spec import is_valid
    >>> is_valid({"type": "track", "event": "Signed Up", "userId": "u1"})
    True
    >>> is_valid({"type": "track", "userId": "u1"})
    False
    >>> is_valid({"type": "Track", "event": "Signed Up", "userId": "u1"}, strict=True)
    False
    """
    return not isinstance(check(data, strict=strict, supported=supported), Rejection)
