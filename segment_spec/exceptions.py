"""Exceptions: everything segment_spec raises derives from :class:`SegmentSpecError`.

The tree (builtin bases in brackets, so ``except ValueError`` keeps working where it did)::

    SegmentSpecError
    ├── InvalidMessage [ValueError]
    ├── SchemaError [ValueError]
    ├── Unauthorized [ValueError]
    ├── UnknownSchemaName [LookupError]
    ├── SchedulerUnreachable [ConnectionError]
    ├── ClusterNotReady [RuntimeError]
    └── Refusal
        ├── Reject
        ├── Forbidden
        └── Unavailable

``check()`` itself never raises: it returns a :class:`~segment_spec.Rejection`. The exceptions
are for the functions that raise by design (``validate``, ``api_key``, ``schema``) and for a
schema that cannot be used, and for a Dask scheduler that cannot be reached
(:mod:`segment_spec.dask`). Arguments of the wrong type still raise ``TypeError`` or
``ValueError``, as in the standard library.

The :class:`Refusal` family is raised by a :class:`~segment_spec.Destination`'s handlers, not by
the package: each says which reply Segment gets (400, 403 or 503; ``Unauthorized`` gives a
401).

>>> from segment_spec.exceptions import SegmentSpecError, UnknownSchemaName
>>> issubclass(UnknownSchemaName, SegmentSpecError) and issubclass(UnknownSchemaName, LookupError)
True
"""

from __future__ import annotations

from ._issue import Issue
from ._reply import Rejection, reject

__all__ = [
    "ClusterNotReady",
    "Forbidden",
    "InvalidMessage",
    "Refusal",
    "Reject",
    "SchedulerUnreachable",
    "SchemaError",
    "SegmentSpecError",
    "Unauthorized",
    "Unavailable",
    "UnknownSchemaName",
]


class SegmentSpecError(Exception):
    """The base class of every exception segment_spec raises.

    >>> from segment_spec import SegmentSpecError, validate
    >>> try:
    ...     validate({"type": "track"})
    ... except SegmentSpecError as error:
    ...     print(type(error).__name__)
    InvalidMessage
    """


class InvalidMessage(SegmentSpecError, ValueError):
    """Raised by :func:`~segment_spec.validate` for a message that
    :func:`~segment_spec.check` would reject.

    Attributes:
        rejection: The :class:`~segment_spec.Rejection` (status, body, issues) to reply with.
    """

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(str(rejection))
        self.rejection = rejection


class SchemaError(SegmentSpecError, ValueError):
    """A bundled schema or a schema given to the package is not usable (a keyword or form the
    package does not implement, an ``$id`` that does not match its file, ...)."""


class Unauthorized(SegmentSpecError, ValueError):
    """The Authorization header carries no usable API key.

    Attributes:
        rejection: A 401 :class:`~segment_spec.Rejection` whose body says what is wrong with
            the header (never what it contained).
    """

    def __init__(self, reason: str) -> None:
        issue = Issue(("Authorization",), "unauthorized", reason)
        self.rejection: Rejection = reject([issue], status=401)
        super().__init__(reason)


class UnknownSchemaName(SegmentSpecError, LookupError):
    """:func:`~segment_spec.schema` (or :func:`~segment_spec.sample`) was asked for a name it
    does not know.

    Attributes:
        name: The name asked for.
        suggestions: The nearest known names, best first (may be empty).
    """

    def __init__(
        self,
        name: str,
        suggestions: tuple[str, ...],
        *,
        looked_for: str = "call type, semantic event or bundled schema",
    ) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"no {looked_for} is named {name!r}{hint}")


class SchedulerUnreachable(SegmentSpecError, ConnectionError):
    """:func:`segment_spec.dask.connect` (``segment-spec validate --scheduler``) could not reach
    the Dask scheduler in time.

    Attributes:
        address: The scheduler's address, as given.
        timeout: The seconds it waited.

    >>> str(SchedulerUnreachable("tcp://10.0.0.5:8786", 10.0))
    'cannot reach the Dask scheduler at tcp://10.0.0.5:8786 within 10 s'
    """

    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        super().__init__(f"cannot reach the Dask scheduler at {address} within {timeout:g} s")


class ClusterNotReady(SegmentSpecError, RuntimeError):
    """The Dask cluster cannot run the checks (:mod:`segment_spec.dask`): no worker joined in
    time, or a worker cannot import segment_spec or runs another version of it.

    Attributes:
        reason: What is wrong, in words (a worker's address, never a message's value).

    >>> str(ClusterNotReady("no worker joined within 10 s"))
    'the Dask cluster cannot run the checks: no worker joined within 10 s'
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the Dask cluster cannot run the checks: {reason}")


class Refusal(SegmentSpecError):
    """A handler's refusal of a message: raise a subclass, and the destination answers Segment
    with its :attr:`status` and ``{"message": message}``.

    Attributes:
        status: The HTTP status of the reply.
        message: The text of the reply's body, shown in Segment's debugger: say what is wrong,
            and do not repeat the customer's data in it.
    """

    status: int = 400

    def __init__(self, message: str) -> None:
        if not isinstance(message, str) or not message.strip():
            raise TypeError(f"{type(self).__name__} needs a non-empty message (a str)")
        super().__init__(message)
        self.message = message


class Reject(Refusal):
    """The message is at fault (400): Segment does not send it again.

    >>> Reject("an email address is required").status
    400
    """

    status = 400


class Forbidden(Refusal):
    """The API key is valid but may not do this (403).

    >>> Forbidden("this plan does not include group calls").status
    403
    """

    status = 403


class Unavailable(Refusal):
    """The destination cannot take messages now (503): Segment retries later, so nothing is
    lost.

    >>> Unavailable("down for maintenance").status
    503
    """

    status = 503
