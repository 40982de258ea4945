"""Validate files: check every message of JSON and NDJSON files, in parallel when they are big.

Used by ``segment-spec validate``. A file holds one JSON message, one batch envelope, or NDJSON,
possibly gzip- or zstandard-compressed; a directory stands for the files under it. Inputs are
read as streams in blocks of lines (``_stream``), never whole; large inputs are checked by
worker processes (``--jobs``), a few blocks in flight per worker, and findings come back in
input order. On a terminal a progress line is kept up to date on stderr; piped, nothing extra
is printed. The summary gives the messages per second and a :class:`~._tally.Tally`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any, BinaryIO, TextIO

import orjson

from ._check import check, check_batch
from ._issue import Issue, json_path
from ._parse import MAX_BATCH_BYTES, MAX_MESSAGE_BYTES
from ._reply import Rejection, reject
from ._stream import (
    BLOCK_BYTES,
    MAX_LINE_BYTES,
    Block,
    Kind,
    expand_paths,
    source_blocks,
    span_blocks,
)
from ._tally import CUSTOM_EVENT, OTHER, Tally, call_and_event, raw_labels

__all__ = [
    "Finding",
    "Outcome",
    "Record",
    "Summary",
    "UsageError",
    "check_block",
    "check_record",
    "read_input",
    "records",
    "validate_files",
]

# Below this many records (or bytes) one process is faster than starting workers.
PARALLEL_THRESHOLD = 4000
PARALLEL_BYTES = 4 * 1024 * 1024
# Blocks sent ahead per worker: enough that none waits for the next, few enough that memory
# stays a few blocks per worker whatever the input's size.
IN_FLIGHT_PER_JOB = 4
# The summary gives a rate only from this many messages and seconds on.
RATE_MIN_MESSAGES = 1000
RATE_MIN_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Record:
    """One JSON text to check: where it came from and its bytes."""

    source: str
    line: int
    raw: bytes


class UsageError(Exception):
    """A problem with the command line or an unreadable file (exit status 2)."""


def read_input(path: str, stdin: BinaryIO) -> bytes:
    """The bytes of a file, or of standard input for ``-``."""
    if path == "-":
        return stdin.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None


def records(path: str, content: bytes) -> Iterator[Record]:
    """Split a file into records: the whole file if it is one JSON value, else its lines."""
    stripped = content.strip()
    if not stripped:
        return
    if b"\n" not in stripped:
        yield Record(path, 1, stripped)
        return
    try:
        orjson.loads(stripped)
    except orjson.JSONDecodeError:
        pass
    else:
        yield Record(path, 1, stripped)
        return
    for number, line in enumerate(content.splitlines(), 1):
        if line.strip():
            yield Record(path, number, line)


@dataclass(frozen=True, slots=True)
class Finding:
    """A rejected message: where it is and why."""

    record: Record
    prefix: tuple[str | int, ...]
    rejection: Rejection

    def first(self) -> Issue:
        """The issue a person should read first."""
        return self.rejection.issues[0]

    def moved(self, lines: int) -> Finding:
        """The same finding ``lines`` lines further on in its source (its part of a source
        was numbered from 1)."""
        record = self.record
        return Finding(Record(record.source, record.line + lines, b""), self.prefix, self.rejection)

    def as_text(self) -> str:
        """``file:line: $.json_path: status message``."""
        issue = self.first()
        where = json_path((*self.prefix, *issue.path))
        return (
            f"{self.record.source}:{self.record.line}: {where}: "
            f"{self.rejection.status} {self.rejection.body['message']}"
        )

    def line(self, as_json: bool) -> str:
        """The line ``validate`` prints: :meth:`as_text`, or :meth:`as_json` encoded."""
        return orjson.dumps(self.as_json()).decode() if as_json else self.as_text()

    def as_json(self) -> dict[str, Any]:
        """The finding as a JSON object, every issue listed (``--json``)."""
        return {
            "file": self.record.source,
            "line": self.record.line,
            "json_path": json_path((*self.prefix, *self.first().path)),
            "status": self.rejection.status,
            "message": self.rejection.body["message"],
            "issues": [
                {
                    "json_path": json_path((*self.prefix, *issue.path)),
                    "keyword": issue.keyword,
                    "severity": issue.severity.value,
                    "message": issue.message,
                }
                for issue in self.rejection.issues
            ],
        }


def _is_batch(raw: bytes) -> bool:
    # Cheap test first; only envelopes that mention "batch" are parsed twice.
    if b'"batch"' not in raw:
        return False
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and isinstance(value.get("batch"), list)


def _too_long(kind: Kind) -> Rejection:
    if kind is Kind.TOO_LONG_DOCUMENT:
        text = (
            f"the file is not NDJSON, and as one JSON value it is over {MAX_BATCH_BYTES:,}"
            " bytes, Segment's limit for a batch; it was not read further"
        )
    else:
        text = (
            f"the line is over {MAX_LINE_BYTES:,} bytes; Segment's limit is"
            f" {MAX_MESSAGE_BYTES:,} bytes for a message and {MAX_BATCH_BYTES:,} for a batch"
        )
    return reject([Issue((), "too-large", text)])


def _check_into(
    raw: bytes,
    source: str,
    line: int,
    strict: bool,
    supported: frozenset[str] | None,
    findings: list[Finding],
    tally: Tally,
) -> None:
    """Check the record at ``source:line``; add its rejected messages to ``findings`` and
    every message to ``tally``. A finding's record names the place without the bytes, which
    would travel back from a worker for nothing (and is made only for a finding)."""
    where = Record(source, line, b"")
    if _is_batch(raw):
        result = check_batch(raw, strict=strict, supported=supported)
        if isinstance(result, Rejection):
            findings.append(Finding(where, (), result))
            tally.add(result, source, line, (), (OTHER, None))
            return
        for issue in result.issues:
            tally.count_issue(issue, source, line, ())
        items: list[Any] | None = None
        for index, item in enumerate(result.results):
            labels = None
            if isinstance(item, Rejection):
                findings.append(Finding(where, ("batch", index), item))
                if items is None:  # parsed again only for an envelope with a rejected item
                    items = orjson.loads(raw)["batch"]
                labels = call_and_event(items[index])
            tally.add(item, source, line, ("batch", index), labels)
        return
    single = check(raw, strict=strict, supported=supported)
    if isinstance(single, Rejection):
        findings.append(Finding(where, (), single))
        tally.add(single, source, line, (), raw_labels(raw))
    else:
        tally.add(single, source, line, (), None)


def check_record(
    record: Record, strict: bool, supported: frozenset[str] | None
) -> tuple[int, list[Finding]]:
    """Check one record; return how many messages it held and the rejected ones."""
    findings: list[Finding] = []
    tally = Tally()
    _check_into(record.raw, record.source, record.line, strict, supported, findings, tally)
    return tally.messages, findings


@dataclass(frozen=True, slots=True)
class Outcome:
    """What checking one :class:`~._stream.Block` found: its lines, rejected messages and
    counts, or why its source could not be read on (``error``)."""

    source: str
    lines: int
    findings: list[Finding] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    error: str | None = None
    # A SPAN's outcome: where its bytes start in the file. Its lines are numbered from 1, to be
    # moved on by the lines of the spans before it (:meth:`_Spans.place`).
    span_start: int | None = None


def check_block(block: Block, strict: bool, supported: frozenset[str] | None) -> Outcome:
    """Check every message of a block (in a worker process, or in this one)."""
    if block.kind is Kind.SPAN:
        return _check_span(block, strict, supported)
    # The outcome names its block, not holds it: it goes back from a worker without the bytes.
    source, first = block.source, block.first_line
    outcome = Outcome(source, block.lines)
    if block.kind is Kind.UNREADABLE:
        return Outcome(source, block.lines, error=block.data.decode())
    if block.kind is Kind.DOCUMENT:
        _check_into(block.data, source, 1, strict, supported, outcome.findings, outcome.tally)
        return outcome
    if block.kind is not Kind.LINES:
        rejection = _too_long(block.kind)
        outcome.findings.append(Finding(Record(source, first, b""), (), rejection))
        outcome.tally.add(rejection, source, first, (), (OTHER, None))
        return outcome
    findings, tally = outcome.findings, outcome.tally
    calls, events = tally.by_call, tally.by_event
    clean = 0
    for number, line in enumerate(block.data.split(b"\n"), first):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line or line.isspace():
            continue
        if len(line) > MAX_LINE_BYTES:
            rejection = _too_long(Kind.TOO_LONG_LINE)
            findings.append(Finding(Record(source, number, b""), (), rejection))
            tally.add(rejection, source, number, (), (OTHER, None))
            continue
        # Checked as a message first: searching every line for "batch" costs more than
        # checking an envelope line twice, since replays are mostly lines of one message.
        # Whatever its type, an object with a batch list is an envelope, as it always was.
        result = check(line, strict=strict, supported=supported)
        if isinstance(result, Rejection):
            if b'"batch"' in line and _is_batch(line):
                _check_into(line, source, number, strict, supported, findings, tally)
                continue
            findings.append(Finding(Record(source, number, b""), (), result))
            tally.add(result, source, number, (), raw_labels(line))
        elif "batch" in result.data and _is_batch(line):
            _check_into(line, source, number, strict, supported, findings, tally)
        elif result.issues:
            tally.add(result, source, number, (), None)
        else:
            # The usual line, a message accepted without a word, is counted here.
            clean += 1
            calls[result.type] += 1
            if result.type == "track":
                semantic = result.semantic
                events[CUSTOM_EVENT if semantic is None else semantic.name] += 1
    tally.messages += clean
    tally.accepted += clean
    return outcome


def _check_span(block: Block, strict: bool, supported: frozenset[str] | None) -> Outcome:
    """Read a SPAN's lines from its file and check them: one outcome, numbered from 1."""
    findings: list[Finding] = []
    tally = Tally()
    lines = 0
    error = None
    for part in span_blocks(block):
        found = check_block(part, strict, supported)
        findings.extend(found.findings)
        tally.merge(found.tally)
        lines += found.lines
        error = found.error  # an UNREADABLE part, the last
    return Outcome(block.source, lines, findings, tally, error, block.start)


class _Spans:
    """What the command keeps while it takes SPAN outcomes in input order (a file's spans come
    one after another): the lines of the file's spans before, to move each span's line numbers
    on by, and whether one of them could not read the file, which is said once."""

    def __init__(self) -> None:
        self._lines = 0
        self._failed = False

    def place(self, outcome: Outcome) -> tuple[list[Finding], int, bool]:
        """The outcome's findings as numbered in its file, the lines to move its counts' places
        on by, and whether its error, if it has one, is to be reported."""
        if outcome.span_start is None:
            return outcome.findings, 0, outcome.error is not None
        if outcome.span_start == 0:  # a file's first span
            self._lines, self._failed = 0, False
        offset = self._lines
        self._lines += outcome.lines
        report = outcome.error is not None and not self._failed
        self._failed = self._failed or outcome.error is not None
        if offset:
            return [finding.moved(offset) for finding in outcome.findings], offset, report
        return outcome.findings, 0, report


@dataclass(frozen=True, slots=True)
class Summary:
    """What ``validate`` saw: messages checked, messages rejected, seconds taken, the counts
    by outcome, call, event and rule (``tally``), how many files were read, and the ones that
    could not be read to their end (``unreadable``: file and reason)."""

    total: int
    rejected: int
    seconds: float
    tally: Tally = field(default_factory=Tally)
    files: int = 0
    unreadable: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The ``--summary-json`` object: the tally's counts, the files read and the ones
        that could not be read to their end. Counts, paths and spec names only."""
        return {
            **self.tally.as_json(),
            "files": self.files,
            "unreadable": [{"file": name, "reason": why} for name, why in self.unreadable],
        }

    def text(self) -> str:
        """One line: counts and seconds, and the rate once there is enough to measure it.

        >>> Summary(total=1, rejected=0, seconds=0.004).text()
        '1 message checked, 0 rejected in 0.00 s'
        >>> Summary(total=2_500_000, rejected=1_234, seconds=20.0).text()
        '2,500,000 messages checked, 1,234 rejected in 20.00 s (125,000 messages/s)'
        """
        noun = "message" if self.total == 1 else "messages"
        line = f"{self.total:,} {noun} checked, {self.rejected:,} rejected in {self.seconds:.2f} s"
        # Below a thousand messages or a second, start-up time is most of the time taken, and
        # a rate would say more about the machine than about the input.
        if self.total >= RATE_MIN_MESSAGES and self.seconds >= RATE_MIN_SECONDS:
            line += f" ({self.total / self.seconds:,.0f} messages/s)"
        return line


class _Progress:
    """A one-line progress display on a terminal; silent when there is none."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._start = time.perf_counter()
        self._shown = 0.0

    def update(self, done: int) -> None:
        if self._stream is None:
            return
        now = time.perf_counter()
        if now - self._shown < 0.1:
            return
        self._shown = now
        rate = done / (now - self._start) if now > self._start else 0.0
        self._stream.write(f"\r{done:,} records  {rate:,.0f} records/s ")
        self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _in_order(
    blocks: Iterator[Block], work: Callable[[Block], Outcome], jobs: int
) -> Iterator[Outcome]:
    """Each block's outcome, in input order: in this process for a small input or one job,
    else by ``jobs`` worker processes with at most a few blocks each in flight."""
    if jobs > 1:
        ahead: list[Block] = []
        lines = size = 0
        for block in blocks:
            ahead.append(block)
            lines += block.lines
            size += block.size
            if lines >= PARALLEL_THRESHOLD or size >= PARALLEL_BYTES:
                break
        else:
            jobs = 1  # the whole input is in hand and small: workers would cost more
        if jobs > 1:
            # Checked here, the first block compiles the schemas it meets before the workers
            # start: forked, they have them too, instead of each compiling its own. Only one:
            # while it is checked here no worker runs (the whole read-ahead took 0.7 s of a
            # 7 s run on 2 cores), and a schema it did not meet costs a worker milliseconds.
            yield work(ahead[0])
            ahead = ahead[1:]
        blocks = chain(ahead, blocks)
    if jobs == 1:
        for block in blocks:
            yield work(block)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        in_flight: deque[Future[Outcome]] = deque()
        for block in blocks:
            in_flight.append(pool.submit(work, block))
            if len(in_flight) >= IN_FLIGHT_PER_JOB * jobs:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def validate_files(
    paths: Sequence[str],
    *,
    stdin: BinaryIO,
    strict: bool,
    supported: frozenset[str] | None,
    jobs: int,
    as_json: bool,
    out: TextIO,
    progress: TextIO | None,
    errors: TextIO | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Summary:
    """Check every message of every path (``-``: ``stdin``; a directory: the files under it),
    print one line per rejected message to ``out``, and one per source that cannot be read
    to its end to ``errors``. Raises :class:`UsageError` for a path that does not exist."""
    start = time.perf_counter()
    try:
        files = expand_paths(paths)
    except OSError as error:
        raise UsageError(f"cannot read {error.filename}: {error.strerror or error}") from None
    # With workers, a long plain file goes out as spans that each worker reads itself: the
    # lines do not pass through the pipe (about 7% of a worker's time when they did).
    blocks = (
        block for path in files for block in source_blocks(path, stdin, block_bytes, spans=jobs > 1)
    )
    work = partial(check_block, strict=strict, supported=supported)
    display = _Progress(progress)
    tally = Tally()
    unreadable: list[tuple[str, str]] = []
    done = 0
    spans = _Spans()
    for outcome in _in_order(blocks, work, jobs):
        findings, offset, report = spans.place(outcome)
        for finding in findings:
            out.write(finding.line(as_json) + "\n")
        tally.merge(outcome.tally, line_offset=offset)
        if report and outcome.error is not None:
            unreadable.append((outcome.source, outcome.error))
            if errors is not None:
                errors.write(f"segment-spec: cannot read {outcome.source}: {outcome.error}\n")
        done += outcome.lines
        display.update(done)
    display.close()
    seconds = time.perf_counter() - start
    return Summary(tally.messages, tally.rejected, seconds, tally, len(files), tuple(unreadable))
