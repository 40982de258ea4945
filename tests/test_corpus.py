"""Real data: Segment-format payloads from Segment's libraries, docs and other systems.

Reads ../shared/corpus/real (skipped in a lone clone; tests/test_check.py covers every rule with
the project's own fixtures). INDEX.md there describes the files; invalid-candidates.tsv lists the
lines that break the spec, with the rule each breaks.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from conftest import shared_path

from segment_spec import Rejection, check, check_batch
from segment_spec._message import Message

# Whole-message files only: quirks, ajs-calls and fragments files are not whole messages.
_NOT_WHOLE = (".quirks.", ".ajs-calls.", ".fragments.")

# Unlisted lines that are nevertheless rejected, each a deliberate decision (docs/error-model.md,
# "Corpus decisions"): the 32 KiB limit, and a Go template whose timestamps were never filled in.
DELIBERATE = {
    ("rudder-transformer.ndjson", 128, ""): ("too-large", ()),
    ("rudder-transformer.ndjson", 1470, ""): ("too-large", ()),
    ("rudder-transformer.ndjson", 1471, ""): ("too-large", ()),
    ("rudder-server.ndjson", 1, ""): ("format", ("original_timestamp",)),
    ("rudder-server.batch.ndjson", 1, "batch[0]"): ("format", ("original_timestamp",)),
}

# What the body must name for each rule the issue lists.
NAMED_FIELD = {
    "no userId and no anonymousId": "user_id or anonymous_id",
    "track without event": "event",
    "group without groupId": "group_id",
    "no type field": "type",
    "alias without previousId": "previous_id",
    "alias without userId": "user_id",
    "track event not a string": "event",
}

# Timestamp rules are ours to decide: these listed values are real dates in RFC 3339 forms
# (lowercase "t", a space before an offset) and are accepted; every other listed value is a 400.
ACCEPTED_TIMESTAMPS = {"2024-05-07 17:27:28-00:00", "2020-01-24t11:59:02.402+05:30"}

Key = tuple[str, int, str]


def _corpus() -> Path:
    return shared_path("corpus", "real")


def _listed() -> dict[Key, list[dict[str, str]]]:
    rows: dict[Key, list[dict[str, str]]] = defaultdict(list)
    with (_corpus() / "invalid-candidates.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows[(row["corpus_file"], int(row["line"]), row["batch_item"])].append(row)
    return rows


def _results(path: Path) -> Iterator[tuple[Key, Message | Rejection]]:
    batch = ".batch." in path.name
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not batch:
                yield (path.name, number, ""), check(line)
                continue
            result = check_batch(line)
            assert not isinstance(result, Rejection), (path.name, number, result)
            for index, item in enumerate(result.results):
                yield (path.name, number, f"batch[{index}]"), item


def _whole_message_files() -> list[Path]:
    return sorted(p for p in _corpus().glob("*.ndjson") if not any(k in p.name for k in _NOT_WHOLE))


def test_every_unlisted_whole_message_is_accepted() -> None:
    listed = _listed()
    accepted = 0
    wrongly_rejected = []
    deliberate = {}
    for path in _whole_message_files():
        for key, result in _results(path):
            if key in listed:
                continue
            if isinstance(result, Rejection):
                if key in DELIBERATE:
                    deliberate[key] = result
                else:
                    wrongly_rejected.append((key, str(result)))
            else:
                accepted += 1
    assert wrongly_rejected == []
    assert set(deliberate) == set(DELIBERATE)
    for key, reply in deliberate.items():
        keyword, path = DELIBERATE[key]
        assert reply.status == 400
        assert (reply.issues[0].keyword, reply.issues[0].path) == (keyword, path)
    # 3,704 whole messages + 347 batch items, less the listed ones and the deliberate five.
    assert accepted > 3600


def test_listed_rule_breakers_are_rejected_naming_the_field() -> None:
    listed = _listed()
    checked = defaultdict(int)
    by_file: dict[str, list[Key]] = defaultdict(list)
    for key, rows in listed.items():
        if any(row["rule"].startswith(tuple(NAMED_FIELD)) for row in rows):
            by_file[key[0]].append(key)
    for name, keys in by_file.items():
        wanted = set(keys)
        for key, result in _results(_corpus() / name):
            if key not in wanted:
                continue
            assert isinstance(result, Rejection), key
            assert result.status == 400, key
            for row in listed[key]:
                rule = next((r for r in NAMED_FIELD if row["rule"].startswith(r)), None)
                if rule is None:
                    continue
                assert NAMED_FIELD[rule] in result.body["message"], (key, result.body)
                checked[rule] += 1
    # Every rule the issue names occurs in the corpus and was checked.
    assert set(checked) == set(NAMED_FIELD)
    assert sum(checked.values()) >= 400


def test_listed_timestamps_are_rejected_naming_the_field_unless_real_dates() -> None:
    listed = _listed()
    fields = {
        "timestamp": "timestamp",
        "sentAt": "sent_at",
        "receivedAt": "received_at",
        "originalTimestamp": "original_timestamp",
    }
    wanted: dict[str, set[Key]] = defaultdict(set)
    for key, rows in listed.items():
        if any(" not a parseable ISO-8601 string" in row["rule"] for row in rows):
            wanted[key[0]].add(key)
    seen = 0
    for name, keys in wanted.items():
        for key, result in _results(_corpus() / name):
            if key not in keys:
                continue
            for row in listed[key]:
                field = row["rule"].split(" ")[0]
                if field not in fields:
                    continue
                seen += 1
                value = row["detail"].strip("'")
                if value in ACCEPTED_TIMESTAMPS:
                    continue
                assert isinstance(result, Rejection), key
                assert any(
                    i.path == (fields[field],) and i.keyword == "format" for i in result.issues
                ), key
    assert seen == 66


def test_call_type_quirks() -> None:
    listed = _listed()
    outcomes = defaultdict(list)
    for key, rows in listed.items():
        for row in rows:
            if row["rule"] in ("type not lowercase", "type outside the six calls"):
                outcomes[row["rule"]].append(key)
    results = {}
    for name in {key[0] for keys in outcomes.values() for key in keys}:
        for key, result in _results(_corpus() / name):
            results[key] = result
    for key in outcomes["type not lowercase"]:
        result = results[key]
        issues = result.issues
        assert any(i.keyword == "type-case" for i in issues), key
    for key in outcomes["type outside the six calls"]:
        result = results[key]
        assert isinstance(result, Rejection)
        assert result.status == 501


def test_one_bad_batch_item_never_costs_the_others() -> None:
    # segment-docs' HTTP API example: the last two of its four calls have a bad date.
    path = _corpus() / "segment-docs.batch.ndjson"
    mixed = 0
    with path.open("rb") as handle:
        for line in handle:
            result = check_batch(line)
            assert not isinstance(result, Rejection)
            if result.rejections and result.messages:
                mixed += 1
    assert mixed == 1
    assert [type(r).__name__ for r in result.results] == [
        "Identify",
        "Track",
        "Rejection",
        "Rejection",
    ]
