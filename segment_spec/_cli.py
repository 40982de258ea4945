"""The ``segment-spec`` command: validate, normalize, sample, send and conformance.

``validate`` and ``normalize`` read files that hold one JSON message, one batch envelope
(``{"batch": [...]}``), or NDJSON (one of those per line); ``-`` reads standard input.
``validate --scheduler ADDRESS`` checks the files on a Dask cluster instead (``dask.py``).
``sample NAME`` prints an example message (``sample --list`` the names); ``send`` and
``conformance`` play Segment against a receiver (see docs/testing-your-destination.md).

Exit status: 0 when every message is valid, 1 when any is rejected, 2 on a usage error (bad
arguments, a file that cannot be read).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import msgspec
import orjson

from . import __version__
from ._catalog import UnknownSchemaName
from ._conformance import add_conformance_arguments, run_conformance
from ._files import Summary, UsageError, read_input, records, validate_files
from ._issue import Issue
from ._normalize import Normalizer
from ._parse import decode
from ._report import render_report
from ._sample import sample, sample_names
from ._select import CALL_TYPES
from ._send import add_send_arguments, run_send
from ._stream import expand_paths
from .exceptions import ClusterNotReady, SchedulerUnreachable
from .replay import Part, combine

__all__ = ["main"]


def _validate(args: argparse.Namespace, stdin: BinaryIO) -> int:
    supported = frozenset(args.supported) if args.supported else None
    for target in (args.summary_json, args.report):
        if target is not None:
            _check_writable(target)
    if args.scheduler is not None:
        summary = _validate_on_cluster(args, supported)
    else:
        summary = _validate_here(args, stdin, supported)
    print(summary.text(), file=sys.stderr)
    if args.summary_json is not None or args.report is not None:
        figures = summary.as_json()
        if args.summary_json is not None:
            _write(args.summary_json, orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
        if args.report is not None:
            _write(args.report, render_report(figures).encode())
    if summary.unreadable:
        return 2
    return 1 if summary.rejected else 0


def _validate_here(
    args: argparse.Namespace, stdin: BinaryIO, supported: frozenset[str] | None
) -> Summary:
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    return validate_files(
        args.paths,
        stdin=stdin,
        strict=args.strict,
        supported=supported,
        jobs=jobs,
        as_json=args.json,
        out=sys.stdout,
        progress=sys.stderr if sys.stderr.isatty() else None,
        errors=sys.stderr,
    )


def _validate_on_cluster(args: argparse.Namespace, supported: frozenset[str] | None) -> Summary:
    """The local run's output, from one task a file on the Dask cluster at --scheduler."""
    if args.jobs is not None:
        raise UsageError("--jobs is for a local run; the cluster's workers do the checking")
    if "-" in args.paths:
        raise UsageError("--scheduler reads files: standard input (-) is read only locally")
    try:
        from . import dask as on_dask
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'segment-spec[dask]'") from None
    start = time.perf_counter()
    try:
        files = expand_paths(args.paths)  # before connecting: a typo costs no wait
    except OSError as error:
        raise UsageError(f"cannot read {error.filename}: {error.strerror or error}") from None
    if args.scheduler_timeout <= 0:
        raise UsageError("--scheduler-timeout must be more than 0 seconds")
    try:
        client = on_dask.connect(args.scheduler, timeout=args.scheduler_timeout)
    except SchedulerUnreachable as error:
        raise UsageError(str(error)) from None
    with client:
        parts = on_dask.iter_file_parts(
            files,
            client=client,
            strict=args.strict,
            supported=supported,
            findings=True,
            timeout=args.scheduler_timeout,
        )
        try:
            whole = combine(_printed(parts, args.json))
        except ClusterNotReady as error:
            raise UsageError(str(error)) from None
        except Exception as error:  # a task failed on a worker: the likely causes are there
            raise UsageError(
                f"a task failed on the cluster ({type(error).__name__}: {error}); every worker"
                " needs segment-spec[dask] installed and the files at the same paths"
            ) from None
    return whole.as_summary(time.perf_counter() - start)


def _printed(parts: Iterator[Part], as_json: bool) -> Iterator[Part]:
    """The parts, each one's findings and unreadable files printed as the local run prints
    them, as it passes."""
    for part in parts:
        for finding in part.findings:
            sys.stdout.write(finding.line(as_json) + "\n")
        for source, reason in part.unreadable:
            print(f"segment-spec: cannot read {source}: {reason}", file=sys.stderr)
        yield part


def _check_writable(path: str) -> None:
    # Before a replay that may take hours, not after it.
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: Is a directory")
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path}: No such file or directory")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write {path}: Permission denied")


def _write(path: str, content: bytes) -> None:
    try:
        with open(path, "wb") as handle:
            handle.write(content)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _normalize(args: argparse.Namespace, stdin: BinaryIO) -> int:
    failed = False
    normalizer = Normalizer()  # this run's memos
    for path in args.paths:
        content = read_input(path, stdin)
        source = "<stdin>" if path == "-" else path
        for record in records(source, content):
            # msgspec reads every integer exactly, and writes it back so.
            value = decode(record.raw)
            if isinstance(value, Issue):
                reason = value.message.removeprefix("the body is ")
                print(f"{source}:{record.line}: {reason}", file=sys.stderr)
                failed = True
                continue
            # Parsed here, the value is a tree of JSON types: the fast way may normalize it.
            normalized, issues = normalizer.parts(value, owned=True)
            for issue in issues:
                print(f"{source}:{record.line}: {issue}", file=sys.stderr)
            encoded = msgspec.json.encode(normalized)
            if args.pretty:
                encoded = msgspec.json.format(encoded, indent=2)
            sys.stdout.write(encoded.decode() + "\n")
    return 1 if failed else 0


def _sample(args: argparse.Namespace) -> int:
    if args.list:
        if args.name is not None:
            raise UsageError("sample: give a NAME or --list, not both")
        sys.stdout.write("".join(f"{name}\n" for name in sample_names()))
        return 0
    if args.name is None:
        raise UsageError("sample: give a NAME (a call type or an event), or --list for the names")
    try:
        message = sample(args.name, wire="camel" if args.camel else args.wire or "snake")
    except UnknownSchemaName as error:
        raise UsageError(str(error)) from None
    option = orjson.OPT_INDENT_2 if args.pretty else 0
    sys.stdout.write(orjson.dumps(message, option=option).decode() + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segment-spec",
        description="Check and normalize Segment messages against the Segment Spec.",
    )
    parser.add_argument("--version", action="version", version=f"segment-spec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check JSON or NDJSON files of messages; print one line per rejected message",
        description="Check messages; exit 0 when all are valid, 1 when any is rejected.",
    )
    validate.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a JSON or NDJSON file (gzip or zstandard too), a directory of them, or -",
    )
    validate.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    validate.add_argument(
        "--strict", action="store_true", help="reject messages that only have warnings"
    )
    validate.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes for large inputs (default: all cores; 1 to stay in one process)",
    )
    validate.add_argument(
        "--summary-json",
        metavar="FILE",
        help="write counts by outcome, rule, call type and event to FILE (no submitted value)",
    )
    validate.add_argument(
        "--report",
        metavar="FILE",
        help="write the same figures as one self-contained HTML page with a chart",
    )
    validate.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=(
            "check on the running Dask cluster at ADDRESS (tcp://host:8786), one task a file;"
            " needs segment-spec[dask] here and on the workers, which must see the files at"
            " the same paths. Findings are still printed in input order (each file's once it"
            " and those before it are done), and the summary, --summary-json, --report and"
            " exit status are those of a local run. Not with - (standard input) or --jobs, no"
            " progress line; a large file is one task (split it to spread it)"
        ),
    )
    validate.add_argument(
        "--scheduler-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help=(
            "how long to wait for the --scheduler, and for a worker to join, before exit 2"
            " (default: 10)"
        ),
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

    sample_command = commands.add_parser(
        "sample",
        help="print a realistic example message of a call type or a semantic event",
        description=(
            "Print a deterministic example message, as Segment's test calls gave: in snake_case"
            " as Segment forwards it to a Direct destination, or in camelCase with --camel."
        ),
    )
    sample_command.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help='a call type ("track") or an event ("Order Completed"), in any letter case',
    )
    sample_command.add_argument(
        "--list", action="store_true", help="print every NAME, one per line, and nothing else"
    )
    wire = sample_command.add_mutually_exclusive_group()
    wire.add_argument(
        "--wire",
        choices=("snake", "camel"),
        # No default here: argparse sees a conflict with --camel only for a value that is not
        # the default object, and "snake" would be.
        help="snake: as Segment forwards it (the default); camel: as Segment's libraries send it",
    )
    wire.add_argument("--camel", action="store_true", help="short for --wire camel")
    sample_command.add_argument("--pretty", action="store_true", help="indent the output")

    send = commands.add_parser(
        "send",
        help="POST messages to a receiver the way Segment does, one per request",
        description=(
            "POST each message with Segment's headers, retrying the replies Segment retries;"
            " exit 1 when any message's last reply is not 2xx (or not a status of --expect)."
        ),
    )
    add_send_arguments(send)
    conformance = commands.add_parser(
        "conformance",
        help="grade a receiver against Segment's Direct destination contract",
        description=(
            "Send probe messages and grade the replies; exit 0 only when all pass, 1 when any"
            " fails, 2 when the receiver cannot be reached, 3 when it is under maintenance"
            " (503 to every message it should accept)."
        ),
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
        if args.command == "sample":
            return _sample(args)
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
