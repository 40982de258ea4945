"""The timestamp grammar: the fromisoformat fast path reads exactly what the grammar reads.

The grammar (segment_spec/_timestamps.py) is what docs/schemas.md gives other languages as the
``segment-timestamp`` format, so no shortcut may read more, or less, than it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment_spec import _timestamps

# Shapes Segment's senders use: each is mutated below, a few characters at a time.
SHAPES = [
    "2015-02-23T22:28:55.387Z",
    "2015-02-23T22:28:55Z",
    "2020-02-29T00:00:00+05:30",
    "2021-01-01T10:30:00.123456+00:00",
    "2021-01-01T10:30:00.123456789Z",
    "2021-01-01T10:30:00,5+01",
    "2021-01-01T10:30:00-0800",
]
ALPHABET = "0123456789-:.,+TtZz "


def _both(text: str) -> tuple[datetime | None, datetime | None]:
    return _timestamps._parse_string(text), _timestamps._parse_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "2020-02-29T00:00:00+05,0",  # a comma inside the offset
        "2020-02-29T00:00:00+05.3",
        "2021-01-01T10:00:00+00:60",  # 60 offset minutes, which fromisoformat reads as +01:00
        "2020-02-29T00:00:00.+05:30",  # a separator with no fraction digits
        "2021-01-01T10:30:00,+01",
        "2020-02-29T00:00:00z+05:30",  # Z and an offset
        "2015-02-23T22:28:55.12345678901Z",  # eleven fraction digits
    ],
)
def test_forms_only_fromisoformat_reads_are_no_dates(text: str) -> None:
    """Texts the C parser reads but the grammar refuses are not dates."""
    assert _both(text) == (None, None)


@st.composite
def _mutations(draw: st.DrawFn) -> str:
    text = list(draw(st.sampled_from(SHAPES)))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(text)))
        what = draw(st.sampled_from(ALPHABET))
        change = draw(st.sampled_from(["replace", "insert", "delete"]))
        if change == "insert" or not text:
            text.insert(where, what)
        elif change == "replace":
            text[min(where, len(text) - 1)] = what
        else:
            del text[min(where, len(text) - 1)]
    return "".join(text)


@settings(max_examples=1000)
@given(_mutations())
def test_fast_path_reads_what_the_grammar_reads(text: str) -> None:
    """On texts close to the usual shapes, both ways give the same date, or both none."""
    fast, slow = _both(text)
    assert fast == slow, text
    if fast is not None and slow is not None:
        assert fast.utcoffset() == slow.utcoffset()


_DATES = st.builds(
    "{:04d}-{:02d}-{:02d}".format,
    st.sampled_from([0, 1, 4, 100, 400, 1900, 1996, 2000, 2023, 2024, 2100, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
)
_TIMES = st.builds(
    "{}{:02d}:{:02d}{}".format,
    st.sampled_from("Tt x"),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from(["", ":00", ":59", ":60", ":30.5", ":30,123456789", ":30.1234567890", ":30."]),
)
_ZONES = st.sampled_from(["", "Z", "z", "+05:30", "-0800", "+23", "+24:00", "+05:60", "+5", "Zz"])
_TEXTS = st.one_of(
    _mutations(),
    _DATES,
    st.builds("{}{}{}{}".format, _DATES, _TIMES, _ZONES, st.sampled_from(["", "", "\n", " ", "x"])),
)


@settings(max_examples=3000)
@given(_TEXTS)
def test_the_schemas_pattern_is_the_grammar(text: str) -> None:
    """TIMESTAMP_PATTERN, as jsonschema-rs and Python's re read it, matches exactly the texts
    parse_timestamp reads as dates: the schemas carry the whole grammar and the calendar."""
    import re

    import jsonschema_rs

    expected = _timestamps.parse_timestamp(text) is not None
    engine = jsonschema_rs.validator_for({"pattern": _timestamps.TIMESTAMP_PATTERN})
    assert engine.is_valid(text) is expected, text
    assert (re.fullmatch(_timestamps.TIMESTAMP_PATTERN.strip("^$"), text) is not None) is expected


def test_every_timestamp_in_the_schemas_has_the_pattern() -> None:
    """Each part of the bundled schemas whose format is segment-timestamp states the grammar as
    its pattern, so that a validator without the format decides the same."""
    from segment_spec._schemas import store

    found = 0

    def walk(node: object) -> None:
        nonlocal found
        if isinstance(node, dict):
            if node.get("format") == "segment-timestamp":
                assert node.get("pattern") == _timestamps.TIMESTAMP_PATTERN
                found += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in store().paths:
        walk(store().by_path(path))
    assert found >= 5  # common.json's timestamp, the trial dates, the created_at traits
