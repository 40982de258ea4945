"""Replays in partitions: check part of a replay anywhere, then combine the parts in order.

The building blocks of ``segment-spec validate`` for an engine that runs many tasks (Dask, Spark,
a queue of jobs): each task checks one partition, whole files or a run of lines, into a
:class:`Part`, and :func:`combine` adds the parts up, in input order, into the part of the whole
replay. Its :meth:`Part.summary` is the ``--summary-json`` object that the local run of
``segment-spec validate`` writes for the same input. Files are read exactly as the command reads
them (gzip, zstandard, plain NDJSON, one JSON message or batch envelope); nothing here needs
Dask or Spark. :func:`expand_paths` lists the files under some paths as the command walks them,
to deal out one file a partition.

A partition of lines does not need to know where it starts: its line numbers count from 1, and
:func:`combine` moves them on by the lines of the partitions of the same source before it.

>>> lines = ['{"type": "track", "event": "Signed Up", "userId": "u1"}', '{"type": "group"}']
>>> parts = [check_lines(run, source="day.ndjson") for run in (lines[:1], lines[1:])]
>>> whole = combine(parts)
>>> whole.summary()["rejected"], whole.summary()["by_rule"][0]["first"][0]["line"]
(1, 2)
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._files import Finding, Summary, check_block
from ._stream import BLOCK_BYTES, Block, Kind, expand_paths, source_blocks
from ._tally import Tally

__all__ = ["Finding", "Part", "check_files", "check_lines", "combine", "expand_paths"]


@dataclass(frozen=True, slots=True)
class Part:
    """What checking a partition of a replay found.

    ``tally`` holds its counts, ``lines`` how many lines it covered, ``files`` how many files it
    read, ``unreadable`` the files it could not read to their end (file and reason),
    ``findings`` its rejected messages in input order when they were asked for (each has
    ``as_text()`` and ``as_json()``, the lines ``segment-spec validate`` prints), and ``source``
    names the stream whose lines a part of :func:`check_lines` numbers from 1 (None for whole
    files). Read the figures with :meth:`summary`.

    >>> Part().summary()["messages"]
    0
    """

    tally: Tally = field(default_factory=Tally)
    lines: int = 0
    files: int = 0
    unreadable: tuple[tuple[str, str], ...] = ()
    findings: tuple[Finding, ...] = ()
    source: str | None = None

    @property
    def messages(self) -> int:
        """How many messages the part checked."""
        return self.tally.messages

    @property
    def rejected(self) -> int:
        """How many of them were rejected."""
        return self.tally.rejected

    def as_summary(self, seconds: float = 0.0) -> Summary:
        """The part as the summary of a ``validate`` run that took ``seconds``."""
        return Summary(
            self.tally.messages,
            self.tally.rejected,
            seconds,
            self.tally,
            self.files,
            self.unreadable,
        )

    def summary(self) -> dict[str, Any]:
        """The ``--summary-json`` object: counts by outcome, status, call type, event, keyword
        and rule with each rule's first places, the files read and the unreadable ones. Counts,
        paths and spec names only, never a submitted value."""
        return self.as_summary().as_json()


def check_files(
    paths: Sequence[str],
    *,
    strict: bool = False,
    supported: frozenset[str] | None = None,
    findings: bool = False,
) -> Part:
    """Check every message of the files (a directory: the files under it, as the command walks
    it), in order; keep the rejected messages in ``findings`` if asked. Line numbers are the
    files' own, so the parts of different files combine in any grouping. Raises ``OSError``
    for a path that does not exist and ``ValueError`` for ``-``: a partition has no standard
    input.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     day = pathlib.Path(folder, "a.ndjson")
    ...     _ = day.write_text('{"type": "identify", "userId": "u1"}\\n{"type": "x"}\\n')
    ...     part = check_files([folder], findings=True)
    >>> part.files, part.messages, part.rejected
    (1, 2, 1)
    >>> print(part.findings[0].as_text())
    /.../a.ndjson:2: $.type: 501 type must name a Segment call (...); other call types are ...
    """
    if "-" in paths:
        raise ValueError("a partition cannot read standard input: give files")
    files = expand_paths(paths)
    tally = Tally()
    unreadable: list[tuple[str, str]] = []
    kept: list[Finding] = []
    lines = 0
    nothing = io.BytesIO()
    for path in files:
        for block in source_blocks(path, nothing):
            outcome = check_block(block, strict, supported)
            tally.merge(outcome.tally)
            lines += outcome.lines
            if findings:
                kept.extend(outcome.findings)
            if outcome.error is not None:
                unreadable.append((outcome.source, outcome.error))
    return Part(tally, lines, len(files), tuple(unreadable), tuple(kept))


def check_lines(
    lines: Iterable[str | bytes],
    *,
    source: str = "<lines>",
    strict: bool = False,
    supported: frozenset[str] | None = None,
    findings: bool = False,
) -> Part:
    """Check a run of NDJSON lines (one line an element, its newline optional) of the stream
    named ``source``, numbered from 1; :func:`combine` moves the numbers on past the parts of
    ``source`` before it. Empty lines count, as in a file. Lines are checked as the command
    checks a file's lines (a line that is a batch envelope is checked item by item); a
    partition does not tell a pretty-printed JSON document apart from lines.

    >>> part = check_lines(["", '{"type": "page", "userId": "u1"}\\n', b'{"type": "alias"}'])
    >>> part.lines, part.messages, part.rejected
    (3, 2, 1)
    >>> check_lines(['{"type": "alias"}\\n{}', "\\udcff"]).lines  # as a file of these lines
    3
    """
    tally = Tally()
    kept: list[Finding] = []
    chunk: list[bytes] = []
    size = 0
    count = 0  # the lines of the chunk: an element with a newline inside holds several
    first = 1

    def flush() -> None:
        data = b"\n".join(chunk)
        outcome = check_block(Block(source, first, Kind.LINES, data, count), strict, supported)
        tally.merge(outcome.tally)
        if findings:
            kept.extend(outcome.findings)

    for element in lines:
        line = _as_bytes(element)
        if line.endswith(b"\n"):
            line = line[:-1]
        chunk.append(line)
        size += len(line) + 1
        count += 1 + line.count(b"\n")
        if size >= BLOCK_BYTES:
            flush()
            first += count
            chunk, size, count = [], 0, 0
    if chunk:
        flush()
        first += count
    return Part(tally, first - 1, 1, (), tuple(kept), source)


def _as_bytes(element: str | bytes) -> bytes:
    """A line as the bytes it was read from: text read with ``errors="surrogateescape"`` gets
    its undecodable bytes back, and a lone surrogate stays invalid UTF-8, which the check
    reports (a partition never raises on what a line holds)."""
    if isinstance(element, bytes):
        return element
    try:
        return element.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return element.encode("utf-8", "surrogatepass")


def combine(parts: Iterable[Part]) -> Part:
    """The parts added up in the order given, which must be the input's: each rule keeps its
    first places in that order, and a part of :func:`check_lines` has its line numbers moved
    on by the lines of the earlier parts of its source. Each source of lines counts as one
    file. The parts are left as they were; the parts of one source of lines combine into a part
    of that source, so combining is associative, as a tree reduction needs.

    >>> runs = [['{"type": "alias"}'], ['{}', '{"type": "alias"}']]
    >>> combine(check_lines(run) for run in runs).lines
    3
    """
    tally = Tally()
    lines = files = 0
    unreadable: list[tuple[str, str]] = []
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    whole_files = False
    for part in parts:
        offset = 0
        if part.source is None:
            whole_files = True
            files += part.files
        elif part.source in seen:
            offset = seen[part.source]
        else:
            files += part.files
        if part.source is not None:
            seen[part.source] = offset + part.lines
        tally.merge(part.tally, line_offset=offset)
        lines += part.lines
        unreadable.extend(part.unreadable)
        findings.extend(f.moved(offset) if offset else f for f in part.findings)
    # The parts of one stream of lines combine into a part of that stream, which combines on.
    source = next(iter(seen)) if len(seen) == 1 and not whole_files else None
    return Part(tally, lines, files, tuple(unreadable), tuple(findings), source)
