"""segment_spec: the Segment Spec for Direct destinations, as a library.

Check a message, get it typed or get the reply to send Segment::

    import segment_spec

    result = segment_spec.check(request_body)
    if isinstance(result, segment_spec.Rejection):
        return result.status, result.body          # e.g. 400, {"message": "event is required: ..."}
    handle(result)                                  # a Track, Identify, Page, ... dataclass

Public names are listed in ``__all__``; everything in underscore modules is private.
"""

from ._auth import api_key, keys_match
from ._catalog import Event, events, schema
from ._check import Batch, check, check_batch, is_valid, iter_issues, validate
from ._issue import Issue, Severity
from ._message import Alias, Group, Identify, Message, Page, Screen, Track
from ._normalize import Normalized, normalize
from ._parse import MAX_BATCH_BYTES, MAX_BATCH_ITEMS, MAX_MESSAGE_BYTES
from ._reply import Rejection
from ._sample import sample
from ._select import CALL_TYPES
from .exceptions import (
    InvalidMessage,
    SchemaError,
    SegmentSpecError,
    Unauthorized,
    UnknownSchemaName,
)

__all__ = [
    "CALL_TYPES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ITEMS",
    "MAX_MESSAGE_BYTES",
    "Alias",
    "Batch",
    "Event",
    "Group",
    "Identify",
    "InvalidMessage",
    "Issue",
    "Message",
    "Normalized",
    "Page",
    "Rejection",
    "SchemaError",
    "Screen",
    "SegmentSpecError",
    "Severity",
    "Track",
    "Unauthorized",
    "UnknownSchemaName",
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
