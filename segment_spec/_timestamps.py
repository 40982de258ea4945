"""Timestamps: the ISO-8601 forms Segment's senders actually use, read into aware datetimes.

Accepted (seen in Segment's libraries and in the real corpus):

* a date and a time separated by ``T``, ``t`` or one space: ``2015-02-23T22:28:55.387Z``;
* seconds optional, a fraction of 1 to 9 digits (digits past microseconds are cut, not rounded);
* a zone ``Z``/``z``, ``+HH:MM``, ``+HHMM`` or ``+HH``, or none: a time without a zone is UTC;
* a date alone, ``2021-01-01``: midnight UTC;
* a JSON number: Unix epoch milliseconds, what JavaScript's ``Date.now()`` gives (this is
  reported as a warning, ``timestamp-number``, because the spec asks for strings).

Anything else (``"NOW"``, ``"2015-2-02T00:30:08Z"``, ``"2017"``, a month 13, digits other than
ASCII ``0``-``9``) is not a date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = [
    "TIMESTAMP_FIELDS",
    "TIMESTAMP_PATTERN",
    "RecentTimestamps",
    "is_timestamp",
    "parse_timestamp",
]

TIMESTAMP_FIELDS = ("timestamp", "sent_at", "received_at", "original_timestamp")

# ASCII digits only: ``\d`` would take any Unicode digit ("٢٠١٥" for 2015).
_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?"
)
# The grammar and the calendar as one regular expression, for the schemas' ``pattern``: a year
# from 0001, each month's days (29 February in leap years: every fourth year but the
# centuries not divisible by 400), hours to 23, minutes and seconds to 59, offsets to 23:59.
# It reads exactly the texts parse_timestamp reads (tests/test_timestamps.py holds them to
# each other), and every engine reads it alike: ASCII classes, no lookaround, no \d or \s.
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_DATE = (
    f"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    f"|{_LEAP_YEAR}-02-29)"
)
_TIME = (
    "[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
)
TIMESTAMP_PATTERN = f"^{_DATE}(?:{_TIME})?$"
"""The ``pattern`` of a timestamp text in the bundled schemas: exactly the texts that are dates.

(Python's ``re.search`` also lets ``$`` match before a final newline; the ``segment-timestamp``
format refuses that text, and so do the other engines' ``$``.)
"""

# The longest text the grammar reads: a date, a time with nine fraction digits, an offset.
_LONGEST = len("2015-02-23T22:28:55.123456789+05:30")

# datetime only reaches year 9999; epoch milliseconds beyond that are not dates.
_MAX_EPOCH_MS = 253_402_300_799_999
_MIN_EPOCH_MS = -62_135_596_800_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _zone(sign: str, hours: str, minutes: str) -> timezone | None:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        return None
    offset = timedelta(hours=h, minutes=m)
    return timezone(-offset if sign == "-" else offset)


def _parse_text(text: str) -> datetime | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _z, sign, zh, zm = match.groups()
    tz: timezone | None = UTC
    if sign is not None:
        tz = _zone(sign, zh, zm or "00")
        if tz is None:
            return None
    micro = int((fraction + "00000")[:6]) if fraction else 0
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        return None


# The shapes Segment's libraries send, by length, with a "T" and fixed separators: for them the
# C parser datetime.fromisoformat reads exactly what the grammar above reads, five times faster
# than the regular expression. (It also reads forms the grammar refuses, such as "20210101",
# "2021-01-01T12", "...:00.+05:30" or an offset "+00:60" read as "+01:00", which is why it is
# only used for these shapes, and only when what follows the seconds is the grammar's.)
_FAST_LENGTHS = frozenset({19, 20, 23, 24, 25, 26, 27, 29, 32})
_FAST_TAIL = re.compile(r"(?:[.,][0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}(?::?[0-5][0-9])?)?")
_UNSEEN: Any = object()


def _grammar_tail(text: str) -> bool:
    """Whether what follows the seconds is a fraction and a zone as the grammar has them."""
    if len(text) == 19:
        return True
    fraction = text[20:-1]  # between the separator and a final Z: 1 to 9 digits
    if text[-1] in "Zz" and (
        len(text) == 20
        or (text[19] in ".," and len(fraction) <= 9 and fraction.isascii() and fraction.isdigit())
    ):
        return True  # the usual UTC forms, without the regular expression
    return _FAST_TAIL.fullmatch(text, 19) is not None


def _parse_string(text: str) -> datetime | None:
    if len(text) > _LONGEST:  # not a date
        return None
    if (
        len(text) in _FAST_LENGTHS
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == "T"
        and text[13] == ":"
        and text[16] == ":"
        and _grammar_tail(text)
    ):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return _parse_text(text)


def parse_timestamp(value: object) -> datetime | None:
    """Read a timestamp into an aware datetime, or return None when it is not a date.

    >>> parse_timestamp("2015-02-23T22:28:55.387Z").isoformat()
    '2015-02-23T22:28:55.387000+00:00'
    >>> parse_timestamp("2020-01-15 14:57:24.898").tzname()
    'UTC'
    >>> parse_timestamp(1675692865495).isoformat()
    '2023-02-06T14:14:25.495000+00:00'
    >>> parse_timestamp("NOW") is None
    True
    """
    if isinstance(value, str):
        return _parse_string(value)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or not _MIN_EPOCH_MS <= value <= _MAX_EPOCH_MS:
        return None
    return _EPOCH + timedelta(milliseconds=value)


def is_timestamp(value: object) -> bool:
    """True when :func:`parse_timestamp` reads ``value`` as a date."""
    return parse_timestamp(value) is not None


class RecentTimestamps:
    """:func:`parse_timestamp` with a memo of the texts read lately, so that a checker reads a
    timestamp its traffic repeats once. A cache: bounded (it starts over when full), and no
    result depends on it. A :class:`~segment_spec.Checker` owns one; safe to share between
    threads.

    >>> recent = RecentTimestamps()
    >>> recent.parse("2015-02-23T22:28:55Z") is recent.parse("2015-02-23T22:28:55Z")
    True
    """

    __slots__ = ("texts",)

    SIZE = 4096

    def __init__(self) -> None:
        #: The texts read, and what each was read as (None: not a date). The compiled core
        #: reads it directly; it is cleared in place when full, never replaced.
        self.texts: dict[str, datetime | None] = {}

    def parse(self, value: object) -> datetime | None:
        """:func:`parse_timestamp`, from the memo when the text was read lately."""
        if type(value) is str:
            found: datetime | None = self.texts.get(value, _UNSEEN)
            return self._read(value) if found is _UNSEEN else found
        return parse_timestamp(value)

    def _read(self, text: str) -> datetime | None:
        parsed = _parse_string(text)
        if len(text) <= _LONGEST:  # a longer text is not a date: not worth a place
            texts = self.texts
            if len(texts) >= self.SIZE:
                texts.clear()
            texts[text] = parsed
        return parsed
