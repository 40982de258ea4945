"""The engine (jsonschema-rs) agrees with the reference Python jsonschema validator.

``Compiled.ok`` (jsonschema-rs's ``is_valid``: nothing to report) must equal ``jsonschema``'s
``is_valid`` on the same normalized message, and the report must be empty exactly then, for
every call schema, over the real corpus and generated messages. The pipeline's first check
(``ok``, then the four timestamps read as dates) must decide the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from conftest import FIXTURES, shared_path
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import validator

from segment_spec import normalize
from segment_spec._message import read_timestamps
from segment_spec._select import CALL_TYPES, Schemas

# The schemas under test, compiled by a checker's own engine.
SCHEMAS = Schemas()


def _agree(message: Any, exact: bool = False) -> None:
    call = message.get("type")
    if call not in CALL_TYPES:
        return
    compiled = SCHEMAS.call(call)
    fast = compiled.ok(message)
    slow = validator(f"{call}.json").is_valid(message)
    assert fast == slow, (fast, slow, message)
    # The check the pipeline runs first: the engine, then the dates read by read_timestamps().
    clean = fast and read_timestamps(message) is not None
    assert slow or not clean, ("the one-pass check accepted what the reference refuses", message)
    if exact:
        assert clean == slow, ("the one-pass check refused a clean message", message)
    # A message has something to report exactly when the report is not empty.
    found = compiled.report(message, ())
    assert fast == (not found), (found, message)


def _messages(path: Path) -> list[Any]:
    found = []
    for line in path.read_bytes().splitlines():
        value = orjson.loads(line)
        items = value["batch"] if isinstance(value, dict) and "batch" in value else [value]
        found.extend(normalize(item).value for item in items if isinstance(item, dict))
    return found


def test_agree_on_the_real_corpus() -> None:
    count = 0
    for path in sorted(shared_path("corpus", "real").glob("*.ndjson")):
        for message in _messages(path):
            _agree(message, exact=True)
            count += 1
    assert count > 5000


def test_agree_on_project_fixtures() -> None:
    for path in sorted(FIXTURES.glob("*.ndjson")):
        for message in _messages(path):
            _agree(message, exact=True)


_ids = st.one_of(
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
_times = st.one_of(
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
    st.text(max_size=8),
)
_objects = st.one_of(
    st.none(),
    st.just({}),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.text(max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries(
        {"type": st.sampled_from(CALL_TYPES)},
        optional={
            "user_id": _ids,
            "anonymous_id": _ids,
            "previous_id": _ids,
            "group_id": _ids,
            "event": _ids,
            "name": _ids,
            "timestamp": _times,
            "sent_at": _times,
            "properties": _objects,
            "traits": _objects,
            "context": _objects,
            "integrations": st.one_of(
                _objects,
                st.dictionaries(
                    st.sampled_from(["All", "Mixpanel"]),
                    st.one_of(st.booleans(), st.just({}), st.integers()),
                ),
            ),
            "message_id": st.one_of(st.text(min_size=99, max_size=102), _ids),
        },
    )
)
def test_agree_on_generated_messages(message: dict[str, Any]) -> None:
    _agree(message)


def test_event_schemas_agree_on_the_real_corpus() -> None:
    from segment_spec._catalog import resolve_event

    checked = 0
    for path in sorted(shared_path("corpus", "real").glob("*.ndjson")):
        for message in _messages(path):
            name = message.get("event")
            properties = message.get("properties")
            if not isinstance(name, str) or not isinstance(properties, dict):
                continue
            event, _ = resolve_event(name)
            if event is None:
                continue
            compiled = SCHEMAS.event(event)
            fast = compiled.ok(properties)
            # The one-pass check of a track naming the event: clean exactly when both are.
            if message.get("type") == "track":
                spec = SCHEMAS.spec_track(event.name)
                assert spec is not None
                fused = spec[1]
                both = fast and SCHEMAS.call("track").ok(message)
                clean = fused(message) and read_timestamps(message) is not None
                assert clean == both, message
            assert fast == validator(event.schema_path).is_valid(properties), properties
            found = compiled.report(properties, ())
            assert fast == (not found), (found, properties)
            checked += 1
    assert checked > 1000


def test_agree_on_the_spec_examples() -> None:
    count = 0
    for path in sorted(shared_path("corpus", "spec-examples").glob("*.json")):
        value = orjson.loads(path.read_bytes())
        if not isinstance(value, dict):
            continue
        items = value["batch"] if isinstance(value.get("batch"), list) else [value]
        for item in items:
            if isinstance(item, dict):
                _agree(normalize(item).value)
                count += 1
    assert count >= 140


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_agree_on_the_testing_kit_messages(data: st.DataObject) -> None:
    from segment_spec.testing import invalid_messages, messages

    _agree(normalize(data.draw(messages())).value)
    case = data.draw(invalid_messages())
    if isinstance(case.message, dict):
        _agree(normalize(case.message).value)
