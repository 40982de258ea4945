"""segment-spec validate on large inputs: worker processes, progress, messages per second."""

from __future__ import annotations

import io
import re
from pathlib import Path

import orjson
import pytest

from segment_spec._cli import main
from segment_spec._files import PARALLEL_THRESHOLD, Summary, validate_files


def _big_ndjson(path: Path, lines: int) -> Path:
    with path.open("wb") as handle:
        for index in range(lines):
            message = {"type": "track", "event": "E", "userId": f"u{index}"}
            if index % 997 == 0:
                del message["userId"]  # a rejected line now and then
            handle.write(orjson.dumps(message) + b"\n")
    return path


def test_workers_give_the_same_lines_in_the_same_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _big_ndjson(tmp_path / "big.ndjson", PARALLEL_THRESHOLD + 1500)
    assert main(["validate", "--jobs", "1", str(path)]) == 1
    one = capsys.readouterr()
    assert main(["validate", "--jobs", "2", str(path)]) == 1
    two = capsys.readouterr()
    assert one.out == two.out
    lines = one.out.splitlines()
    assert len(lines) == 6  # lines 1, 998, 1995, 2992, 3989 and 4986
    assert [int(line.split(":")[1]) for line in lines] == [1, 998, 1995, 2992, 3989, 4986]
    for captured in (one, two):
        assert re.match(r"5,500 messages checked, 6 rejected in [\d.]+ s", captured.err)


def test_jobs_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _big_ndjson(tmp_path / "small.ndjson", 3)
    assert main(["validate", "--jobs", "0", str(path)]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    path = _big_ndjson(tmp_path / "p.ndjson", 50)
    shown = io.StringIO()
    out = io.StringIO()
    summary = validate_files(
        [str(path)],
        stdin=io.BytesIO(),
        strict=False,
        supported=None,
        jobs=1,
        as_json=False,
        out=out,
        progress=shown,
    )
    assert summary.total == 50
    assert summary.rejected == 1
    assert "records/s" in shown.getvalue()
    assert shown.getvalue().startswith("\r")
    assert "records/s" not in out.getvalue()
    assert re.fullmatch(r"50 messages checked, 1 rejected in [\d.]+ s", summary.text())


@pytest.mark.parametrize(
    ("total", "rejected", "seconds", "text"),
    [
        (1, 0, 0.01, "1 message checked, 0 rejected in 0.01 s"),
        (1, 1, 3.0, "1 message checked, 1 rejected in 3.00 s"),
        (0, 0, 0.0, "0 messages checked, 0 rejected in 0.00 s"),
        (999, 2, 5.0, "999 messages checked, 2 rejected in 5.00 s"),
        (50_000, 7, 0.5, "50,000 messages checked, 7 rejected in 0.50 s"),
        (1000, 0, 1.0, "1,000 messages checked, 0 rejected in 1.00 s (1,000 messages/s)"),
        (
            12_345_678,
            4_321,
            98.76,
            "12,345,678 messages checked, 4,321 rejected in 98.76 s (125,007 messages/s)",
        ),
    ],
)
def test_summary_reads_well_for_one_message_as_for_millions(
    total: int, rejected: int, seconds: float, text: str
) -> None:
    """The summary says "message" for one, groups thousands, and gives a rate only from a
    thousand messages and a second on, where it measures the input more than start-up."""
    assert Summary(total=total, rejected=rejected, seconds=seconds).text() == text
