"""Rough messages for the tests that hold two deciders to one answer: every call type, with ids,
timestamps, objects and texts of every kind, right and wrong, in snake_case."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from segment_spec import CALL_TYPES

ids = st.one_of(
    st.none(),
    st.just(""),
    st.just(" "),
    st.text(max_size=5),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),  # JSON holds neither
    st.booleans(),
    st.just({}),
    st.just([]),
)
times = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2015-02-23T22:28:55.387Z",
            "2021-01-01",
            "2020-01-15 14:57:24.898",
            "NOW",
            "",
            "2024-02-30T00:00:00Z",
            "2023-11-22T10:12:44.75705:30",
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
objects = st.one_of(
    st.none(),
    st.just({}),
    st.just([]),
    st.integers(),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.text(max_size=3),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.just([]),
    st.just({}),
    st.sampled_from(["2015-02-23T22:28:55.387Z", "2021-01-01", "NOW", "USD", "users", "none"]),
)

rough_messages: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"type": st.sampled_from(CALL_TYPES)},
    optional={
        "user_id": ids,
        "anonymous_id": ids,
        "previous_id": ids,
        "group_id": ids,
        "event": st.one_of(ids, st.sampled_from(["Order Completed", "order completed"])),
        "name": ids,
        "timestamp": times,
        "sent_at": times,
        "properties": objects,
        "traits": objects,
        "context": objects,
        "integrations": st.one_of(
            objects,
            st.dictionaries(
                st.sampled_from(["All", "Mixpanel"]),
                st.one_of(st.booleans(), st.just({}), st.integers()),
            ),
        ),
        "message_id": st.one_of(st.text(min_size=99, max_size=102), ids),
        "version": values,
        "channel": values,
    },
)
