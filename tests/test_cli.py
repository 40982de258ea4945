"""The ``segment-spec`` command: validate and normalize files of messages."""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from segment_spec._cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "messages"

# ``file:line: $.json_path: status message``
TEXT_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+): (?P<path>\$\S*): (?P<status>\d{3}) (?P<msg>.+)$"
)

TRACK = {"type": "track", "event": "Signed Up", "userId": "u-1"}
TRACK_NO_EVENT = {"type": "track", "userId": "u-2", "properties": {"revenue": 10}}
IDENTIFY = {"type": "identify", "userId": "u-3", "traits": {"plan": "pro"}}
GROUP_NO_ID = {"type": "group", "anonymousId": "a-4"}
COLLIDING = {"type": "identify", "userId": "u-5", "traits": {"firstName": "A", "first_name": "B"}}


def assert_summary(err: list[str], total: int, rejected: int) -> None:
    """The last stderr line: counts and seconds (no rate for a handful of messages)."""
    pattern = rf"{total} messages? checked, {rejected} rejected in [\d.]+ s"
    assert len(err) == 1, err
    assert re.fullmatch(pattern, err[0]), err


def ndjson(*lines: object) -> str:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    """Run the command in-process; return its exit status, stdout lines and stderr lines."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# --- validate ----------------------------------------------------------------------------------


def test_valid_json_file_exits_0_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "track.json", json.dumps(TRACK, indent=2))
    status, out, err = run(capsys, "validate", path)
    assert status == 0
    assert out == []
    assert_summary(err, 1, 0)


def test_bundled_identify_example_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "validate", str(EXAMPLES / "identify.json"))
    assert status == 0
    assert out == []


def test_ndjson_prints_one_line_per_rejected_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "mixed.ndjson", ndjson(TRACK, TRACK_NO_EVENT, "", IDENTIFY, GROUP_NO_ID))
    status, out, err = run(capsys, "validate", path)
    assert status == 1
    assert out == [
        f"{path}:2: $.event: 400 event is required: a non-empty string",
        f"{path}:5: $.group_id: 400 group_id is required: a non-empty string or a number",
    ]
    assert_summary(err, 4, 2)


def test_bundled_mixed_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "mixed.ndjson")
    status, out, _ = run(capsys, "validate", path)
    assert status == 1
    found = [TEXT_LINE.match(line) for line in out]
    assert all(found), out
    assert [(m["file"], int(m["line"]), m["path"], int(m["status"])) for m in found if m] == [
        (path, 2, "$.event", 400),
        (path, 3, "$.group_id", 400),
        (path, 4, "$.type", 501),
    ]


def test_batch_envelope_names_the_bad_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    envelope = {"batch": [TRACK, TRACK_NO_EVENT, IDENTIFY], "context": {"ip": "203.0.113.1"}}
    path = write(tmp_path, "batch.json", json.dumps(envelope, indent=2))
    status, out, err = run(capsys, "validate", path)
    assert status == 1
    assert out == [f"{path}:1: $.batch[1].event: 400 event is required: a non-empty string"]
    assert_summary(err, 3, 1)


def test_batch_envelope_lines_in_ndjson(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path, "batches.ndjson", ndjson({"batch": [TRACK]}, {"batch": [IDENTIFY, GROUP_NO_ID]})
    )
    status, out, _ = run(capsys, "validate", path)
    assert status == 1
    assert len(out) == 1
    assert out[0].startswith(f"{path}:2: $.batch[1].group_id: 400 ")


def test_invalid_envelope_is_one_rejection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A string context is only a warning (the items are still checked) unless --strict.
    path = write(tmp_path, "bad-batch.json", json.dumps({"batch": [TRACK], "context": "nope"}))
    assert run(capsys, "validate", path)[:2] == (0, [])
    status, out, _ = run(capsys, "validate", "--strict", path)
    assert status == 1
    assert len(out) == 1
    match = TEXT_LINE.match(out[0])
    assert match
    assert match["path"] == "$.context"
    assert match["status"] == "400"


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    envelope = {"batch": [TRACK, TRACK_NO_EVENT]}
    path = write(tmp_path, "mixed.ndjson", ndjson(TRACK, GROUP_NO_ID, envelope))
    status, out, _ = run(capsys, "validate", "--json", path)
    assert status == 1
    rows = [json.loads(line) for line in out]
    assert len(rows) == 2
    for row in rows:
        assert set(row) == {"file", "line", "json_path", "status", "message", "issues"}
        assert row["file"] == path
        assert isinstance(row["message"], str)
        assert row["message"]
        assert row["issues"]
        for issue in row["issues"]:
            assert set(issue) == {"json_path", "keyword", "severity", "message"}
        assert row["issues"][0]["json_path"] == row["json_path"]
    assert [(r["line"], r["json_path"], r["status"]) for r in rows] == [
        (2, "$.group_id", 400),
        (3, "$.batch[1].event", 400),
    ]
    assert rows[0]["issues"][0]["keyword"] == "required"
    assert rows[0]["issues"][0]["severity"] == "error"


def test_json_and_text_output_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "mixed.ndjson")
    _, text, _ = run(capsys, "validate", path)
    _, lines, _ = run(capsys, "validate", "--json", path)
    rows = [json.loads(line) for line in lines]
    assert text == [
        f"{r['file']}:{r['line']}: {r['json_path']}: {r['status']} {r['message']}" for r in rows
    ]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    feed_stdin(monkeypatch, ndjson(TRACK, TRACK_NO_EVENT).encode())
    status, out, err = run(capsys, "validate", "-")
    assert status == 1
    assert out == ["<stdin>:2: $.event: 400 event is required: a non-empty string"]
    assert_summary(err, 2, 1)


def test_stdin_and_files_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, json.dumps(TRACK).encode())
    path = write(tmp_path, "bad.json", json.dumps(GROUP_NO_ID))
    status, out, err = run(capsys, "validate", "-", path)
    assert status == 1
    assert [line.split(":")[0] for line in out] == [path]
    assert_summary(err, 2, 1)


def test_strict_rejects_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "colliding.json", json.dumps(COLLIDING))
    status, out, _ = run(capsys, "validate", path)
    assert (status, out) == (0, [])
    status, out, _ = run(capsys, "validate", "--strict", path)
    assert status == 1
    assert len(out) == 1
    assert out[0].startswith(f"{path}:1: $.traits.firstName: 400 ")


def test_supported_turns_other_calls_into_501(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "mixed.ndjson", ndjson(TRACK, IDENTIFY))
    status, out, _ = run(capsys, "validate", "--supported", "track", path)
    assert status == 1
    assert out == [f"{path}:2: $.type: 501 this destination does not support identify calls"]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--supported", "track", "--supported", "identify", "{path}"], id="before"),
        pytest.param(["{path}", "--supported", "track", "--supported", "identify"], id="after"),
    ],
)
def test_supported_repeats(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "mixed.ndjson", ndjson(TRACK, IDENTIFY))
    status, out, _ = run(capsys, "validate", *(arg.format(path=path) for arg in argv))
    assert (status, out) == (0, [])


def test_malformed_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "broken.ndjson", ndjson(TRACK, '{"type": "track", "event": ', TRACK))
    status, out, err = run(capsys, "validate", path)
    assert status == 1
    assert len(out) == 1
    match = TEXT_LINE.match(out[0])
    assert match
    assert (match["line"], match["path"], match["status"]) == ("2", "$", "400")
    assert "JSON" in match["msg"]
    assert_summary(err, 3, 1)


def test_message_never_echoes_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "jane.doe+secret@example.com"
    message = {"type": "track", "event": 42, "userId": secret, "properties": {"email": secret}}
    path = write(tmp_path, "leaky.json", json.dumps(message))
    status, out, _ = run(capsys, "validate", "--json", path)
    assert status == 1
    assert out
    assert secret not in "\n".join(out)


def test_empty_file_checks_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "empty.ndjson", "\n\n")
    status, out, err = run(capsys, "validate", path)
    assert (status, out) == (0, [])
    assert_summary(err, 0, 0)


# --- usage errors (exit 2) ---------------------------------------------------------------------


def test_unreadable_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.json")
    status, out, err = run(capsys, "validate", missing)
    assert status == 2
    assert out == []
    assert err == [f"segment-spec: cannot read {missing}: No such file or directory"]


def test_directory_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "validate", str(tmp_path))
    assert status == 2
    assert err[-1].startswith(f"segment-spec: cannot read {tmp_path}")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["frobnicate", "x.json"], id="unknown-command"),
        pytest.param(["validate"], id="no-path"),
        pytest.param(["normalize"], id="normalize-no-path"),
        pytest.param(["validate", "--supported", "delete", "x.json"], id="unknown-call"),
        pytest.param(["validate", "--bogus", "x.json"], id="unknown-option"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: segment-spec" in captured.err


# --- normalize ---------------------------------------------------------------------------------


def test_normalize_prints_snake_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = {
        "type": "track",
        "event": "Order Completed",
        "userId": "u-1",
        "messageId": "m-1",
        "properties": {"orderId": "o-1", "products": [{"productId": "p-1"}]},
        "context": {"userAgent": "Mozilla"},
    }
    path = write(tmp_path, "camel.ndjson", ndjson(message, IDENTIFY))
    status, out, err = run(capsys, "normalize", path)
    assert status == 0
    assert err == []
    first, second = (json.loads(line) for line in out)
    assert first == {
        "type": "track",
        "event": "Order Completed",
        "user_id": "u-1",
        "message_id": "m-1",
        "properties": {"order_id": "o-1", "products": [{"product_id": "p-1"}]},
        "context": {"user_agent": "Mozilla"},
    }
    assert second == {"type": "identify", "user_id": "u-3", "traits": {"plan": "pro"}}


def test_normalize_pretty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "one.json", json.dumps(TRACK))
    status, out, _ = run(capsys, "normalize", "--pretty", path)
    assert status == 0
    assert len(out) > 1
    assert json.loads("\n".join(out))["user_id"] == "u-1"


def test_normalize_warns_about_key_collisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "colliding.json", json.dumps(COLLIDING))
    status, out, err = run(capsys, "normalize", path)
    assert status == 0
    assert len(out) == 1
    value = json.loads(out[0])
    # Neither value is lost: the later key keeps its original name.
    assert value["user_id"] == "u-5"
    assert sorted(value["traits"].values()) == ["A", "B"]
    assert "first_name" in value["traits"]
    assert len(err) == 1
    assert err[0].startswith(f"{path}:1: $.traits.")
    assert "first_name" in err[0]


def test_normalize_malformed_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "broken.ndjson", ndjson(TRACK, "{not json", IDENTIFY))
    status, out, err = run(capsys, "normalize", path)
    assert status == 1
    assert [json.loads(line)["type"] for line in out] == ["track", "identify"]
    assert len(err) == 1
    assert err[0].startswith(f"{path}:2: not valid JSON")


def test_normalize_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, json.dumps({"anonymousId": "a", "type": "page"}).encode())
    status, out, _ = run(capsys, "normalize", "-")
    assert status == 0
    assert json.loads(out[0]) == {"anonymous_id": "a", "type": "page"}


def test_normalize_unreadable_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "normalize", str(tmp_path / "missing.json"))
    assert status == 2
    assert err[-1].startswith("segment-spec: cannot read ")


# --- the installed console script --------------------------------------------------------------

SCRIPT = Path(sys.executable).parent / "segment-spec"


@pytest.fixture
def script() -> Path:
    if not SCRIPT.exists():
        pytest.fail(f"the segment-spec console script is not installed beside {sys.executable}")
    return SCRIPT


def test_console_script_validates(script: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(script), "validate", "--json", str(EXAMPLES / "mixed.ndjson"), "-"],
        input=ndjson(TRACK, GROUP_NO_ID).encode(),
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [(r["file"], r["line"], r["status"]) for r in rows] == [
        (str(EXAMPLES / "mixed.ndjson"), 2, 400),
        (str(EXAMPLES / "mixed.ndjson"), 3, 400),
        (str(EXAMPLES / "mixed.ndjson"), 4, 501),
        ("<stdin>", 2, 400),
    ]
    assert_summary(result.stderr.decode().splitlines(), 7, 4)


def test_console_script_exit_codes(script: Path, tmp_path: Path) -> None:
    def status(*argv: str) -> int:
        done = subprocess.run(
            [str(script), *argv], capture_output=True, cwd=tmp_path, timeout=60, check=False
        )
        return done.returncode

    assert status("validate", str(EXAMPLES / "identify.json")) == 0
    assert status("validate", str(tmp_path / "missing.json")) == 2
    assert status("validate") == 2
    assert status("--help") == 0


def test_version_prints_the_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the command's name and the installed distribution's version."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"segment-spec {importlib.metadata.version('segment-spec')}\n"
