"""Catalog: every semantic event of the Segment Spec, read from the bundled event schemas.

Each file under ``schemas/events/<spec>/`` describes the ``properties`` of one event; its
``title`` is the event name and its ``x-spec``, ``x-category`` and ``x-legacy-names``
annotations place it in the catalog. The catalog is derived from the files, so the two cannot
disagree.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ._schemas import BASE_URI, is_event_path, store
from .exceptions import SchemaError, UnknownSchemaName

__all__ = [
    "Event",
    "UnknownSchemaName",
    "events",
    "message_schema",
    "resolve_event",
    "schema",
]

_CALLS = ("identify", "track", "page", "screen", "group", "alias")


@dataclass(frozen=True, slots=True)
class Event:
    """One semantic event of the Segment Spec.

    Attributes:
        name: The current event name, e.g. ``"Order Completed"``.
        spec: The spec it belongs to: ``ecommerce``, ``mobile``, ``video``, ``email``,
            ``live-chat``, ``ab-testing``, ``b2b-saas`` or ``copilot``.
        category: The group within its spec, e.g. ``"Core Ordering"``.
        legacy_names: Older names that mean this event (``"Completed Order"``).
        description: When the event is sent.
        schema_path: Where its schema is, relative to ``schemas/``.
    """

    name: str
    spec: str
    category: str
    legacy_names: tuple[str, ...]
    description: str
    schema_path: str

    def __hash__(self) -> int:
        # Names are unique in the catalog; hashing one string (its hash is cached) keeps the
        # per-event caches cheap to look up, where hashing all six fields is not.
        return hash(self.name)

    @property
    def schema_id(self) -> str:
        """The ``$id`` of the event's schema."""
        return BASE_URI + self.schema_path


@dataclass(frozen=True, slots=True)
class _Index:
    events: tuple[Event, ...]
    by_name: dict[str, Event]  # current and legacy names, exact
    by_folded: dict[str, Event]  # the same, case-folded and trimmed
    messages: dict[str, str]  # call types and event names -> path under schemas/
    schemas: dict[str, str]  # the same, and every path without .json -> path


@cache
def _index() -> _Index:
    bundled = store()
    found = []
    for path in bundled.paths:
        if not is_event_path(path):
            continue
        doc = bundled.by_path(path)
        found.append(
            Event(
                name=doc["title"],
                spec=doc["x-spec"],
                category=doc["x-category"],
                legacy_names=tuple(doc.get("x-legacy-names", ())),
                description=doc.get("description", ""),
                schema_path=path,
            )
        )
    by_name: dict[str, Event] = {}
    for event in found:
        for name in (event.name, *event.legacy_names):
            if name in by_name:
                raise SchemaError(f"event name {name!r} is claimed by two schemas")
            by_name[name] = event
    by_folded = {name.casefold(): event for name, event in by_name.items()}
    messages = {call: f"{call}.json" for call in _CALLS}
    messages.update((name, event.schema_path) for name, event in by_name.items())
    schemas = dict(messages)
    for path in bundled.paths:
        # A call type is also its file's path ("track"): both name the same file.
        if schemas.setdefault(path.removesuffix(".json"), path) != path:
            raise SchemaError(f"schema name {path.removesuffix('.json')!r} is claimed twice")
    return _Index(tuple(found), by_name, by_folded, messages, schemas)


def events() -> tuple[Event, ...]:
    """Every current semantic event (87), ordered by spec and file name.

    >>> from segment_spec import events
    >>> [e.name for e in events() if e.category == "Coupons"][:2]
    ['Coupon Applied', 'Coupon Denied']
    """
    return _index().events


def resolve_event(name: str) -> tuple[Event | None, bool]:
    """Find the event a track call names: exact current or legacy name first, then ignoring
    letter case and surrounding spaces. Returns the event (or None) and whether the match was
    exact."""
    index = _index()
    event = index.by_name.get(name)
    if event is not None:
        return event, True
    event = index.by_folded.get(name.strip().casefold())
    return event, False


def schema(name: str, *, lenient: bool = False) -> dict[str, Any]:
    """The JSON Schema of a call type, a semantic event or any bundled schema, as a plain dict
    (a fresh copy each time).

    ``name`` is one of:

    * a call type: ``"track"``, ``"identify"``, ...;
    * a semantic event, by its current or legacy name (``"Completed Order"`` gives Order
      Completed's schema), which describes a track's ``properties`` object in snake_case;
    * the path of any file under ``schemas/`` without ``.json``: ``"common"``, ``"batch"``,
      ``"error-body"``, ``"reserved/context"``, ``"events/definitions"``,
      ``"events/ecommerce/order-completed"``.

    Its references point into the other bundled schemas (``$id`` under
    ``https://segment-spec.invalid/schemas/``), all in ``segment_spec.REGISTRY``.

    With ``lenient=True``, the schema without the parts :func:`~segment_spec.check` reports
    only as warnings: each part marked ``"x-severity": "warning"`` accepts any value (its
    ``title``, ``description``, ``x-`` annotations and other non-validating keywords are
    kept), and so does an event's schema as a whole, since a track's properties never make
    ``check`` reject it. Its ``$id`` is under ``https://segment-spec.invalid/schemas/lenient/``,
    so its references reach the lenient forms of the others (in ``REGISTRY`` too). A validator
    with ``REGISTRY`` and ``FORMAT_CHECKER`` on the normalized message then gives
    ``check(message)``'s verdict on a lenient schema and ``check(message, strict=True)``'s on
    the schema as it is, but for the rules ``check`` applies before any schema
    (docs/schemas.md).

    Raises :class:`UnknownSchemaName` (a ``LookupError``) with the nearest names for anything
    else, and ``TypeError`` when ``name`` is not a string.

    >>> from segment_spec import schema
    >>> schema("Completed Order")["title"]
    'Order Completed'
    >>> schema("reserved/context")["title"]
    'Segment message context'
    >>> schema("track", lenient=True)["$id"]
    'https://segment-spec.invalid/schemas/lenient/track.json'
    >>> "properties" in schema("Order Completed", lenient=True)  # accepts any properties
    False
    """
    path = _find(name, _index().schemas, "call type, semantic event or bundled schema")
    return store().copy_of(path, lenient=lenient)


def message_schema(name: str) -> dict[str, Any]:
    """:func:`schema` for the names a message can have: a call type or a semantic event
    (current or legacy name). Raises as :func:`schema` does, suggesting only such names."""
    return store().copy_of(_find(name, _index().messages, "call type or semantic event"))


def _find(name: str, names: Mapping[str, str], looked_for: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a schema name is a string, not {type(name).__name__}")
    path = names.get(name)
    if path is None:
        raise UnknownSchemaName(name, _suggest(name, names), looked_for=looked_for)
    return path


def _suggest(name: str, names: Mapping[str, str]) -> tuple[str, ...]:
    folded = {candidate.casefold(): candidate for candidate in names}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.6)
    return tuple(folded[match] for match in close)
