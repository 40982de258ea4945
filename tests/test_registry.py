"""The schema package: REGISTRY, FORMAT_CHECKER and schema(), used as a jsonschema user would.

Messages are validated in their normalized (snake_case) form, ``normalize(raw).value``, the
form Segment forwards and the schemas describe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import orjson
import pytest
from conftest import FIXTURES, shared_path
from hypothesis import given
from hypothesis import strategies as st
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

import segment_spec
from segment_spec import (
    CALL_TYPES,
    FORMAT_CHECKER,
    REGISTRY,
    Rejection,
    UnknownSchemaName,
    check,
    events,
    normalize,
    schema,
)
from segment_spec._catalog import resolve_event
from segment_spec._schemas import BASE_URI, LENIENT_BASE_URI, store
from segment_spec._timestamps import parse_timestamp

ROOT = Path(__file__).resolve().parents[1]
ON_DISK = sorted(
    p.relative_to(ROOT / "schemas").as_posix() for p in (ROOT / "schemas").rglob("*.json")
)
NAMES = sorted(path.removesuffix(".json") for path in ON_DISK)
SIGNED_UP = {"type": "track", "event": "Signed Up", "userId": "u1"}

# check() rules that come before the schema, or that no schema states (docs/schemas.md): where
# the schemas and check() disagree on a real message, one of these is why.
OUTSIDE_THE_SCHEMA = frozenset(
    {"too-large", "key-collision", "empty-key", "type-case", "event-case"}
)
# Keywords that only arrange what the others say.
REPORTING = frozenset({"more-issues"})


def _validator(name: str, lenient: bool = False) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema(name, lenient=lenient), registry=REGISTRY, format_checker=FORMAT_CHECKER
    )


@cache
def _cached(name: str, lenient: bool) -> jsonschema.Draft202012Validator:
    return _validator(name, lenient)


def schemas_accept(message: dict[str, Any], lenient: bool) -> bool | None:
    """What the schemas alone say of a normalized message: its call's schema and, for a track
    that names a semantic event, the event's schema on its properties. None when the message
    names no call (the call is chosen before any schema)."""
    call = message.get("type")
    if call not in CALL_TYPES:
        return None
    accepted = _cached(call, lenient).is_valid(message)
    name, properties = message.get("event"), message.get("properties")
    if call == "track" and isinstance(name, str) and isinstance(properties, dict):
        event = resolve_event(name)[0]
        if event is not None:
            accepted = accepted and _cached(event.name, lenient).is_valid(properties)
    return accepted


def _items(path: Path) -> Iterator[Any]:
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        value = orjson.loads(line)
        batch = value.get("batch") if isinstance(value, dict) else None
        yield from batch if isinstance(batch, list) else [value]


def _assert_agreement(paths: list[Path]) -> int:
    """The schemas and check() agree on every message of ``paths`` (lenient and lax, strict and
    strict), but for the rules outside the schemas; returns how many verdicts were compared."""
    compared = 0
    for path in paths:
        for raw in _items(path):
            if not isinstance(raw, dict):
                continue
            message = normalize(raw).value
            for strict in (False, True):
                by_schema = schemas_accept(message, lenient=not strict)
                if by_schema is None:
                    continue
                result = check(raw, strict=strict)
                compared += 1
                if by_schema == (not isinstance(result, Rejection)):
                    continue
                why = {issue.keyword for issue in result.issues} - REPORTING
                assert by_schema, ("the schemas reject what check accepts", strict, raw)
                assert why <= OUTSIDE_THE_SCHEMA, (why, strict, raw)
    return compared


# -- REGISTRY -------------------------------------------------------------------------------


def test_registry_holds_every_bundled_file_and_its_lenient_form() -> None:
    """REGISTRY has one resource per file under schemas/, by $id, and one per lenient form."""
    assert sorted(store().paths) == ON_DISK
    expected = {BASE_URI + path for path in ON_DISK} | {LENIENT_BASE_URI + p for p in ON_DISK}
    assert set(REGISTRY) == expected
    assert len(REGISTRY) == 2 * len(ON_DISK)


@pytest.mark.parametrize("path", ON_DISK)
def test_registry_documents_are_the_files(path: str) -> None:
    """Each file is in REGISTRY as it is on disk, beside its lenient form, both draft 2020-12."""
    on_disk = json.loads((ROOT / "schemas" / path).read_text("utf-8"))
    # Resources compare by their contents and their specification.
    assert REGISTRY[BASE_URI + path] == DRAFT202012.create_resource(on_disk)
    lenient = REGISTRY[LENIENT_BASE_URI + path]
    assert lenient == DRAFT202012.create_resource(store().lenient(path))
    assert lenient.contents["$id"] == LENIENT_BASE_URI + path


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
@pytest.mark.parametrize("path", ON_DISK)
def test_every_bundled_schema_passes_the_2020_12_meta_schema(path: str, lenient: bool) -> None:
    """Each document in REGISTRY, strict and lenient, is a valid draft 2020-12 schema."""
    base = LENIENT_BASE_URI if lenient else BASE_URI
    jsonschema.Draft202012Validator.check_schema(REGISTRY[base + path].contents)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.mark.parametrize("path", ON_DISK)
def test_lenient_references_stay_among_the_lenient_forms(path: str) -> None:
    """Every $ref of a lenient document resolves in REGISTRY, to another lenient document."""
    base = LENIENT_BASE_URI + path
    resolver = REGISTRY.resolver(base_uri=base)
    for ref in _refs(REGISTRY[base].contents):
        assert urljoin(base, ref).startswith(LENIENT_BASE_URI), ref
        assert resolver.lookup(ref).contents is not None


def test_registry_fetches_nothing() -> None:
    """A reference outside the bundled schemas is unresolvable: nothing is ever retrieved."""
    with pytest.raises(Unresolvable):
        REGISTRY.resolver().lookup("https://json-schema.org/draft/2020-12/schema")
    with pytest.raises(Unresolvable):
        REGISTRY.resolver().lookup(BASE_URI + "no-such-schema.json")


def test_registry_and_format_checker_are_made_once() -> None:
    """Each is one object, made the first time it is asked for."""
    assert segment_spec.REGISTRY is segment_spec.REGISTRY
    assert segment_spec.FORMAT_CHECKER is segment_spec.FORMAT_CHECKER
    with pytest.raises(AttributeError, match="no attribute 'NO_SUCH_NAME'"):
        _ = segment_spec.NO_SUCH_NAME  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_schema() -> None:
    """import segment_spec neither reads the schemas nor imports jsonschema; dir() lists both
    lazy names all the same."""
    program = (
        "import sys, segment_spec\n"
        "from segment_spec._schemas import store\n"
        "assert store.cache_info().currsize == 0, 'schemas loaded'\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported'\n"
        "assert {'REGISTRY', 'FORMAT_CHECKER'} <= set(dir(segment_spec))\n"
        "segment_spec.REGISTRY\n"
        "assert store.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True)


def test_registry_copies_are_its_own() -> None:
    """Changing a document taken from REGISTRY changes neither schema() nor check()."""
    contents = REGISTRY[BASE_URI + "track.json"].contents
    assert contents is not store().by_path("track.json")
    assert REGISTRY[LENIENT_BASE_URI + "track.json"].contents is not store().lenient("track.json")


# What the documented rule keeps of a warning part: the keywords that never reject a value.
KEPT = {"$anchor", "$comment", "$defs", "$dynamicAnchor", "$id", "$schema", "$vocabulary"}
KEPT |= {"default", "deprecated", "description", "examples", "readOnly", "title", "writeOnly"}
SUBSCHEMAS = {"additionalProperties", "items", "contains", "not", "if", "then", "else"}
SUBSCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
SUBSCHEMA_MAPS = {"properties", "patternProperties", "$defs", "dependentSchemas"}


def _compare(
    strict: Any, lenient: Any, where: str, warning_parts: list[str], warning: bool = False
) -> None:
    """Walk a strict document and its lenient form side by side, noting the warning parts."""
    if not isinstance(strict, dict):
        assert lenient == strict, where
        return
    if warning or strict.get("x-severity") == "warning":
        kept = {k: v for k, v in strict.items() if (k in KEPT or k.startswith("x-")) and k != "$id"}
        assert {k: v for k, v in lenient.items() if k != "$id"} == kept, where
        warning_parts.append(where)
        return
    assert set(lenient) == set(strict), where
    for key, value in strict.items():
        if key in SUBSCHEMAS:
            _compare(value, lenient[key], f"{where}/{key}", warning_parts)
        elif key in SUBSCHEMA_LISTS:
            for index, item in enumerate(value):
                _compare(item, lenient[key][index], f"{where}/{key}/{index}", warning_parts)
        elif key in SUBSCHEMA_MAPS:
            for name, item in value.items():
                _compare(item, lenient[key][name], f"{where}/{key}/{name}", warning_parts)
        elif key != "$id":
            assert lenient[key] == value, f"{where}/{key}"


@pytest.mark.parametrize("path", ON_DISK)
def test_lenient_form_drops_exactly_the_warning_parts(path: str) -> None:
    """The lenient form differs from the schema only where check() warns: each part marked
    x-severity: warning, and an event's schema as a whole, keep only what never rejects."""
    strict, lenient = store().by_path(path), schema(path.removesuffix(".json"), lenient=True)
    is_event = path.count("/") == 2 and path.startswith("events/")
    warning_parts: list[str] = []
    # An event's schema is read by check() only as warnings: its root is a warning part.
    _compare(strict, lenient, path, warning_parts, warning=is_event)
    assert lenient["$id"] == LENIENT_BASE_URI + path
    marked = json.dumps(strict).count('"x-severity": "warning"')
    assert len(warning_parts) == (1 if is_event else marked), warning_parts
    if is_event:
        assert _validator(path.removesuffix(".json"), lenient=True).is_valid("anything")


# -- FORMAT_CHECKER -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "conforms"),
    [
        ("2015-02-23T22:28:55.387Z", True),
        ("2020-01-15 14:57:24.898", True),  # a space, no zone: UTC
        ("2021-01-01", True),  # a date alone: midnight UTC
        ("2024-05-07t17:27:28+0530", True),
        ("2015-02-23T22:28:55.123456789Z", True),  # nine fraction digits
        (1675692865495, True),  # Unix epoch milliseconds
        (1.5e12, True),
        ("NOW", False),
        ("2015-2-02T00:30:08Z", False),
        ("2017", False),
        ("2021-13-01", False),
        ("2015-02-23T22:28:55.1234567891Z", False),  # ten fraction digits
        (10**16, False),  # past the year 9999
        (True, True),  # not a number: format says nothing of booleans
        (None, True),
        ({"at": "NOW"}, True),
        (["NOW"], True),
    ],
)
def test_segment_timestamp_format(value: Any, conforms: bool) -> None:
    """segment-timestamp reads strings with the library's grammar and numbers as epoch ms."""
    assert FORMAT_CHECKER.conforms(value, "segment-timestamp") is conforms


@given(
    st.one_of(
        st.text(alphabet="0123456789-:.,+TtZz ", max_size=36),
        st.integers(-(10**15), 10**15),
        st.floats(allow_nan=False),
    )
)
def test_segment_timestamp_is_the_library_grammar(value: str | int | float) -> None:
    """The format accepts exactly what the library reads as a date."""
    expected = parse_timestamp(value) is not None
    assert FORMAT_CHECKER.conforms(value, "segment-timestamp") is expected


def test_format_checker_keeps_jsonschema_formats() -> None:
    """Every format jsonschema checks here is still checked, beside segment-timestamp."""
    usual = set(jsonschema.FormatChecker().checkers)
    assert set(FORMAT_CHECKER.checkers) == usual | {"segment-timestamp"}
    assert not FORMAT_CHECKER.conforms("256.1.1.1", "ipv4")


# -- validating messages --------------------------------------------------------------------


def test_track_schema_validates_the_project_fixtures() -> None:
    """On every fixture message, the schemas give check()'s verdicts, lax and strict."""
    assert _assert_agreement(sorted(FIXTURES.glob("*.ndjson"))) > 20


def test_track_schema_validates_the_real_corpus() -> None:
    """On every real message, the schemas give check()'s verdicts, but for the rules outside
    them (sizes, raw keys, letter case)."""
    paths = sorted(shared_path("corpus", "real").glob("*.ndjson"))
    assert _assert_agreement(paths) > 10_000


def test_a_timestamp_that_is_no_date_is_rejected() -> None:
    """ "timestamp": "NOW" fails the track schema, strict and lenient, as check rejects it."""
    message = normalize({**SIGNED_UP, "timestamp": "NOW"}).value
    for lenient in (False, True):
        errors = list(_validator("track", lenient).iter_errors(message))
        found = sorted((e.validator, list(e.absolute_path)) for e in errors)
        assert found == [("format", ["timestamp"]), ("pattern", ["timestamp"])]
    assert isinstance(check(message), Rejection)
    assert _validator("track").is_valid(normalize({**SIGNED_UP, "timestamp": "2021-01-01"}).value)


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"context": 5}, "context"),
        ({"messageId": "m" * 200}, "message_id"),
        ({"integrations": {"All": 1}}, "integrations"),
        ({"properties": "text"}, "properties"),
        ({"anonymousId": ["a"]}, "anonymous_id"),
    ],
)
def test_lenient_schema_accepts_a_warning_the_strict_one_rejects(
    extra: dict[str, Any], where: str
) -> None:
    """A deviation check() only warns about passes the lenient schema, fails the strict one."""
    message = normalize({**SIGNED_UP, **extra}).value
    assert _validator("track", lenient=True).is_valid(message)
    errors = list(_validator("track").iter_errors(message))
    assert errors
    assert {e.absolute_path[0] if e.absolute_path else None for e in errors} == {where}
    result = check({**SIGNED_UP, **extra})
    assert not isinstance(result, Rejection)
    assert result.issues
    assert isinstance(check({**SIGNED_UP, **extra}, strict=True), Rejection)


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_both_forms_reject_what_check_rejects(lenient: bool) -> None:
    """A track without event, or without any id, fails the strict and the lenient schema."""
    validator = _validator("track", lenient)
    assert not validator.is_valid(normalize({"type": "track", "userId": "u1"}).value)
    assert not validator.is_valid({"type": "track", "event": "E"})
    assert not validator.is_valid({"type": "track", "event": "  ", "user_id": "u"})
    assert not _validator("alias", lenient).is_valid({"type": "alias", "user_id": "u"})


def test_lenient_event_schema_accepts_any_properties() -> None:
    """check() only warns about a semantic event's properties: the lenient schema accepts any."""
    strict = _validator("Order Completed")
    lenient = _validator("Order Completed", lenient=True)
    for properties in ({"revenue": "12.00"}, {"products": "none"}, "text", 5, None):
        assert not strict.is_valid(properties)
        assert lenient.is_valid(properties)
    assert strict.is_valid({"revenue": 12.0, "products": [{"price": 3}]})
    raw = {**SIGNED_UP, "event": "Order Completed", "properties": {"revenue": "12.00"}}
    assert not isinstance(check(raw), Rejection)
    assert isinstance(check(raw, strict=True), Rejection)


def test_the_batch_envelope() -> None:
    """The batch schema resolves its references too, and its context is a warning part."""
    envelope = {"batch": [], "context": 5, "sent_at": "2021-01-01T00:00:00Z"}
    assert _validator("batch", lenient=True).is_valid(envelope)
    assert not _validator("batch").is_valid(envelope)
    assert not _validator("batch", lenient=True).is_valid({"batch": [], "sent_at": "NOW"})


# -- schema() -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_schema_knows_every_bundled_file_by_its_path(name: str) -> None:
    """schema() gives every file under schemas/ by its path without .json, strict or lenient."""
    path = f"{name}.json"
    assert schema(name) == store().by_path(path)
    assert schema(name, lenient=True) == store().lenient(path)
    assert schema(name, lenient=True)["$id"] == LENIENT_BASE_URI + path


def test_schema_knows_calls_and_events_by_name() -> None:
    """Call types, event names and legacy names give the same documents as their paths."""
    for call in CALL_TYPES:
        assert schema(call) == store().by_path(f"{call}.json")
    for event in events():
        by_path = schema(event.schema_path.removesuffix(".json"))
        for name in (event.name, *event.legacy_names):
            assert schema(name) == by_path
            assert schema(name, lenient=True) == schema(event.schema_path[:-5], lenient=True)


def test_schema_gives_fresh_copies() -> None:
    """Each call returns a new document: changing it changes no later result, nor check()."""
    for lenient in (False, True):
        first = schema("common", lenient=lenient)
        first["$defs"].clear()
        assert schema("common", lenient=lenient)["$defs"]
        assert schema("common", lenient=lenient) is not schema("common", lenient=lenient)
    track = schema("track")
    track["required"].append("nothing")
    assert not isinstance(check(SIGNED_UP), Rejection)
    assert REGISTRY[BASE_URI + "track.json"].contents["required"] == ["type", "event"]


@pytest.mark.parametrize(
    ("asked", "first"),
    [
        ("comon", "common"),
        ("reserved/contxt", "reserved/context"),
        ("error_body", "error-body"),
        ("Order Complete", "Order Completed"),
        ("trak", "track"),
    ],
)
def test_unknown_names_suggest_the_nearest(asked: str, first: str) -> None:
    """An unknown name raises UnknownSchemaName with the nearest of all names first."""
    with pytest.raises(UnknownSchemaName) as raised:
        schema(asked)
    assert raised.value.name == asked
    assert raised.value.suggestions[0] == first
    assert f"did you mean {first!r}" in str(raised.value)


def test_paths_need_no_extension_and_are_exact() -> None:
    """A path is named without .json and in its own letter case."""
    for asked in ("common.json", "Common", "schemas/common", "reserved"):
        with pytest.raises(UnknownSchemaName):
            schema(asked)


def test_sample_and_the_testing_kit_keep_to_message_names() -> None:
    """sample() and the testing kit take call types and events only, not the other schemas."""
    from segment_spec.testing import messages

    for name in ("common", "reserved/context", "events/ecommerce/order-completed"):
        with pytest.raises(UnknownSchemaName, match="no call type or semantic event is named"):
            segment_spec.sample(name)
        with pytest.raises(UnknownSchemaName):
            messages(event=name)
