"""Authorization: the user's API key from Segment's ``Authorization: Basic`` header.

Segment sends ``Basic base64("<api key>:")``: the key as the user name and an empty password,
the colon always present (partner guide: ``Basic c2VnbWVudDo=`` carries the key ``segment``).
"""

from __future__ import annotations

import binascii
import hmac
import re
from base64 import b64decode

from .exceptions import Unauthorized

__all__ = ["Unauthorized", "api_key", "keys_match"]

# RFC 9110's token (the scheme) and RFC 7235's token68 (the credentials), ASCII only.
_SCHEME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def api_key(header: str | bytes | None) -> str:
    """Return the API key from an ``Authorization`` header value.

    The value must be the scheme ``Basic`` (in any letter case), one or more spaces, then the
    base64 of ``"<api key>:<password>"`` (RFC 7235 and RFC 7617); spaces, tabs and line ends
    around the whole value are ignored, as HTTP parsers trim them.

    Raises :class:`Unauthorized` (with a 401 ``.rejection``) when the header is missing, is not
    Basic, separates the scheme from the credentials with anything but spaces, is not base64,
    has no colon, or carries an empty key.

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
    # RFC 7235: the scheme, one or more spaces, the credentials (RFC 7617: base64, a token68).
    # Whitespace around the whole value is what HTTP parsers trim; no other separator counts.
    value = str.__str__(header).strip(" \t\r\n")
    if not value:
        raise Unauthorized("the Authorization header is empty")
    found = _SCHEME.match(value)
    scheme = found.group() if found else ""
    if scheme.lower() != "basic":
        raise Unauthorized("the Authorization header must use the Basic scheme")
    rest = value[len(scheme) :]
    if not rest:
        raise Unauthorized("the Authorization header has no credentials after Basic")
    if not rest.startswith(" "):
        raise Unauthorized("the Basic scheme must be followed by a space, then the credentials")
    credentials = rest.lstrip(" ")
    if not _TOKEN68.fullmatch(credentials):
        raise Unauthorized("the Basic credentials are not valid base64 of UTF-8 text")
    try:
        decoded = b64decode(credentials, validate=True).decode("utf-8")
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
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
