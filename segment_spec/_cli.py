"""The ``segment-spec`` command: validate and normalize files of Segment messages.

Files hold one JSON message, one batch envelope (``{"batch": [...]}``), or NDJSON (one of those
per line). ``-`` reads standard input.

Exit status: 0 when every message is valid, 1 when any is rejected, 2 on a usage error (bad
arguments, a file that cannot be read).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from ._check import check, check_batch
from ._conformance import add_conformance_arguments, run_conformance
from ._issue import Issue, json_path
from ._normalize import normalize
from ._reply import Rejection
from ._select import CALL_TYPES
from ._send import add_send_arguments, run_send

__all__ = ["main"]


@dataclass(frozen=True, slots=True)
class Record:
    """One JSON text to check: where it came from and its bytes."""

    source: str
    line: int
    raw: bytes


class UsageError(Exception):
    """A problem with the command line or an unreadable file (exit status 2)."""


def _read(path: str, stdin: BinaryIO) -> bytes:
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


def _validate(args: argparse.Namespace, stdin: BinaryIO) -> int:
    supported = frozenset(args.supported) if args.supported else None
    total = 0
    rejected = 0
    out = sys.stdout
    for path in args.paths:
        content = _read(path, stdin)
        source = "<stdin>" if path == "-" else path
        for record in records(source, content):
            count, findings = check_record(record, args.strict, supported)
            total += count
            rejected += len(findings)
            for finding in findings:
                if args.json:
                    out.write(orjson.dumps(finding.as_json()).decode() + "\n")
                else:
                    out.write(finding.as_text() + "\n")
    print(f"{total} message(s) checked, {rejected} rejected", file=sys.stderr)
    return 1 if rejected else 0


def _normalize(args: argparse.Namespace, stdin: BinaryIO) -> int:
    failed = False
    for path in args.paths:
        content = _read(path, stdin)
        source = "<stdin>" if path == "-" else path
        for record in records(source, content):
            try:
                value = orjson.loads(record.raw)
            except orjson.JSONDecodeError as error:
                print(f"{source}:{record.line}: not valid JSON ({error.msg})", file=sys.stderr)
                failed = True
                continue
            result = normalize(value)
            for issue in result.issues:
                print(f"{source}:{record.line}: {issue}", file=sys.stderr)
            option = orjson.OPT_INDENT_2 if args.pretty else 0
            sys.stdout.write(orjson.dumps(result.value, option=option).decode() + "\n")
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segment-spec",
        description="Check and normalize Segment messages against the Segment Spec.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check JSON or NDJSON files of messages; print one line per rejected message",
        description="Check messages; exit 0 when all are valid, 1 when any is rejected.",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="a .json/.ndjson file or -")
    validate.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    validate.add_argument(
        "--strict", action="store_true", help="reject messages that only have warnings"
    )
    validate.add_argument(
        "--supported",
        # Repeated, not nargs="+": a list option would swallow the paths that follow it.
        action="append",
        choices=CALL_TYPES,
        metavar="CALL",
        help="a call type the destination supports; repeat for several (others get 501)",
    )

    norm = commands.add_parser(
        "normalize",
        help="print messages with every key in snake_case",
        description="Print each message with its keys in snake_case (collisions on stderr).",
    )
    norm.add_argument("paths", nargs="+", metavar="PATH", help="a .json/.ndjson file or -")
    norm.add_argument("--pretty", action="store_true", help="indent the output")

    send = commands.add_parser(
        "send",
        help="POST messages to a receiver the way Segment does, one per request",
        description="POST each message with Segment's headers; exit 1 when any reply is not 2xx.",
    )
    add_send_arguments(send)
    conformance = commands.add_parser(
        "conformance",
        help="grade a receiver against Segment's Direct destination contract",
        description="Send probe messages and grade the replies; exit 0 only when all pass.",
    )
    add_conformance_arguments(conformance)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    stdin = sys.stdin.buffer
    try:
        if args.command == "validate":
            return _validate(args, stdin)
        if args.command == "send":
            return run_send(args, stdin)
        if args.command == "conformance":
            return run_conformance(args)
        return _normalize(args, stdin)
    except UsageError as error:
        print(f"segment-spec: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
