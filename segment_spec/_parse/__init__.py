"""Parse: bytes, JSON text or a parsed value into a JSON object, Segment's size limits first.

Sizes are checked on the raw bytes before any parsing, so an oversize body costs nothing to
refuse. A value the caller parsed already is read as the JSON it stands for (:mod:`.value`):
what comes out is always an owned value of exact JSON types, whatever came in.

Bytes and values get the same answer, with these documented differences:

* a body is measured as it is sent (whitespace and escapes count); a value as compact JSON;
* a body nested deeper than msgspec reads (about 990 levels, fewer when ``check`` is called
  from deep in the stack) is read again by orjson, which goes to 1,024 levels but reads
  integers beyond 64 bits as floats; such a body holding such an integer is refused, where the
  same value passed parsed is read;
* NaN, the infinities and numbers beyond a double's range are not JSON: a body holding one is
  refused as invalid JSON, and so is a value holding a float that is NaN or infinite. So are
  lone surrogates, in a body's escapes or in a value's strings.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
import orjson

from .._issue import Issue
from .value import BYTES_LIKE, MAX_DEPTH, describe_type, max_integer_digits, read_value

__all__ = [
    "BYTES_LIKE",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ITEMS",
    "MAX_DEPTH",
    "MAX_MESSAGE_BYTES",
    "decode",
    "describe_type",
    "not_an_object",
    "parse",
    "parse_body",
    "parse_sized",
    "read_value",
    "text_size",
]

# Segment's documented limits (segment-docs, HTTP API page): 32 KB per message, 500 KB per
# batch request, 2,500 messages per batch. KB is read as 1,024 bytes.
MAX_MESSAGE_BYTES = 32 * 1024
"""The largest message Segment sends, in bytes (32 KiB): a larger body is a 400."""
MAX_BATCH_BYTES = 500 * 1024
"""The largest HTTP API batch request, in bytes (500 KiB): ``check_batch`` refuses a larger
one with a 400."""
MAX_BATCH_ITEMS = 2500
"""The most messages one HTTP API batch may hold."""


def _too_large(size: int, limit: int, what: str) -> Issue:
    return Issue(
        (),
        "too-large",
        f"the {what} is {size:,} bytes; Segment's limit is {limit:,} bytes",
    )


def parse(
    data: object,
    *,
    limit: int = MAX_MESSAGE_BYTES,
    what: str = "message",
    low_memory: bool = False,
) -> dict[str, Any] | Issue:
    """Turn ``data`` (bytes, JSON text or a parsed value) into a JSON object the caller owns.

    Never raises: a problem comes back as an :class:`Issue` with keyword ``too-large``,
    ``invalid-json`` or ``not-an-object`` instead of the object.

    Bytes and text are read with msgspec first. ``low_memory`` changes only what reads a body
    msgspec refuses: the standard library instead of orjson, whose working buffers reach 16
    times the body on a 500 KB batch where msgspec and the standard library stay under 5 times
    (benchmarks/bench_check.py). Batches use it. Any other value is read by
    :func:`~.value.read_value`.
    """
    parsed = parse_sized(data, limit=limit, what=what, low_memory=low_memory)
    return parsed if isinstance(parsed, Issue) else parsed[0]


def parse_sized(
    data: object,
    *,
    limit: int = MAX_MESSAGE_BYTES,
    what: str = "message",
    low_memory: bool = False,
) -> tuple[dict[str, Any], int] | Issue:
    """:func:`parse`, with the size of ``data`` in bytes: as sent for bytes and text (in
    UTF-8), as compact JSON for a value."""
    value: Any
    # The exact-type test first: bytes is the usual request body, and the test is cheap.
    if type(data) is bytes or isinstance(data, BYTES_LIKE):
        raw = data if type(data) is bytes else bytes(data)
        size = len(raw)
        if size > limit:
            return _too_large(size, limit, what)
        value = decode(raw, low_memory)
    elif isinstance(data, str):
        text = data if type(data) is str else str.__str__(data)
        size = text_size(text)
        if size > limit:
            return _too_large(size, limit, what)
        value = decode(text, low_memory)
    else:
        read = read_value(data, limit=limit, what=what)
        if isinstance(read, Issue):
            return read
        value, size = read
    if type(value) is dict:
        return value, size
    return not_an_object(value, what)


def text_size(text: str) -> int:
    """The size of ``text`` in UTF-8, as it would be sent; a lone surrogate counts as the three
    bytes it would take, so text that is not valid Unicode is measured, not refused, here."""
    # isascii() reads a flag: only text with other characters is encoded to be measured.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def parse_body(raw: bytes | msgspec.Raw) -> dict[str, Any] | Issue:
    """:func:`parse` for the usual body: ``bytes`` (or a batch item's ``msgspec.Raw``) already
    known to be within the limit of one message. The same answer, without the tests of what
    ``data`` is and how large."""
    value = decode(raw)
    return value if type(value) is dict else not_an_object(value, "message")


def not_an_object(value: Any, what: str) -> Issue:
    """The issue of a read that gave ``value``, which is not an object (or is the issue); also
    that of a batch item that is a JSON value other than an object, a string included (an
    item is never JSON text to read)."""
    if isinstance(value, Issue):
        return value
    message = f"the {what} must be a JSON object, not {describe_type(value)}"
    return Issue((), "not-an-object", message)


def decode(text: bytes | msgspec.Raw | str, low_memory: bool = False) -> Any:
    """Read one JSON text of any size into a value (integers exact), or the :class:`Issue`
    that says why it is not JSON. A ``msgspec.Raw`` is read as the bytes it holds."""
    try:
        return _DECODE(text)
    # Both are named: msgspec.DecodeError is not a ValueError in every supported release.
    except (msgspec.DecodeError, ValueError, RecursionError):
        if type(text) is msgspec.Raw:  # the rereaders take bytes
            text = bytes(text)
        if text.startswith(_BOM) if isinstance(text, bytes) else text.startswith("\ufeff"):
            detail = "it starts with a byte order mark (U+FEFF), which JSON sent over HTTP must not"
            return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")
        return _reread_low_memory(text) if low_memory else _reread(text)


# U+FEFF in UTF-8: RFC 8259 forbids it before a JSON text sent over a network.
_BOM = b"\xef\xbb\xbf"


# msgspec reads every integer exactly and is the fastest parser here, so it reads first. On its
# rare refusals orjson, which accepts the same grammar, reads again: either to say where the
# body is broken (its messages are the ones this module turns into issues) or to read a body
# nested deeper than msgspec goes. orjson reads integers beyond 64 bits as floats, losing
# digits; the standard library keeps them exact, so a body with a run of 19+ digits is then read
# by it. The run is found by mapping every digit to "1" and everything else to "0".
_DECODE = msgspec.json.Decoder().decode
_ENCODE = msgspec.json.Encoder().encode
_DIGIT_MAP = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x30 for byte in range(256))
_LONG_RUN = b"1" * 19


def _reread(raw: bytes | str) -> Any:
    """Read a body msgspec refused with orjson: its issue, or the value when only msgspec's
    depth limit was in the way."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return _decode_error(raw, error)
    encoded = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    if _LONG_RUN in encoded.translate(_DIGIT_MAP):
        # Valid JSON for orjson, so valid for json too (same grammar, same UTF-8 rule). Only a
        # nesting deeper than the interpreter's stack stops it: orjson's reading may then have
        # lost digits, and a clear 400 is better than a changed number.
        try:
            value = json.loads(raw)
        except (RecursionError, ValueError):
            detail = "it nests too deeply to read its long numbers exactly"
            return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")
    return value


class _NotANumber(ValueError):
    """A number the standard library reads that JSON does not have (NaN, infinity, 1e999)."""


def _finite(text: str) -> float:
    number = float(text)
    if number in (math.inf, -math.inf):
        raise _NotANumber("a number is too large to represent")
    return number


def _refuse_constant(text: str) -> float:
    raise _NotANumber("it holds NaN or Infinity, which JSON does not allow")


def _reread_low_memory(raw: bytes | str) -> Any:
    """Read a body msgspec refused with the standard library's parser held to the same rules:
    UTF-8 only, no NaN or Infinity, no number too large for a double, no lone surrogate;
    integers are exact."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return Issue((), "invalid-json", "the body is not valid JSON (it is not valid UTF-8)")
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
        # The standard library reads a lone surrogate (an escape such as \ud800, or such a
        # character in text) where msgspec and orjson refuse one; msgspec's writer refuses it
        # too, anywhere in the value, keys included. This is the rare path: msgspec refused.
        _ENCODE(value)
        return value
    except UnicodeEncodeError:
        detail = "it holds a lone surrogate, which is not valid Unicode"
    except json.JSONDecodeError as error:
        if error.pos >= len(text) or not text.strip():
            detail = "it ends before the JSON value is complete"
        else:
            detail = f"line {error.lineno}, column {error.colno}"
    except RecursionError:
        detail = "it nests too deeply"
    except _NotANumber as error:
        detail = str(error)
    except ValueError:  # an integer past the interpreter's limit on digits
        detail = f"a number has more than {max_integer_digits():,} digits"
    return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")


def _decode_error(raw: bytes | str, error: orjson.JSONDecodeError) -> Issue:
    # Say where, never what: the position is safe to show, the text around it is not.
    reason = str(error)
    if "UTF-8" in reason and isinstance(raw, bytes):
        detail = "it is not valid UTF-8"
    elif "surrogate" in reason:  # an escape such as \ud800, or such a character in text
        detail = "it holds a lone surrogate, which is not valid Unicode"
    elif "recursion" in reason:
        detail = f"it nests deeper than {MAX_DEPTH:,} levels"
    elif "infinity" in reason:
        detail = "a number is too large to represent"
    elif error.pos >= len(raw) or not raw.strip():
        detail = "it ends before the JSON value is complete"
    else:
        detail = f"line {error.lineno}, column {error.colno}"
    return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")
