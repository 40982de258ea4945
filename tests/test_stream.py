"""segment-spec validate reads its inputs as streams: compressed files, directories, stdin, in
bounded memory, and tells a bad file apart from a bad message."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from segment_spec._cli import main
from segment_spec._files import validate_files
from segment_spec._stream import (
    MAX_LINE_BYTES,
    Block,
    Kind,
    _line_blocks,
    read_blocks,
    source_blocks,
    span_blocks,
)

TRACK = {"type": "track", "event": "Signed Up", "userId": "u-1"}
NO_EVENT = {"type": "track", "userId": "u-2"}
NO_GROUP = {"type": "group", "userId": "u-3"}
SCRIPT = Path(sys.executable).parent / "segment-spec"


def line(value: object) -> bytes:
    return json.dumps(value).encode()


# Lines 2 and 5 are rejected; line 3 is empty, lines end in CRLF, the last has no newline.
CRLF = b"\r\n".join([line(TRACK), line(NO_EVENT), b"", line(TRACK), line(NO_GROUP)])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def places(out: list[str]) -> list[tuple[str, int]]:
    """(file, line) of each text finding."""
    found = []
    for text in out:
        source, number, _ = text.split(":", 2)
        found.append((source, int(number)))
    return found


def test_crlf_empty_lines_and_a_last_line_without_newline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Line numbers count every line, empty ones included; CR before LF is not part of a line."""
    path = tmp_path / "crlf.ndjson"
    path.write_bytes(CRLF)
    status, out, err = run(capsys, "validate", str(path))
    assert status == 1
    assert places(out) == [(str(path), 2), (str(path), 5)]
    assert err[-1].startswith("4 messages checked, 2 rejected")


@pytest.mark.parametrize("name", ["replay.ndjson.gz", "replay.ndjson", "replay.txt"])
def test_gzip_is_told_by_its_magic_bytes(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gzipped file is read whatever its name says."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(CRLF))
    status, out, _ = run(capsys, "validate", str(path))
    assert status == 1
    assert places(out) == [(str(path), 2), (str(path), 5)]


def test_gzip_of_several_members(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Concatenated gzip members (as `cat a.gz b.gz` makes) read as one stream."""
    path = tmp_path / "joined.gz"
    path.write_bytes(gzip.compress(CRLF[:40]) + gzip.compress(CRLF[40:]))
    status, out, _ = run(capsys, "validate", str(path))
    assert status == 1
    assert places(out) == [(str(path), 2), (str(path), 5)]


def test_zstandard_file_of_several_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .zst file is read across its frames, as a concatenation of them."""
    path = tmp_path / "replay.zst"
    compressor = zstandard.ZstdCompressor()
    first, rest = CRLF[:40], CRLF[40:]
    path.write_bytes(compressor.compress(first) + compressor.compress(rest))
    status, out, _ = run(capsys, "validate", str(path))
    assert status == 1
    assert places(out) == [(str(path), 2), (str(path), 5)]


def test_zstandard_without_the_package_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without zstandard installed, a .zst file is named with the extra to install."""
    path = tmp_path / "replay.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(CRLF))
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import now raises ImportError
    status, out, err = run(capsys, "validate", str(path))
    assert status == 2
    assert out == []
    assert err[0].startswith(f"segment-spec: cannot read {path}: it is zstandard-compressed")
    assert "segment-spec[zstd]" in err[0]


def test_a_directory_is_read_recursively_in_sorted_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An archive folder <source>/<day>/<file>.gz is read file by file, hidden files left out."""
    for day, name in [("2024-01-02", "b.gz"), ("2024-01-01", "z.gz"), ("2024-01-01", "a.gz")]:
        folder = tmp_path / "source" / day
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(gzip.compress(line(NO_EVENT) + b"\n"))
    (tmp_path / "source" / ".DS_Store").write_bytes(b"\x00\x01 not json")
    status, out, err = run(capsys, "validate", str(tmp_path / "source"))
    assert status == 1
    root = tmp_path / "source"
    assert places(out) == [
        (str(root / "2024-01-01" / "a.gz"), 1),
        (str(root / "2024-01-01" / "z.gz"), 1),
        (str(root / "2024-01-02" / "b.gz"), 1),
    ]
    assert err[-1].startswith("3 messages checked, 3 rejected")


def test_a_pretty_printed_message_is_one_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is one JSON value over many lines is one message, at line 1."""
    path = tmp_path / "one.json.gz"
    path.write_bytes(gzip.compress(json.dumps(NO_EVENT, indent=2).encode()))
    status, out, _ = run(capsys, "validate", str(path))
    assert status == 1
    assert places(out) == [(str(path), 1)]


def test_a_huge_pretty_printed_file_is_refused_without_being_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One JSON value over Segment's 500 KiB batch limit is one clear too-large rejection."""
    envelope = {"batch": [TRACK] * 20_000}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(envelope, indent=2), encoding="utf-8")
    assert path.stat().st_size > MAX_LINE_BYTES
    status, out, err = run(capsys, "validate", "--json", str(path))
    assert status == 1
    (row,) = (json.loads(text) for text in out)
    assert (row["line"], row["json_path"], row["status"]) == (1, "$", 400)
    assert row["issues"][0]["keyword"] == "too-large"
    assert "not NDJSON" in row["message"]
    assert err[-1].startswith("1 message checked, 1 rejected")


def test_a_long_file_of_blank_lines_is_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over 500 KiB of blank lines before a message is NDJSON, not a refused document."""
    path = tmp_path / "blank.ndjson"
    path.write_bytes(b"  \r\n" * (MAX_LINE_BYTES // 4 + 10) + line(NO_EVENT) + b"\n")
    status, out, _ = run(capsys, "validate", str(path))
    assert status == 1
    assert places(out) == [(str(path), MAX_LINE_BYTES // 4 + 11)]


def test_a_line_over_the_limit_is_skipped_and_the_next_ones_numbered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A too-long line is one too-large rejection; counting lines goes on right after it."""
    long = {"type": "track", "event": "x" * (MAX_LINE_BYTES + 10), "userId": "u"}
    medium = {"type": "track", "event": "y" * 40_000, "userId": "u"}  # over 32 KiB only
    path = tmp_path / "long.ndjson"
    path.write_bytes(b"\n".join([line(TRACK), line(long), line(medium), line(NO_EVENT)]) + b"\n")
    status, out, _ = run(capsys, "validate", "--json", str(path))
    assert status == 1
    rows = [json.loads(text) for text in out]
    assert [(r["line"], r["issues"][0]["keyword"]) for r in rows] == [
        (2, "too-large"),
        (3, "too-large"),
        (4, "required"),
    ]


def _endless(lines: int, long_every: int) -> Iterator[bytes]:
    for index in range(lines):
        if index % long_every == 0:
            yield b'{"type": "track", "event": "' + b"x" * (3 * MAX_LINE_BYTES) + b'"}\n'
        else:
            yield line({**TRACK, "messageId": f"m{index}"}) + b"\n"


class _Feed:
    """A read function over generated lines that records the largest piece ever asked for."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._left = b""

    def read(self, size: int) -> bytes:
        while len(self._left) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._left += piece
        head, self._left = self._left[:size], self._left[size:]
        return head


def test_blocks_stay_bounded_whatever_the_lines() -> None:
    """No block holds more than a block and a line's worth of bytes, long lines included."""
    block_bytes = 64 * 1024
    feed = _Feed(_endless(20_000, long_every=2_000))
    numbered = 1
    too_long = []
    for block in read_blocks("gen", feed.read, block_bytes):
        assert len(block.data) <= block_bytes + MAX_LINE_BYTES
        assert block.first_line == numbered
        numbered += block.lines
        if block.kind is Kind.TOO_LONG_LINE:
            too_long.append(block.first_line)
    assert numbered == 20_001
    assert too_long == list(range(1, 20_001, 2_000))


def test_small_blocks_and_workers_give_the_same_findings(tmp_path: Path) -> None:
    """Cutting the input into many blocks checked by two workers changes nothing in the output."""
    path = tmp_path / "many.ndjson.gz"
    rows = [NO_EVENT if i % 301 == 0 else {**TRACK, "messageId": f"m{i}"} for i in range(9_000)]
    path.write_bytes(gzip.compress(b"".join(line(r) + b"\r\n" for r in rows)))

    def output(jobs: int, block_bytes: int) -> str:
        out = io.StringIO()
        summary = validate_files(
            [str(path)],
            stdin=io.BytesIO(),
            strict=False,
            supported=None,
            jobs=jobs,
            as_json=True,
            out=out,
            progress=None,
            block_bytes=block_bytes,
        )
        assert (summary.total, summary.rejected) == (9_000, 30)
        return out.getvalue()

    one = output(1, 512 * 1024)
    assert output(2, 4 * 1024) == one
    assert [json.loads(text)["line"] for text in one.splitlines()] == list(range(1, 9_001, 301))


def _script(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SCRIPT), *argv], input=stdin, capture_output=True, timeout=120, check=False
    )


def test_gzipped_stdin_with_workers() -> None:
    """A gzip stream on standard input is read like a file, by the installed command."""
    lines = b"".join(line({**TRACK, "messageId": f"m{i}"}) + b"\n" for i in range(5_000))
    status = _script("validate", "--jobs", "2", "-", stdin=gzip.compress(lines + line(NO_GROUP)))
    assert status.returncode == 1, status.stderr
    assert status.stdout.decode().splitlines() == [
        "<stdin>:5001: $.group_id: 400 group_id is required: a non-empty string or a number"
    ]


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_gzip_names_the_file_and_keeps_what_was_read(damage: str, tmp_path: Path) -> None:
    """A cut or corrupt gzip member exits 2 with one line naming the file, not a traceback;
    the lines read before the damage are checked."""
    rows = [NO_EVENT] + [{**TRACK, "messageId": f"m{i}"} for i in range(60_000)]
    packed = gzip.compress(b"".join(line(r) + b"\n" for r in rows), compresslevel=1)
    cut = len(packed) // 2
    damaged = packed[:cut] if damage == "truncated" else packed[:cut] + b"\xff" * 64
    path = tmp_path / "replay.gz"
    path.write_bytes(damaged)
    done = _script("validate", "--jobs", "1", str(path))
    assert done.returncode == 2
    err = done.stderr.decode().splitlines()
    assert "Traceback" not in done.stderr.decode()
    assert err[0].startswith(f"segment-spec: cannot read {path}: the compressed stream is")
    assert "after line" in err[0]
    assert done.stdout.decode().splitlines()[0].startswith(f"{path}:1: $.event: 400 ")


def _numbered(content: bytes) -> list[tuple[int, bytes]]:
    """The numbered lines of a text: the last piece counts unless it is empty after a newline."""
    if not content:
        return []
    pieces = content.split(b"\n")
    if content.endswith(b"\n"):
        pieces.pop()
    return list(enumerate(pieces, 1))


# Lines of any bytes but a newline, for the tests of where blocks and spans cut.
_LINES = st.lists(st.binary(max_size=120).map(lambda b: b.replace(b"\n", b"")), max_size=40)


@settings(max_examples=200)
@given(
    lines=_LINES,
    final_newline=st.booleans(),
    block_bytes=st.integers(min_value=1, max_value=300),
    read_size=st.integers(min_value=1, max_value=97),
)
def test_blocks_lose_no_line_and_number_each_as_a_split_does(
    lines: list[bytes], final_newline: bool, block_bytes: int, read_size: int
) -> None:
    """Wherever blocks and reads cut, the lines of the blocks are the lines of the stream."""
    content = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    stream = io.BytesIO(content)

    def read(size: int) -> bytes:
        return stream.read(min(size, read_size))  # short reads, as a pipe or gzip gives

    found: list[tuple[int, bytes]] = []
    for block in _line_blocks("x", read, b"", block_bytes):
        assert block.kind is Kind.LINES
        assert block.lines == len(_numbered(block.data))
        found.extend((block.first_line + n - 1, text) for n, text in _numbered(block.data))
    assert found == _numbered(content)


def test_an_object_with_a_batch_list_is_an_envelope_whatever_its_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line that would pass as a message but holds a batch list is checked as an envelope;
    a key that only normalizes to batch is not one."""
    item = {"type": "group", "userId": "u"}
    path = tmp_path / "odd.ndjson"
    path.write_bytes(
        line({**TRACK, "batch": [item]}) + b"\n" + line({**TRACK, "Batch": [item]}) + b"\n"
    )
    status, out, err = run(capsys, "validate", str(path))
    assert status == 1
    assert out == [
        f"{path}:1: $.batch[0].group_id: 400 group_id is required: a non-empty string or a number"
    ]
    assert err[-1].startswith("2 messages checked, 1 rejected")


# --- spans: workers read their own part of a plain file -----------------------------------------


@settings(max_examples=200)
@given(
    lines=_LINES,
    final_newline=st.booleans(),
    span_bytes=st.integers(min_value=1, max_value=200),
    block_bytes=st.integers(min_value=1, max_value=90),
)
def test_spans_lose_no_line_and_number_each_as_a_split_does(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    final_newline: bool,
    span_bytes: int,
    block_bytes: int,
) -> None:
    """Wherever the spans cut a file, each line is read by exactly one span (the one it starts
    in), and the spans' lines, each span's moved on by the lines of those before it, are the
    file's lines."""
    content = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("spans") / "f.ndjson"
    path.write_bytes(content)
    found: list[tuple[int, bytes]] = []
    before = 0
    for start in range(0, len(content), span_bytes):
        span = Block(str(path), 1, Kind.SPAN, lines=0, start=start, end=start + span_bytes)
        counted = 0
        for block in span_blocks(span, block_bytes):
            assert block.kind is Kind.LINES
            found.extend((before + block.first_line + n - 1, t) for n, t in _numbered(block.data))
            counted += block.lines
        before += counted
    assert found == _numbered(content)


def _replay(tmp_path: Path) -> Path:
    """A plain NDJSON file longer than a line may be (so that workers get it as spans): CRLF
    and blank lines, rejected lines, a batch envelope, a line over the limit across many
    spans, and no newline at the end."""
    rows: list[bytes] = []
    for index in range(6_000):
        if index % 487 == 0:
            rows.append(line(NO_EVENT))
        elif index == 2_500:
            rows.append(line({"type": "track", "event": "x" * (MAX_LINE_BYTES + 10)}))
        elif index == 4_000:
            rows.append(line({"batch": [TRACK, NO_GROUP]}))
        elif index % 1_000 == 3:
            rows.append(b"")
        else:
            rows.append(line({**TRACK, "messageId": f"m{index}"}))
    path = tmp_path / "replay.ndjson"
    path.write_bytes(b"\r\n".join(rows[:3_000]) + b"\n" + b"\n".join(rows[3_000:]))
    return path


@pytest.mark.parametrize("block_bytes", [4_093, 64 * 1024, 512 * 1024])
def test_workers_reading_spans_give_what_one_stream_gives(tmp_path: Path, block_bytes: int) -> None:
    """With workers, a long plain file is read as spans; the findings, their line numbers and
    the summary are those of reading it as one stream."""
    path = _replay(tmp_path)
    assert any(b.kind is Kind.SPAN for b in source_blocks(str(path), io.BytesIO(), spans=True))

    def output(jobs: int) -> tuple[str, dict[str, object]]:
        out = io.StringIO()
        summary = validate_files(
            [str(path), str(path)],  # twice: each reading numbers from its first line
            stdin=io.BytesIO(),
            strict=False,
            supported=None,
            jobs=jobs,
            as_json=True,
            out=out,
            progress=None,
            block_bytes=block_bytes,
        )
        return out.getvalue(), summary.tally.as_json()

    one = output(1)
    assert output(2) == one
    numbers = [json.loads(text)["line"] for text in one[0].splitlines()]
    assert 2_501 in numbers  # the line over the limit, numbered where it is
    assert numbers == sorted(numbers[: len(numbers) // 2]) * 2


def test_a_short_or_compressed_file_is_never_cut_into_spans(tmp_path: Path) -> None:
    short = tmp_path / "short.ndjson"
    short.write_bytes(CRLF)
    packed = tmp_path / "packed.ndjson.gz"
    packed.write_bytes(gzip.compress(_replay(tmp_path).read_bytes()))
    for path in (short, packed):
        kinds = {b.kind for b in source_blocks(str(path), io.BytesIO(), spans=True)}
        assert Kind.SPAN not in kinds


def test_span_outcomes_are_numbered_on_and_a_failed_file_is_said_once() -> None:
    """Each span's lines are moved on by the lines of its file's spans before it, starting over
    at a file's first span; a file whose spans cannot read it is reported by the first only."""
    from segment_spec._files import Finding, Outcome, Record, _Spans
    from segment_spec._issue import Issue
    from segment_spec._reply import reject

    rejection = reject([Issue(("event",), "required", "event is required")])

    def span(start: int, lines: int, found: int | None = None, error: str | None = None) -> Any:
        findings = [] if found is None else [Finding(Record("f", found, b""), (), rejection)]
        return Outcome("f", lines, findings, error=error, span_start=start)

    spans = _Spans()
    placed = [
        spans.place(o)
        for o in (
            span(0, 10, found=4),
            span(100, 5, found=2),
            span(200, 1, error="gone"),
            span(300, 1, error="gone"),
            span(0, 3, found=1),  # the same file read again
            span(100, 1, error="gone"),
        )
    ]
    assert [[f.record.line for f in found] for found, _, _ in placed] == [
        [4],
        [12],
        [],
        [],
        [1],
        [],
    ]
    assert [offset for _, offset, _ in placed] == [0, 10, 15, 16, 0, 3]
    assert [report for _, _, report in placed] == [False, False, True, False, False, True]
    plain = Outcome("g", 2, error="bad")
    assert spans.place(plain) == ([], 0, True)
