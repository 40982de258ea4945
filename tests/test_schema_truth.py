"""The bundled schemas are the whole truth: Python jsonschema decides as ``check`` does.

With the schemas as they ship, ``jsonschema``'s ``Draft202012Validator`` with ``REGISTRY`` and
``FORMAT_CHECKER`` on the normalized message (the call's schema, and a spec event's schema on
``properties``) accepts exactly what ``check(..., strict=True)`` accepts, and on the lenient
forms (``schema(name, lenient=True)``) exactly what ``check(...)`` accepts. The only rules
outside the schemas come before them, and
docs/schemas.md lists them: the size limits and JSON itself, the keys (collisions and empty keys
after snake_case), and the choice of the schema by ``type`` and by event name (a call type or a
spec event name in another letter case is read with a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import orjson
import pytest
from conftest import FIXTURES, shared_path
from generated import ids, rough_messages, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import validator

from segment_spec import (
    CALL_TYPES,
    FORMAT_CHECKER,
    REGISTRY,
    Rejection,
    check,
    events,
    normalize,
    schema,
)
from segment_spec._catalog import resolve_event
from segment_spec.testing import invalid_messages, messages


@cache
def _lenient(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema(name, lenient=True), registry=REGISTRY, format_checker=FORMAT_CHECKER
    )


def _by_schemas(value: Any, lenient: bool) -> bool | None:
    """What the schemas say of a message, strict (``lenient=False``) or lax: True (accepted),
    False (rejected), or None when a rule that comes before the schemas decides (documented in
    docs/schemas.md)."""
    if not isinstance(value, dict):
        return None
    normalized = normalize(value)
    if normalized.issues and not lenient:  # a key collision or an empty key: a warning
        return None
    message = normalized.value
    kind = message.get("type")
    if kind not in CALL_TYPES:  # no type, another call type, or one in another letter case
        return None
    call = _lenient(kind) if lenient else validator(f"{kind}.json")
    accepted = call.is_valid(message)
    name = message.get("event")
    if kind == "track" and isinstance(name, str):
        event, exact = resolve_event(name)
        if event is not None:
            if not exact and not lenient:  # the event in another letter case: a warning
                return None
            properties = message.get("properties")
            if isinstance(properties, dict):
                rules = _lenient(event.name) if lenient else validator(event.schema_path)
                accepted = accepted and rules.is_valid(properties)
    return accepted


def _agree(value: Any) -> bool:
    """Hold check() to the lenient schemas' answer and check(strict=True) to the schemas';
    True when the schemas decided in strict mode."""
    decided = False
    for lenient in (True, False):
        expected = _by_schemas(value, lenient)
        if expected is None:
            continue
        result = check(value, strict=not lenient)
        if len(json.dumps(value)) > 32 * 1024:  # the size limit comes first
            assert isinstance(result, Rejection)
            continue
        accepted = not isinstance(result, Rejection)
        assert accepted == expected, (lenient, expected, result.issues, value)
        decided = decided or not lenient
    return decided


def _lines(path: Any) -> Iterator[Any]:
    for line in path.read_bytes().splitlines():
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict) and isinstance(value.get("batch"), list):
            yield from value["batch"]
        else:
            yield value


def test_check_is_the_schemas_on_the_real_corpus() -> None:
    """Every real payload: check() and check(strict=True) accept what jsonschema does."""
    decided = sum(
        _agree(value)
        for path in sorted(shared_path("corpus", "real").glob("*.ndjson"))
        for value in _lines(path)
    )
    assert decided > 5000


def test_check_is_the_schemas_on_the_spec_examples() -> None:
    """Every example payload of the spec's pages agrees with jsonschema."""
    decided = 0
    for path in sorted(shared_path("corpus", "spec-examples").glob("*.json")):
        value = orjson.loads(path.read_bytes())
        items = value["batch"] if isinstance(value, dict) and "batch" in value else [value]
        decided += sum(_agree(item) for item in items)
    assert decided >= 40  # the others are fragments (traits, context) or choose no schema


def test_check_is_the_schemas_on_the_project_fixtures() -> None:
    """The project's own fixtures agree with jsonschema (they hold each rule's cases)."""
    decided = sum(
        _agree(value) for path in sorted(FIXTURES.glob("*.ndjson")) for value in _lines(path)
    )
    assert decided > 0


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_check_is_the_schemas_on_the_testing_kit(data: st.DataObject) -> None:
    """The kit's valid messages and each of its broken ones agree with jsonschema."""
    _agree(data.draw(messages()))
    case = data.draw(invalid_messages())
    _agree(case.message)


@pytest.mark.parametrize("event", events(), ids=lambda event: event.name)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_check_is_the_schemas_for_every_event(event: Any, data: st.DataObject) -> None:
    """For every spec event: properties drawn from its schema's names, with values of every
    type, agree with jsonschema on the event's schema and the track schema."""
    schema = validator(event.schema_path).schema
    names = sorted(schema.get("properties", {}))
    properties = data.draw(
        st.dictionaries(st.sampled_from(names), values, max_size=4) if names else st.just({})
    )
    message = {"type": "track", "event": event.name, "user_id": data.draw(ids)}
    message["properties"] = properties
    _agree(message)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(rough_messages)
def test_check_is_the_schemas_on_generated_messages(message: dict[str, Any]) -> None:
    """Messages with every kind of id, timestamp, object and text agree with jsonschema."""
    _agree(message)
