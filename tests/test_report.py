"""segment-spec validate --summary-json and --report: counts a person can read at a glance,
the same in both, and never a submitted value."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from segment_spec._cli import main
from segment_spec._files import validate_files

SECRET = "jane.doe+secret@example.com"
SCRIPT = Path(sys.executable).parent / "segment-spec"

# One line per case; the comment says what it is and how it is counted.
FIXTURE: list[object] = [
    # 1: accepted, a spec event
    {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"revenue": 10}},
    # 2: accepted, a custom event whose name holds a submitted value
    {"type": "track", "event": f"Invited {SECRET}", "userId": "u2"},
    # 3: rejected 400, required $.event; a track with no event
    {"type": "track", "userId": "u3", "properties": {"email": SECRET}},
    # 4: empty
    "",
    # 5: accepted with a warning, key-collision at $.traits.firstName
    {"type": "identify", "userId": "u4", "traits": {"firstName": "A", "first_name": "B"}},
    # 6: rejected 400, required $.group_id
    {"type": "group", "userId": SECRET},
    # 7: rejected 501, unsupported-type $.type; a call type that is a submitted value
    {"type": SECRET, "userId": "u6"},
    # 8: a batch of two: an accepted Order Completed, a group rejected at $.batch[1].group_id
    {
        "batch": [
            {"type": "track", "event": "Order Completed", "userId": "u7"},
            {"type": "group", "anonymousId": "a8"},
        ]
    },
    # 9: rejected 400, invalid-json at $
    '{"type": "track", "event": ',
    # 10: rejected 400, required $.group_id
    {"type": "group", "userId": "u9"},
    # 11: accepted with a warning, event-case at $.event; counted as Order Completed
    {"type": "track", "event": "order completed", "userId": "u10"},
]


def _place(line: int, path: str) -> dict[str, Any]:
    return {"file": "{file}", "line": line, "json_path": path}


def _rule(keyword: str, severity: str, path: str, places: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "keyword": keyword,
        "severity": severity,
        "json_path": path,
        "count": len(places),
        "first": places,
    }


# Worked out by hand from the comments above.
EXPECTED: dict[str, Any] = {
    "messages": 11,  # lines 1-3, 5-7, 9-11 and the batch's two items
    "accepted": 3,  # 1, 2, 8's first item
    "accepted_with_warnings": 2,  # 5, 11
    "rejected": 6,  # 3, 6, 7, 8's second item, 9, 10
    "by_status": {"400": 5, "501": 1},
    "by_call": {"track": 5, "group": 3, "(other)": 2, "identify": 1},
    "by_event": {"Order Completed": 3, "(custom event)": 1, "(no event)": 1},
    "by_keyword": {
        "required": 4,
        "event-case": 1,
        "invalid-json": 1,
        "key-collision": 1,
        "unsupported-type": 1,
    },
    "by_rule": [
        _rule(
            "required",
            "error",
            "$.group_id",
            [_place(6, "$.group_id"), _place(8, "$.batch[1].group_id"), _place(10, "$.group_id")],
        ),
        _rule("event-case", "warning", "$.event", [_place(11, "$.event")]),
        _rule("invalid-json", "error", "$", [_place(9, "$")]),
        _rule("key-collision", "warning", "$.traits.firstName", [_place(5, "$.traits.firstName")]),
        _rule("required", "error", "$.event", [_place(3, "$.event")]),
        _rule("unsupported-type", "error", "$.type", [_place(7, "$.type")]),
    ],
    "files": 1,
    "unreadable": [],
}


def write_fixture(path: Path) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\r\n" for r in FIXTURE)
    path.write_bytes(gzip.compress(text.encode()))
    return path


def expected_for(path: Path) -> dict[str, Any]:
    return json.loads(json.dumps(EXPECTED).replace("{file}", str(path)))


class _Page(HTMLParser):
    """The tables (by id: rows of cell texts), the chart's rows, and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.chart: list[list[str]] = []
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_chart = 0
        self._chart_cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend(attrs)
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id")
            assert self._table is not None
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "div":
            if found.get("id") == "chart":
                self._in_chart = 1
            elif self._in_chart:
                self._in_chart += 1
                if found.get("class") == "label":
                    self.chart.append([])
                if found.get("class") in ("label", "count"):
                    self._chart_cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "div" and self._in_chart:
            self._in_chart -= 1
            if self._chart_cell is not None:
                self.chart[-1].append("".join(self._chart_cell).strip())
                self._chart_cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._chart_cell is not None:
            self._chart_cell.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_summary_json_matches_the_hand_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Totals, statuses, calls, events, keywords and rules with their first lines, as counted."""
    path = write_fixture(tmp_path / "fixture.ndjson.gz")
    summary = tmp_path / "summary.json"
    assert main(["validate", "--summary-json", str(summary), str(path)]) == 1
    capsys.readouterr()
    assert json.loads(summary.read_text(encoding="utf-8")) == expected_for(path)


def test_report_shows_the_summary_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every figure of the page, parsed, is the summary's; the chart ranks the same rules."""
    path = write_fixture(tmp_path / "fixture.ndjson.gz")
    summary_path, report_path = tmp_path / "summary.json", tmp_path / "report.html"
    argv = ["validate", "--summary-json", str(summary_path), "--report", str(report_path)]
    assert main([*argv, str(path)]) == 1
    capsys.readouterr()
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    page = parse(report_path.read_text(encoding="utf-8"))

    totals = {row[0]: _number(row[1]) for row in page.tables["totals"]}
    assert totals == {
        "messages": summary["messages"],
        "accepted": summary["accepted"],
        "accepted with warnings": summary["accepted_with_warnings"],
        "rejected": summary["rejected"],
    }
    for table in ("by_status", "by_call", "by_event", "by_keyword"):
        rows = page.tables[table][1:]  # below the heading row
        assert {row[0]: _number(row[1]) for row in rows} == summary[table], table
    rules = [
        {
            "keyword": row[0],
            "severity": row[1],
            "json_path": row[2],
            "count": _number(row[3]),
            "first": row[4],
        }
        for row in page.tables["by_rule"][1:]
    ]
    assert [{k: v for k, v in r.items() if k != "first"} for r in rules] == [
        {k: v for k, v in r.items() if k != "first"} for r in summary["by_rule"]
    ]
    for shown, rule in zip(rules, summary["by_rule"], strict=True):
        assert shown["first"] == ", ".join(
            f"{place['file']}:{place['line']} {place['json_path']}" for place in rule["first"]
        )
    assert page.chart == [
        [f"{rule['keyword']} at {rule['json_path']}", str(rule["count"])]
        for rule in summary["by_rule"]
    ]


def test_report_is_self_contained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No script, stylesheet link, image or frame, and no address to fetch."""
    path = write_fixture(tmp_path / "fixture.ndjson.gz")
    report = tmp_path / "report.html"
    main(["validate", "--report", str(report), str(path)])
    capsys.readouterr()
    html = report.read_text(encoding="utf-8")
    page = parse(html)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert {"style", "table"} <= page.tags
    assert not [value for name, value in page.attributes if name in ("src", "href")]
    assert "url(" not in html
    assert "@import" not in html


def test_no_submitted_value_in_either(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An email in an event name, a call type, an id and a property appears in neither file."""
    path = write_fixture(tmp_path / "fixture.ndjson.gz")
    summary, report = tmp_path / "summary.json", tmp_path / "report.html"
    main(["validate", "--summary-json", str(summary), "--report", str(report), str(path)])
    capsys.readouterr()
    for written in (summary, report):
        text = written.read_text(encoding="utf-8")
        assert SECRET not in text
        assert "jane.doe" not in text
        assert "Invited" not in text


def test_first_places_are_the_first_five_in_input_order(tmp_path: Path) -> None:
    """With many small blocks on two workers, a rule keeps its first five places, in order, and
    the whole summary is the one a single process gives."""
    rows = []
    for index in range(6_000):
        bad = index % 500 == 7
        rows.append({"type": "group", "userId": "u"} if bad else {"type": "page", "userId": "u"})
    path = tmp_path / "many.ndjson"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")

    def summary(jobs: int, block_bytes: int) -> dict[str, Any]:
        found = validate_files(
            [str(path)],
            stdin=io.BytesIO(),
            strict=False,
            supported=None,
            jobs=jobs,
            as_json=False,
            out=io.StringIO(),
            progress=None,
            block_bytes=block_bytes,
        )
        return found.as_json()

    one = summary(1, 512 * 1024)
    assert summary(2, 2048) == one
    (rule,) = one["by_rule"]
    assert rule["count"] == 12
    assert [place["line"] for place in rule["first"]] == [8, 508, 1008, 1508, 2008]


def test_installed_command_writes_both_files(tmp_path: Path) -> None:
    """The console script writes the summary and the page, and still prints its findings."""
    path = write_fixture(tmp_path / "fixture.ndjson.gz")
    summary, report = tmp_path / "summary.json", tmp_path / "report.html"
    argv = ["validate", "--summary-json", str(summary), "--report", str(report), str(path)]
    done = subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.decode().splitlines()) == 6
    assert json.loads(summary.read_text(encoding="utf-8")) == expected_for(path)
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_an_unwritable_summary_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A summary path in a missing folder exits 2 naming it, before any message is checked."""
    path = write_fixture(tmp_path / "fixture.ndjson.gz")
    target = tmp_path / "missing" / "summary.json"
    assert main(["validate", "--summary-json", str(target), str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"segment-spec: cannot write {target}: No such file or directory"
    ]
