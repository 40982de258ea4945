"""Every example of Segment's spec pages, through the library itself.

../shared/corpus/spec-examples/INDEX.md gives each file's kind. Whole messages go through
``check``; property and trait fragments through the compiled schema of their event or of the
reserved fields. Every example that does not come out clean is listed in DECISIONS, with the
outcome pinned: each is a deliberate choice written down in docs/spec-decisions.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from segment_spec import Batch, Rejection, check, check_batch, normalize
from segment_spec._catalog import resolve_event
from segment_spec._schemas import BASE_URI
from segment_spec._select import Schemas
from segment_spec._validate import Engine

# One engine for this file's checks (a checker owns its own).
ENGINE = Engine.bundled()

_LINE = re.compile(r"^- `(?P<file>[^`]+)` — .*? — (?P<kind>[^—]+?)(?: — |$)")
_EVENT = re.compile(r'event "(?P<event>[^"]+)"')


@dataclass(frozen=True)
class Example:
    file: str
    kind: str
    event: str | None
    value: Any


def _examples() -> list[Example]:
    folder = shared_path("corpus", "spec-examples")
    found = []
    for line in (folder / "INDEX.md").read_text("utf-8").splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        event = _EVENT.search(line)
        found.append(
            Example(
                match["file"],
                match["kind"].strip(),
                event["event"] if event else None,
                json.loads((folder / match["file"]).read_text("utf-8")),
            )
        )
    assert len(found) == 146
    return found


# file -> the deliberate outcome (see docs/spec-decisions.md, "Spec examples through check").
DECISIONS: dict[str, tuple[int, str, tuple[str | int, ...]]] = {
    # The HTTP API page's batch example writes "2015-2-02T00:30:08.276Z" (month not
    # zero-padded): not ISO-8601, so those two items are 400s naming timestamp.
    "batch-http-api.json": (400, "format", ("timestamp",)),
}
# "message (most common fields omitted)": the docs drop the ids to keep the example short; a
# message without user_id or anonymous_id is a 400 whatever the docs page, as in Segment's API.
OMITTED_IDS = 400, "identity", ()
# Legacy-format messages use "action" instead of "type" (migration-guide.md), and per-endpoint
# HTTP API bodies and library-call arguments carry no "type" at all (the endpoint or method
# implies it). A destination always receives "type", so each is a 400 naming type. Their
# properties are still checked against their event below.
LEGACY_FORMAT = 400, "required", ("type",)


def _outcome(reply: Rejection) -> tuple[int, str, tuple[str | int, ...]]:
    first = reply.issues[0]
    return reply.status, first.keyword, first.path


def _messages() -> list[Example]:
    return [e for e in _examples() if not e.kind.startswith("fragment")]


def test_whole_messages_are_clean_or_a_documented_decision() -> None:
    for example in _messages():
        value = example.value
        if "batch" in value:
            result = check_batch(value)
            assert isinstance(result, Batch)
            rejected = [r for r in result.results if isinstance(r, Rejection)]
            assert {_outcome(r) for r in rejected} == {DECISIONS[example.file]}
            assert all(not m.issues for m in result.messages)
            continue
        reply = check(value)
        if example.kind.startswith("legacy-format") or "type" not in value:
            assert isinstance(reply, Rejection)
            assert _outcome(reply) == LEGACY_FORMAT, example.file
        elif "omitted" in example.kind and not ({"userId", "anonymousId"} & set(value)):
            assert isinstance(reply, Rejection)
            assert _outcome(reply) == OMITTED_IDS, example.file
        else:
            assert not isinstance(reply, Rejection), (example.file, str(reply))
            assert reply.issues == (), (example.file, reply.issues)


def _properties_of(example: Example) -> Any:
    value = example.value
    if example.kind.startswith("fragment"):
        return normalize(value).value
    return normalize(value.get("properties", {})).value


def test_event_properties_match_their_event() -> None:
    schemas = Schemas()
    checked = 0
    for example in _examples():
        if example.event is None or "traits" in example.kind:
            continue
        event, exact = resolve_event(example.event)
        if event is None:
            continue  # custom events of the common pages ("Course Clicked", ...)
        assert exact, example.file
        validator = schemas.event(event)
        properties = _properties_of(example)
        found = validator.report(properties, ("properties",))
        assert found == [], (example.file, found)
        checked += 1
    assert checked >= 100


@pytest.mark.parametrize(
    ("kind", "schema"),
    [
        ("traits object of analytics.identify", "reserved/identify-traits.json"),
        ("traits object, 2nd argument of analytics.identify", "reserved/identify-traits.json"),
        ("traits object, only argument of analytics.identify", "reserved/identify-traits.json"),
        ("traits object, 2nd argument of analytics.group", "reserved/group-traits.json"),
        ("properties object of analytics.page", "reserved/page-properties.json"),
        ("integrations object", "common.json#/$defs/integrations"),
    ],
)
def test_trait_and_other_fragments_match_reserved_fields(kind: str, schema: str) -> None:
    validator = ENGINE.compile(BASE_URI + schema)
    fragments = [e for e in _examples() if e.kind == f"fragment ({kind})"]
    assert fragments
    for example in fragments:
        value = example.value if "integrations" in kind else normalize(example.value).value
        found = validator.report(value, ())
        assert found == [], (example.file, found)


def test_decisions_are_written_down() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "spec-decisions.md").read_text()
    for name in [*DECISIONS, "legacy-format", "most common fields omitted", "no `type`"]:
        assert name in text, name
