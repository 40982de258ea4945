"""Parse: bytes or JSON text into a Python value, with Segment's size limits checked first.

Sizes are checked on the raw bytes before any parsing, so an oversize body costs nothing to
refuse. An already-parsed mapping is taken as it is (its size cannot be known without
serializing it, which would cost more than the check is worth).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import msgspec
import orjson

from ._issue import Issue
from ._validate import describe_type

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ITEMS",
    "MAX_MESSAGE_BYTES",
    "approximate_size",
    "parse",
]

# Segment's documented limits (segment-docs, HTTP API page): 32 KB per message, 500 KB per
# batch request, 2,500 messages per batch. KB is read as 1,024 bytes.
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_ITEMS = 2500


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
) -> Mapping[str, Any] | Issue:
    """Turn ``data`` (bytes, JSON text or a parsed value) into a JSON object.

    Never raises: a problem comes back as an :class:`Issue` with keyword ``too-large``,
    ``invalid-json`` or ``not-an-object`` instead of the object.

    Both ways read with msgspec first. ``low_memory`` changes only what reads a body msgspec
    refuses: the standard library instead of orjson, whose working buffers reach 16 times the
    body on a 500 KB batch where msgspec and the standard library stay under 5 times
    (benchmarks/bench_check.py). Batches use it.
    """
    value: Any
    text: bytes | str | None
    # The exact-type test first: bytes is the usual request body, and the test is cheap.
    if type(data) is bytes or isinstance(data, bytes | bytearray | memoryview):
        raw = data if type(data) is bytes else bytes(data)
        if len(raw) > limit:
            return _too_large(len(raw), limit, what)
        text = raw
    elif isinstance(data, str):
        text = data
        # A character is at most 4 UTF-8 bytes: encode only when the text might be too long.
        if len(data) * 4 > limit:
            size = len(data.encode("utf-8", "surrogatepass"))
            if size > limit:
                return _too_large(size, limit, what)
    else:
        text = None
        value = data
    if text is not None:
        try:
            value = _DECODE(text)
        # Both are named: msgspec.DecodeError is not a ValueError in every supported release.
        except (msgspec.DecodeError, ValueError, RecursionError):
            value = _reread_low_memory(text) if low_memory else _reread(text)
    if type(value) is dict or isinstance(value, Mapping | Issue):
        return value
    message = f"the {what} must be a JSON object, not {describe_type(value)}"
    return Issue((), "not-an-object", message)


# msgspec reads every integer exactly and is the fastest parser here, so it reads first. On its
# rare refusals orjson, which accepts the same grammar, reads again: either to say where the
# body is broken (its messages are the ones this module turns into issues) or to read a body
# nested deeper than msgspec goes. orjson reads integers beyond 64 bits as floats, losing
# digits; the standard library keeps them exact, so a body with a run of 19+ digits is then read
# by it. The run is found by mapping every digit to "1" and everything else to "0".
_DECODE = msgspec.json.Decoder().decode
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
        except RecursionError:
            detail = "it nests too deeply to read its long numbers exactly"
            return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")
    return value


def _finite(text: str) -> float:
    number = float(text)
    if number in (math.inf, -math.inf):
        raise ValueError("a number is too large to represent")
    return number


def _refuse_constant(text: str) -> float:
    raise ValueError(f"{text} is not JSON")


def _reread_low_memory(raw: bytes | str) -> Any:
    """Read a body msgspec refused with the standard library's parser held to the same rules:
    UTF-8 only, no NaN or Infinity, no number too large for a double; integers are exact."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return Issue((), "invalid-json", "the body is not valid JSON (it is not valid UTF-8)")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        if error.pos >= len(text) or not text.strip():
            detail = "it ends before the JSON value is complete"
        else:
            detail = f"line {error.lineno}, column {error.colno}"
    except RecursionError:
        detail = "it nests too deeply"
    except ValueError as error:
        if "too large" in str(error):
            detail = "a number is too large to represent"
        else:
            detail = "it holds NaN or Infinity, which JSON does not allow"
    return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")


def _decode_error(raw: bytes | str, error: orjson.JSONDecodeError) -> Issue:
    # Say where, never what: the position is safe to show, the text around it is not.
    reason = str(error)
    if "UTF-8" in reason or "surrogates" in reason:
        detail = "it is not valid UTF-8"
    elif "recursion" in reason:
        detail = "it nests deeper than 1,024 levels"
    elif "infinity" in reason:
        detail = "a number is too large to represent"
    elif error.pos >= len(raw) or not raw.strip():
        detail = "it ends before the JSON value is complete"
    else:
        detail = f"line {error.lineno}, column {error.colno}"
    return Issue((), "invalid-json", f"the body is not valid JSON ({detail})")


def approximate_size(value: Any) -> int:
    """The size of ``value`` as compact JSON, in bytes (exact unless orjson cannot encode it).

    Used for the 32 KiB limit of each batch item. orjson refuses very deep or non-JSON values;
    those are then measured by an iterative walk that counts strings without escapes.
    """
    try:
        return len(orjson.dumps(value))
    except (orjson.JSONEncodeError, TypeError):
        pass
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            total += 2 + max(len(item) - 1, 0)
            for key, sub in item.items():
                total += len(str(key).encode("utf-8", "surrogatepass")) + 3
                stack.append(sub)
        elif isinstance(item, list | tuple):
            total += 2 + max(len(item) - 1, 0)
            stack.extend(item)
        elif isinstance(item, str):
            total += len(item.encode("utf-8", "surrogatepass")) + 2
        else:
            total += len(str(item))
    return total
