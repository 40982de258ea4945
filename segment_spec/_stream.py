"""Read inputs as streams: files, directories, standard input, gzip and zstandard, in blocks.

A source is cut into :class:`Block` s of whole lines (NDJSON) without ever being read whole:
memory stays bounded by the block size and Segment's batch limit, whatever the source's size.
A source of at most 500 KiB that is one JSON value (a message or a batch envelope, possibly
pretty-printed over many lines) is one block; a longer one that is not NDJSON is refused.
Compression is told by magic bytes, not by the file's name.

For worker processes, a long plain NDJSON file may instead be cut into SPAN blocks: byte ranges
that each worker reads from the file itself (:func:`span_blocks`), so the lines never pass
through the pipe to the workers. A span holds the lines that start in it, the last one read on
to its end; its line numbers count from 1, and the command moves them on in input order.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO, cast

import orjson

from ._parse import MAX_BATCH_BYTES

__all__ = [
    "BLOCK_BYTES",
    "MAX_LINE_BYTES",
    "Block",
    "Kind",
    "expand_paths",
    "read_blocks",
    "source_blocks",
    "span_blocks",
]

# About 600 messages a block: enough work to pay for a trip to a worker, small enough that a
# few blocks in flight per worker cost a few megabytes.
BLOCK_BYTES = 512 * 1024
# The longest line worth reading: a batch envelope may be this long; a single message is
# refused above 32 KiB by check itself.
MAX_LINE_BYTES = MAX_BATCH_BYTES
# How many lines of a long source's start may fail to parse before it is taken for one
# pretty-printed JSON value rather than NDJSON with broken lines.
_PROBE_LINES = 10

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

Read = Callable[[int], bytes]


class Kind(Enum):
    """What a :class:`Block` holds."""

    LINES = "lines"  # whole lines, NDJSON
    DOCUMENT = "document"  # one JSON value, the whole source
    TOO_LONG_LINE = "too-long-line"  # a line over MAX_LINE_BYTES, skipped
    TOO_LONG_DOCUMENT = "too-long-document"  # one JSON value over MAX_LINE_BYTES, not read
    UNREADABLE = "unreadable"  # the source cannot be read on from here; data is the reason
    SPAN = "span"  # bytes start to end of a plain file, read by whoever checks the block


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of one source: its name, the number of its first line, its kind, its bytes
    and how many lines it covers (a final line without a newline counts).

    >>> Block.of_lines("a.ndjson", 1, b'{"type": "track"}\\n{}').lines
    2
    """

    source: str
    first_line: int
    kind: Kind
    data: bytes = b""
    lines: int = 1
    start: int = 0  # a SPAN's bytes in the file: start to end
    end: int = 0

    @property
    def size(self) -> int:
        """The bytes the block covers: its data, or a SPAN's range in its file."""
        return self.end - self.start if self.kind is Kind.SPAN else len(self.data)

    @classmethod
    def of_lines(cls, source: str, first_line: int, data: bytes) -> Block:
        """A LINES block, its lines counted."""
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        return cls(source, first_line, Kind.LINES, data, lines)


class _Prefixed:
    """A stream whose first bytes were already read to tell its compression."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = prefix
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size < 0:
                head, self._prefix = self._prefix, b""
                return head + self._rest.read()
            head, self._prefix = self._prefix[:size], self._prefix[size:]
            return head
        return self._rest.read(size)

    def seek(self, offset: int, /) -> int:
        # gzip asks for it only to rewind, which a replay never does.
        raise io.UnsupportedOperation("a replayed stream is read once, forward")


def _decompressed(name: str, raw: BinaryIO) -> tuple[Read, Callable[[], None] | None]:
    """The read function of a source's content, uncompressed, and the one that closes it."""
    magic = raw.read(4)
    stream = _Prefixed(magic, raw)
    compression = _compression(magic)
    if compression == "gzip":
        unzipped = gzip.GzipFile(filename=name, mode="rb", fileobj=stream)
        # read1: one step of decompression a call, so a corrupt stream loses no earlier line.
        return unzipped.read1, unzipped.close
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:
            raise _SourceError(
                "it is zstandard-compressed, and reading that needs the zstandard package"
                " (pip install 'segment-spec[zstd]')"
            ) from None
        source = cast(BinaryIO, stream)  # it has the read method zstandard needs
        reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
        return reader.read1, reader.close
    return stream.read, None


def _compression(head: bytes) -> str | None:
    """How a source's content is compressed, told by its first bytes: "gzip", "zstd" or None."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZSTD_MAGIC):
        return "zstd"
    return None


class _SourceError(Exception):
    """Why a source cannot be read on: becomes an UNREADABLE block."""


def _read_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error)
    try:
        import zstandard
    except ImportError:
        return errors
    return (*errors, zstandard.ZstdError)


def _reason(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "the compressed stream is truncated"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"the compressed stream is corrupt ({error})"


def expand_paths(paths: Sequence[str]) -> list[str]:
    """The files to read: each path, with a directory replaced by the files under it.

    A directory is walked recursively in sorted order, hidden files and folders (a name that
    starts with ``.``) left out; ``-`` (standard input) stays as it is. Raises ``OSError``
    for a path that does not exist, or a directory that holds no file.
    """
    found: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            if path != "-":
                os.stat(path)  # raises for a missing path
            found.append(path)
            continue
        files: list[str] = []
        for folder, folders, names in os.walk(path):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            files.extend(os.path.join(folder, n) for n in sorted(names) if not n.startswith("."))
        if not files:
            raise FileNotFoundError(0, "the directory holds no file", path)
        found.extend(files)
    return found


def source_blocks(
    path: str, stdin: BinaryIO, block_bytes: int = BLOCK_BYTES, spans: bool = False
) -> Iterator[Block]:
    """The blocks of one file (``-``: standard input), ending with an UNREADABLE block if the
    file cannot be read to its end (what was read before is checked); never raises for a bad
    file. With ``spans``, a long plain NDJSON file is given as SPAN blocks instead (for worker
    processes: :func:`span_blocks` reads each)."""
    name = "<stdin>" if path == "-" else path
    try:
        raw = stdin if path == "-" else open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        yield Block(name, 1, Kind.UNREADABLE, _reason(error).encode())
        return
    try:
        if spans and raw is not stdin:
            size = _spanned_size(raw)
            if size is not None:
                for start in range(0, size, block_bytes):
                    yield Block(name, 1, Kind.SPAN, lines=0, start=start, end=start + block_bytes)
                return
        try:
            read, close = _decompressed(name, raw)
        except _SourceError as error:
            yield Block(name, 1, Kind.UNREADABLE, str(error).encode())
            return
        guarded = _Guarded(read)
        line = 1
        try:
            for block in read_blocks(name, guarded.read, block_bytes):
                line = block.first_line + block.lines
                yield block
        finally:
            if close is not None:
                close()
        if guarded.error is not None:
            reason = _reason(guarded.error)
            if line > 1:
                reason += f" after line {line - 1:,}"
            yield Block(name, line, Kind.UNREADABLE, reason.encode())
    finally:
        if raw is not stdin:
            raw.close()


def _spanned_size(raw: BinaryIO) -> int | None:
    """The size of a file that can be cut into spans (a regular file, not compressed, longer
    than one line may be, and NDJSON by its start), or None, ``raw`` rewound, when it is to be
    read as a stream: a short file may be one JSON value, and a long one that is not NDJSON
    is refused as one, both from the stream."""
    try:
        info = os.fstat(raw.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        head = _read_head(raw.read, MAX_LINE_BYTES + 1)
        raw.seek(0)
    except (OSError, io.UnsupportedOperation, ValueError):
        return None  # the stream will meet the same error, and say it
    if len(head) <= MAX_LINE_BYTES or _compression(head) or not _looks_like_lines(head):
        return None
    return info.st_size


# Past a span's end, its last line is read on in steps that start at this size and double:
# a line is usually a few hundred bytes, and reading a whole block for it read each span's
# bytes about twice (once more by the span after, looking for its first line).
_STEP_BYTES = 4096


class _SpanRead:
    """The read function of a span: its bytes from the start of its first line, then on to
    the end of the line that crosses its end, then nothing."""

    def __init__(self, file: BinaryIO, end: int) -> None:
        self._file = file
        self._left = end - file.tell()
        self._done = self._left <= 0
        self._step = _STEP_BYTES

    def read(self, size: int) -> bytes:
        if self._done:
            return b""
        if self._left > 0:
            chunk = self._file.read(min(size, self._left))
            self._left -= len(chunk)
            if not chunk or (self._left == 0 and chunk.endswith(b"\n")):
                self._done = True  # the end of the file, or the span ends with a line
            elif self._left == 0:
                # The span ends inside a line, which usually ends within a step: given with
                # the rest, the span's lines come in one piece, not a block and a line.
                return chunk + self._crossing(self._step)
            return chunk
        return self._crossing(size)

    def _crossing(self, size: int) -> bytes:
        """Up to ``size`` more bytes of the line that crosses the span's end, to its end."""
        chunk = self._file.read(min(size, self._step))
        self._step *= 2
        cut = chunk.find(b"\n")
        if not chunk or cut >= 0:
            self._done = True
            return chunk[: cut + 1] if cut >= 0 else chunk
        return chunk


def span_blocks(block: Block, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """The blocks of whole lines of a SPAN block, read from its file: the lines that start
    within its range, numbered from 1 (the caller moves them on by the lines of the spans
    before it). Ends with an UNREADABLE block if the file cannot be read; never raises."""
    name = block.source
    line = 1
    try:
        with open(name, "rb") as file:
            if block.start:
                file.seek(block.start - 1)
                if file.read(1) != b"\n":  # inside a line: it is the span before's
                    # Looked for within the span only: a line longer than many spans is read
                    # on by the span it starts in, not by each span it crosses.
                    after = _after_newline(file, block.end, block_bytes)
                    if after is None:
                        return  # no line starts in this span
                    file.seek(after)
            for part in _line_blocks(name, _SpanRead(file, block.end).read, b"", block_bytes):
                line = part.first_line + part.lines
                yield part
    except OSError as error:
        reason = _reason(error)
        if line > 1:
            reason += f" after line {line - 1:,} of its part from byte {block.start:,}"
        yield Block(name, line, Kind.UNREADABLE, reason.encode())


def _after_newline(file: BinaryIO, end: int, block_bytes: int) -> int | None:
    """Where the line after the one ``file`` is inside starts, if before ``end``."""
    at = file.tell()
    step = min(_STEP_BYTES, block_bytes)
    while at < end:
        chunk = file.read(min(step, end - at))
        if not chunk:
            return None
        cut = chunk.find(b"\n")
        if cut >= 0:
            return at + cut + 1 if at + cut + 1 < end else None
        at += len(chunk)
        step = min(step * 2, block_bytes)
    return None


class _Guarded:
    """A read function that ends the stream at a read error, and keeps the error."""

    def __init__(self, read: Read) -> None:
        self._read = read
        self._errors = _read_errors()
        self.error: BaseException | None = None

    def read(self, size: int) -> bytes:
        if self.error is not None:
            return b""
        try:
            return self._read(size)
        except self._errors as error:
            self.error = error
            return b""


def _read_head(read: Read, size: int) -> bytes:
    parts = []
    left = size
    while left > 0:
        part = read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _is_document(content: bytes) -> bool:
    """Whether a whole source (short enough to hold) is one JSON value rather than lines."""
    stripped = content.strip()
    if not stripped:
        return False
    if b"\n" not in stripped:
        return True
    try:
        orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return False
    return True


def _looks_like_lines(head: bytes) -> bool:
    """Whether the start of a long source reads as NDJSON: one of its first lines parses."""
    if b"\n" not in head:
        return True  # one very long first line: reported as such, then lines
    tried = 0
    for line in head.split(b"\n")[:-1]:  # the last piece may be cut short
        if line.isspace() or not line:
            continue
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            tried += 1
            if tried >= _PROBE_LINES:
                return False
            continue
        return True
    return tried == 0  # nothing but blank lines so far: lines, as far as anyone can tell


def read_blocks(name: str, read: Read, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """Cut a stream into blocks of whole lines, or one DOCUMENT block for a single JSON value.

    ``read(n)`` returns up to ``n`` bytes, ``b""`` at the end. A line over
    :data:`MAX_LINE_BYTES` is skipped in pieces and given as a TOO_LONG_LINE block, so no more
    than about ``block_bytes + MAX_LINE_BYTES`` bytes are ever held.

    >>> import io
    >>> [(b.first_line, b.kind.value) for b in read_blocks("x", io.BytesIO(b"{}\\n{}").read)]
    [(1, 'lines')]
    >>> [(b.kind.value, b.data) for b in read_blocks("x", io.BytesIO(b'{\\n "a": 1\\n}\\n').read)]
    [('document', b'{\\n "a": 1\\n}')]
    """
    head = _read_head(read, MAX_LINE_BYTES + 1)
    if len(head) <= MAX_LINE_BYTES:
        if _is_document(head):
            yield Block(name, 1, Kind.DOCUMENT, head.strip())
            return
        if head:
            yield Block.of_lines(name, 1, head)
        return
    if not _looks_like_lines(head):
        yield Block(name, 1, Kind.TOO_LONG_DOCUMENT)
        return
    yield from _line_blocks(name, read, head, block_bytes)


def _line_blocks(name: str, read: Read, pending: bytes, block_bytes: int) -> Iterator[Block]:
    line = 1
    eof = False
    while pending or not eof:
        if not eof and len(pending) < block_bytes:
            parts = [pending] if pending else []  # one part is joined without a copy
            size = len(pending)
            while size < block_bytes:
                more = read(block_bytes - size)
                if not more:
                    eof = True
                    break
                parts.append(more)
                size += len(more)
            pending = b"".join(parts)
        cut = len(pending) if eof else pending.rfind(b"\n") + 1
        if cut:
            block = Block.of_lines(name, line, pending[:cut])
            pending = pending[cut:]
            yield block
            line += block.lines
            continue
        # A line longer than a block: read on to its end, up to the limit.
        if len(pending) <= MAX_LINE_BYTES:
            more = read(block_bytes)
            if more:
                pending += more
            else:
                eof = True
            continue
        yield Block(name, line, Kind.TOO_LONG_LINE)
        line += 1
        pending, eof = _skip_line(read, pending, block_bytes)


def _skip_line(read: Read, pending: bytes, block_bytes: int) -> tuple[bytes, bool]:
    """Drop the rest of a line; return what follows its newline and whether the stream ended."""
    while True:
        end = pending.find(b"\n")
        if end >= 0:
            return pending[end + 1 :], False
        pending = read(block_bytes)
        if not pending:
            return b"", True
