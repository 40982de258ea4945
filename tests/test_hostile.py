"""The hostile catalogue (benchmarks/hostile.py): every body gets its answer, loses nothing, and
lists a bounded number of issues. (Its times are benchmarks/bench_hostile.py's business.)"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from segment_spec import Batch, Rejection, Track, check, check_batch
from segment_spec._issue import MAX_ISSUE_STEPS, MAX_ISSUES, Findings, Issue, issue_bounds
from segment_spec._select import Schemas

ROOT = Path(__file__).resolve().parents[1]


def _catalogue() -> Any:
    spec = importlib.util.spec_from_file_location("hostile", ROOT / "benchmarks" / "hostile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = module
    spec.loader.exec_module(module)
    return module


hostile = _catalogue()
CASES = {case.name: case for case in hostile.CATALOGUE}
MESSAGES = [case for case in hostile.CATALOGUE if case.kind == "message"]
BATCHES = [case for case in hostile.CATALOGUE if case.kind == "batch"]


def bounded(issues: tuple[Issue, ...], size: int) -> None:
    """At most what the stages list (normalize, validation, the event's properties), each
    within the bounds of a message of ``size`` bytes, and their summaries."""
    most, steps = issue_bounds(size)
    assert len(issues) <= 3 * (most + 1) + 4
    assert sum(len(issue.path) for issue in issues) <= 3 * (steps + MAX_ISSUE_STEPS // 4)


@pytest.mark.parametrize("case", MESSAGES, ids=lambda case: case.name)
@pytest.mark.parametrize("strict", [False, True], ids=["lax", "strict"])
def test_every_hostile_message_gets_its_answer(case: Any, strict: bool) -> None:
    body = case.build(random.Random(7))
    assert len(body) <= 32 * 1024
    result = check(body, strict=strict)
    bounded(result.issues, len(body))
    if isinstance(result, Rejection):
        assert result.status == 400
        assert len(result.body["message"]) < 2000


@pytest.mark.parametrize("case", BATCHES, ids=lambda case: case.name)
def test_every_hostile_batch_gets_its_answer(case: Any) -> None:
    body = case.build(random.Random(7))
    assert len(body) <= 500 * 1024
    result = check_batch(body)
    if isinstance(result, Batch):
        assert len(result.results) <= 2500
        for item in result.results:
            bounded(item.issues, 32 * 1024)


def test_collisions_at_every_level_keep_every_value_and_list_a_bounded_report() -> None:
    body = CASES["deep-collisions"].build(random.Random(1))
    message = check(body)
    assert isinstance(message, Track)
    # Every level kept its two keys: the snake one, and the other under its own spelling.
    level: Any = message.properties
    for _ in range(hostile.PARSER_DEPTH - 3):
        assert set(level) == {"a_b", "aB"}
        level = level["aB"]
    assert level == 1
    most, _ = issue_bounds(len(body))
    collisions = [issue for issue in message.issues if issue.keyword == "key-collision"]
    assert 0 < len(collisions) <= most
    assert collisions[0].path == ("properties", "aB")
    last = message.issues[-1]
    assert last.keyword == "more-issues"
    assert last.message.endswith("more keys that kept their original spelling are not listed")


def test_envelopes_too_large_to_merge_reject_each_item_alone() -> None:
    for name in ("batch-envelope-context", "batch-envelope-integrations"):
        result = check_batch(CASES[name].build(random.Random(1)))
        assert isinstance(result, Batch)
        assert len(result.results) == 2500
        assert all(
            isinstance(item, Rejection) and item.issues[0].keyword == "too-large"
            for item in result.results
        )


def test_an_envelope_context_within_the_limit_is_merged_into_each_item() -> None:
    result = check_batch(CASES["batch-envelope-context-own"].build(random.Random(1)))
    assert isinstance(result, Batch)
    accepted = [item for item in result.results if isinstance(item, Track)]
    assert accepted
    for item in accepted[:50]:
        assert item.context["ip"] == "8.8.8.8"
        assert len(item.context) == len(result.context) + 1


def test_errors_after_a_full_list_of_warnings_are_still_listed_and_decide() -> None:
    """Warnings that fill the list before the search reaches an error do not hide it."""
    integrations = {f"Destination {n}": "on" for n in range(300)}  # a warning each
    message = {**hostile.json.loads(hostile.typical_message()), "integrations": integrations}
    message["timestamp"] = "NOW"  # an error: not a date
    from segment_spec import normalize

    normalized = normalize(message).value
    report = Schemas().call("track").report(normalized, size=600)  # lists 10 at most
    assert report[0].is_error
    assert report[0].path == ("timestamp",)
    reply = check(message)
    assert isinstance(reply, Rejection)
    assert reply.issues[0].path == ("timestamp",)


def test_findings_count_what_they_do_not_keep() -> None:
    found = Findings(bounds=(2, 100))
    for n in range(5):
        found.add(("x", n), "type", "x must be a string")
    assert len(found) == 2
    assert found.omitted == 3
    assert found.omitted_errors
    listed = found.listed("issue", "issues")
    assert listed[-1] == Issue((), "more-issues", "3 more issues are not listed")
    assert issue_bounds(10**9)[0] <= MAX_ISSUES
