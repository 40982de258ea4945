"""The engine (jsonschema-rs) agrees with the reference Python jsonschema validator.

``Compiled.ok`` (jsonschema-rs's ``is_valid``: nothing to report) must equal ``jsonschema``'s
``is_valid`` on the same normalized message, and the report must be empty exactly then, for
every call schema, over the real corpus and generated messages. The pipeline's first check
(``ok``, then the four timestamps read as dates) must decide the same, and the listing the
pipeline makes (``Schemas.report``: the identity rule on the ids alone) must list what the whole
call schema lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import FIXTURES, shared_path
from generated import rough_messages
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import validator

from segment_spec import Issue, normalize
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
    _same_report(message)
    if "user_id" in message or "anonymous_id" in message:
        _same_report({k: v for k, v in message.items() if k not in ("user_id", "anonymous_id")})


def _same_report(message: dict[str, Any]) -> None:
    """The listing check uses (the identity rule shown the ids alone, the rest of the call's
    schema the message) lists what the call's whole schema lists, within any bounds.

    Two differences are allowed, both in the listing's favour. Where a bounded view of a large
    value found no issue of the rest of the schema, the listing knows there is none (the rest
    is checked on the whole value), so it never says that more may be found where the whole
    schema's does. Where the list is cut at its bounds, the identity rule's issue is listed
    first (jsonschema-rs reaches it at its own place among the whole schema's errors), so the
    issues kept may differ: they are still issues of the message, and no more of them.
    """
    call = message["type"]
    whole = SCHEMAS.call(call)
    everything = whole.report(message)
    for size in (None, 0, len(json.dumps(message))):
        parted = SCHEMAS.report(call, message, size)
        alone = whole.report(message, size=size)
        assert _notes(parted) <= _notes(alone), (message, size, parted, alone)
        if not any("not listed" in note for note in _notes(alone)):
            assert _plain(parted) == _plain(alone), (message, size, parted, alone)
            continue
        assert len(parted) <= len(alone), (message, size, parted, alone)
        if not _notes(everything):
            assert set(_plain(parted)) <= set(everything), (message, size, parted)


def _plain(found: list[Issue]) -> list[Issue]:
    return [issue for issue in found if issue.keyword != "more-issues"]


def _notes(found: list[Issue]) -> set[str]:
    return {issue.message for issue in found if issue.keyword == "more-issues"}


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


@settings(max_examples=400)
@given(rough_messages)
def test_agree_on_generated_messages(message: dict[str, Any]) -> None:
    _agree(message)


@pytest.mark.parametrize("call", [call for call in CALL_TYPES if call != "alias"])
@pytest.mark.parametrize("size", [None, 0])
def test_a_listing_cut_at_its_bounds_keeps_the_identity_error(call: str, size: int | None) -> None:
    # Forty external ids that each miss four members: 160 warnings, more than the bounds of
    # any message (10 for a small one, 100 at most), and, without an id, an error.
    message = {"type": call, "context": {"external_ids": [{}] * 40}}
    found = SCHEMAS.report(call, message, size)
    # Every error is listed, the warnings filling the rest: the identity rule's, and the
    # call's own required member (track's event, group's group_id).
    required = {"track": {("required", ("event",))}, "group": {("required", ("group_id",))}}
    errors = {(issue.keyword, issue.path) for issue in found if issue.is_error}
    assert errors == {("identity", ()), *required.get(call, ())}
    assert found[-1].keyword == "more-issues"
    assert "not listed" in found[-1].message
    assert len(found) <= (10 if size == 0 else 100) + 1
    _same_report(message)


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
                fused = SCHEMAS.track(event)
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


@settings(max_examples=150)
@given(st.data())
def test_agree_on_the_testing_kit_messages(data: st.DataObject) -> None:
    from segment_spec.testing import invalid_messages, messages

    _agree(normalize(data.draw(messages())).value)
    case = data.draw(invalid_messages())
    if isinstance(case.message, dict):
        _agree(normalize(case.message).value)
