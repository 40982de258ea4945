"""Authorization: the user's API key from Segment's ``Authorization: Basic`` header.

Segment sends ``Basic base64("<api key>:")``: the key as the user name and an empty password,
the colon always present (partner guide: ``Basic c2VnbWVudDo=`` carries the key ``segment``).
"""

from __future__ import annotations

import binascii
import hmac
from base64 import b64decode

from ._issue import Issue
from ._reply import Rejection, reject

__all__ = ["Unauthorized", "api_key", "keys_match"]


class Unauthorized(ValueError):
    """The Authorization header carries no usable API key.

    Attributes:
        rejection: A 401 :class:`Rejection` whose body says what is wrong with the header
            (never what it contained).
    """

    def __init__(self, reason: str) -> None:
        issue = Issue(("Authorization",), "unauthorized", reason)
        self.rejection: Rejection = reject([issue], status=401)
        super().__init__(reason)


def api_key(header: str | bytes | None) -> str:
    """Return the API key from an ``Authorization`` header value.

    Raises :class:`Unauthorized` (with a 401 ``.rejection``) when the header is missing, is not
    Basic, is not base64, has no colon, or carries an empty key.

    >>> api_key("Basic c2VnbWVudDo=")
    'segment'
    """
    if header is None:
        raise Unauthorized("the Authorization header is missing")
    if isinstance(header, bytes):
        try:
            header = header.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            raise Unauthorized("the Authorization header is not text") from None
    if not isinstance(header, str):
        raise Unauthorized("the Authorization header is not text")
    # Any whitespace may separate the scheme from the credentials (a tab too, not only a space).
    scheme, *rest = header.split(None, 1) or [""]
    credentials = rest[0] if rest else ""
    if not scheme:
        raise Unauthorized("the Authorization header is empty")
    if scheme.lower() != "basic":
        raise Unauthorized("the Authorization header must use the Basic scheme")
    try:
        decoded = b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthorized("the Basic credentials are not valid base64 of UTF-8 text") from None
    key, colon, _password = decoded.partition(":")
    if not colon:
        raise Unauthorized("the Basic credentials must be '<api key>:' (the colon is missing)")
    if not key.strip():
        raise Unauthorized("the API key in the Authorization header is empty")
    return key


def keys_match(given: str, expected: str) -> bool:
    """Compare an API key with the expected one in constant time (no timing leak).

    >>> keys_match(api_key("Basic c2VnbWVudDo="), "segment")
    True
    """
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
