"""segment_spec: the Segment Spec for Direct destinations, as a library.

Check a message, get it typed or get the reply to send Segment::

    import segment_spec

    result = segment_spec.check(request_body)
    if isinstance(result, segment_spec.Rejection):
        return result.status, result.body          # e.g. 400, {"message": "event is required: ..."}
    handle(result)                                  # a Track, Identify, Page, ... dataclass

The bundled JSON Schemas work with any validator. For Python's jsonschema, ``REGISTRY`` holds
every schema by its ``$id`` and ``FORMAT_CHECKER`` knows their ``segment-timestamp`` format::

    validator = jsonschema.Draft202012Validator(
        segment_spec.schema("track"),
        registry=segment_spec.REGISTRY,
        format_checker=segment_spec.FORMAT_CHECKER,
    )

Both are made the first time they are used (docs/schemas.md). ``COMPILED`` says whether this
process runs the compiled core (built by the package's own build wherever a C compiler is) or
the pure-Python code, which gives identical results; ``SEGMENT_SPEC_NO_EXTENSIONS=1`` forces the
latter. Public names are listed in ``__all__``; everything in underscore modules is private.
"""

import typing

from ._auth import api_key, keys_match
from ._catalog import Event, events, schema
from ._check import Batch, Checker, check, check_batch, is_valid, iter_issues, validate
from ._compiled import COMPILED
from ._issue import Issue, Severity
from ._message import Alias, Group, Identify, Message, Page, Screen, Track
from ._normalize import Normalized, normalize
from ._parse import MAX_BATCH_BYTES, MAX_BATCH_ITEMS, MAX_MESSAGE_BYTES
from ._receive import (
    Accepted,
    Delivery,
    Destination,
    MemoryWindow,
    RedisWindow,
    Reply,
    Window,
)
from ._reply import Rejection
from ._sample import sample
from ._select import CALL_TYPES
from .exceptions import (
    ClusterNotReady,
    Forbidden,
    InvalidMessage,
    Refusal,
    Reject,
    SchedulerUnreachable,
    SchemaError,
    SegmentSpecError,
    Unauthorized,
    Unavailable,
    UnknownSchemaName,
)

if typing.TYPE_CHECKING:
    from jsonschema import FormatChecker
    from referencing import Registry

    REGISTRY: Registry[typing.Any]
    """Every bundled schema and its lenient form by ``$id``, for ``referencing`` and
    ``jsonschema``; made on first use, and it retrieves nothing over the network."""
    FORMAT_CHECKER: FormatChecker
    """jsonschema's format checker with every format it knows, plus ``segment-timestamp``;
    made on first use."""

__all__ = [
    "CALL_TYPES",
    "COMPILED",
    "FORMAT_CHECKER",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ITEMS",
    "MAX_MESSAGE_BYTES",
    "REGISTRY",
    "Accepted",
    "Alias",
    "Batch",
    "Checker",
    "ClusterNotReady",
    "Delivery",
    "Destination",
    "Event",
    "Forbidden",
    "Group",
    "Identify",
    "InvalidMessage",
    "Issue",
    "MemoryWindow",
    "Message",
    "Normalized",
    "Page",
    "RedisWindow",
    "Refusal",
    "Reject",
    "Rejection",
    "Reply",
    "SchedulerUnreachable",
    "SchemaError",
    "Screen",
    "SegmentSpecError",
    "Severity",
    "Track",
    "Unauthorized",
    "Unavailable",
    "UnknownSchemaName",
    "Window",
    "api_key",
    "check",
    "check_batch",
    "events",
    "is_valid",
    "iter_issues",
    "keys_match",
    "normalize",
    "sample",
    "schema",
    "validate",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> typing.Any:
    # REGISTRY and FORMAT_CHECKER are made on first use: importing segment_spec reads no schema
    # and does not import jsonschema.
    if name == "REGISTRY":
        from ._registry import registry

        return registry()
    if name == "FORMAT_CHECKER":
        from ._registry import format_checker

        return format_checker()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
