"""Validate files: check every message of JSON and NDJSON files, in parallel when they are big.

Used by ``segment-spec validate``. A file holds one JSON message, one batch envelope, or NDJSON.
Large inputs are cut into chunks of lines checked by worker processes (``--jobs``); findings
come back in input order. On a terminal a progress line is kept up to date on stderr; piped,
nothing extra is printed. The summary gives the messages per second.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

import orjson

from ._check import check, check_batch
from ._issue import Issue, json_path
from ._reply import Rejection

__all__ = [
    "Finding",
    "Record",
    "Summary",
    "UsageError",
    "check_record",
    "read_input",
    "records",
    "validate_files",
]

# Below this many records one process is faster than starting workers.
PARALLEL_THRESHOLD = 4000
CHUNK = 1000


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
        return self.rejection.issues[0]

    def as_text(self) -> str:
        issue = self.first()
        where = json_path((*self.prefix, *issue.path))
        return (
            f"{self.record.source}:{self.record.line}: {where}: "
            f"{self.rejection.status} {self.rejection.body['message']}"
        )

    def as_json(self) -> dict[str, Any]:
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


def check_record(
    record: Record, strict: bool, supported: frozenset[str] | None
) -> tuple[int, list[Finding]]:
    """Check one record; return how many messages it held and the rejected ones."""
    if _is_batch(record.raw):
        result = check_batch(record.raw, strict=strict, supported=supported)
        if isinstance(result, Rejection):
            return 1, [Finding(record, (), result)]
        findings = [
            Finding(record, ("batch", index), rejection) for index, rejection in result.rejections
        ]
        return len(result.results), findings
    single = check(record.raw, strict=strict, supported=supported)
    if isinstance(single, Rejection):
        return 1, [Finding(record, (), single)]
    return 1, []


def check_chunk(
    chunk: Sequence[Record], strict: bool, supported: frozenset[str] | None
) -> tuple[int, list[Finding]]:
    """Check a run of records (in a worker process); return the count and the findings."""
    total = 0
    found: list[Finding] = []
    for record in chunk:
        count, findings = check_record(record, strict, supported)
        total += count
        found.extend(findings)
    return total, found


@dataclass(frozen=True, slots=True)
class Summary:
    """What ``validate`` saw: messages checked, messages rejected, seconds taken."""

    total: int
    rejected: int
    seconds: float

    def text(self) -> str:
        rate = self.total / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.total} message(s) checked, {self.rejected} rejected "
            f"in {self.seconds:.2f} s ({rate:,.0f} messages/s)"
        )


class _Progress:
    """A one-line progress display on a terminal; silent when there is none."""

    def __init__(self, stream: TextIO | None, total: int) -> None:
        self._stream = stream
        self._total = total
        self._start = time.perf_counter()
        self._shown = 0.0

    def update(self, done: int) -> None:
        if self._stream is None:
            return
        now = time.perf_counter()
        if now - self._shown < 0.1 and done < self._total:
            return
        self._shown = now
        rate = done / (now - self._start) if now > self._start else 0.0
        self._stream.write(f"\r{done:,}/{self._total:,} records  {rate:,.0f} records/s ")
        self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _chunks(items: list[Record], size: int) -> Iterator[list[Record]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def validate_files(
    sources: Sequence[tuple[str, bytes]],
    *,
    strict: bool,
    supported: frozenset[str] | None,
    jobs: int,
    as_json: bool,
    out: TextIO,
    progress: TextIO | None,
) -> Summary:
    """Check every record of every source, print one line per rejected message to ``out``."""
    start = time.perf_counter()
    all_records = [record for name, content in sources for record in records(name, content)]
    display = _Progress(progress, len(all_records))
    total = rejected = done = 0

    def report(count: int, findings: list[Finding], size: int) -> None:
        nonlocal total, rejected, done
        total += count
        rejected += len(findings)
        done += size
        for finding in findings:
            line = orjson.dumps(finding.as_json()).decode() if as_json else finding.as_text()
            out.write(line + "\n")
        display.update(done)

    if jobs > 1 and len(all_records) >= PARALLEL_THRESHOLD:
        chunks = list(_chunks(all_records, CHUNK))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = pool.map(
                check_chunk, chunks, [strict] * len(chunks), [supported] * len(chunks)
            )
            for chunk, (count, findings) in zip(chunks, outcomes, strict=True):
                report(count, findings, len(chunk))
    else:
        for record in all_records:
            count, findings = check_record(record, strict, supported)
            report(count, findings, 1)
    display.close()
    return Summary(total, rejected, time.perf_counter() - start)
