#!/usr/bin/env python3
"""Time the hostile catalogue (benchmarks/hostile.py) against a typical message.

Each body of the catalogue is checked in a fresh worker process (so one case's memos, or its
memory, never help or hurt the next), in lax and in strict mode, several times, each time built
from a new seed so that its keys are fresh. For each case the script prints the worst time, the
worst as a multiple of a typical message's time (the 1.3 KB Order Completed message, timed in
the same process), and the peak of memory the call allocates (``tracemalloc``, results
included) as a multiple of the body. One more case times a stream of snake_case messages whose
fresh keys make the one-pass reader learn and rebuild, and prints its worst single call.

The peak counts what the result holds when the call returns (``kept``, which also shows what
the memos learnt): a batch of the smallest objects holds one dict per JSON object and one typed
message per item, 10 to 15 times their JSON, whatever the work around them. ``parsed`` is what
the body takes when msgspec alone parses it (and the caller holds it): no call that hands back
the parsed messages can peak lower.

``--baseline PYTHON`` runs the same catalogue, in the same run, with another interpreter that
has another version of segment_spec installed (say, the previous release in its own
virtualenv), and prints both side by side.

    python benchmarks/bench_hostile.py [--repeat 5] [--only NAME ...] [--baseline PYTHON]
        [--json out.json]

A script, not a test: the test suite never asserts a time (tests/test_hostile.py checks what
each body gets).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hostile  # noqa: E402

# The goals of issue 10, on the development machine.
MESSAGE_MS = 10.0
MESSAGE_TIMES_TYPICAL = 500.0
BATCH_MS = 1000.0
BATCH_PEAK_TIMES_BODY = 10.0
STALL_MS = 5.0
TIMEOUT_S = 600


def _typical_seconds(check: Any, body: bytes) -> float:
    """The best mean time of ``check(body)`` over loops of about 0.1 s."""
    for _ in range(2000):  # learn its keys, compile its schemas
        check(body)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            check(body)
        best = min(best, (time.perf_counter() - start) / 2000)
    return best


def _outcome(result: Any) -> str:
    status = getattr(result, "status", None)
    if status is not None:
        return str(status)
    results = getattr(result, "results", None)
    if results is not None:
        rejected = sum(1 for r in results if hasattr(r, "status"))
        return f"{len(results) - rejected}/{len(results)} accepted"
    return "accepted"


def _camel_sample(segment_spec: Any, name: str) -> dict[str, Any]:
    """The sample in the camelCase form that every version gives, so that a baseline and the
    current version warm up on the same bodies (samples come in snake_case by default now)."""
    try:
        message: dict[str, Any] = segment_spec.sample(name, wire="camel")
    except TypeError:  # a version whose samples came in one form only, camelCase
        message = segment_spec.sample(name)
    return message


def _warm_up(segment_spec: Any) -> None:
    """Compile what a receiver compiles on its first messages (the schemas of every call and
    every event, the batch envelope's, and their lenient forms), so that the catalogue times
    steady work: what one body costs, not what a process pays once."""
    names = [*segment_spec.CALL_TYPES, *(event.name for event in segment_spec.events())]
    for name in names:
        try:
            message = _camel_sample(segment_spec, name)
        except Exception:  # an older version without this sample
            continue
        # As sent, and with a deviation that takes the full validation (and the event's).
        deviant = {**message, "context": "not an object"}
        custom = {**message, "event": "A Custom Event"} if "event" in message else message
        for body in (json.dumps(m).encode() for m in (message, deviant, custom)):
            for strict in (False, True):
                segment_spec.check(body, strict=strict)
                segment_spec.check(json.loads(body), strict=strict)
                segment_spec.check_batch(b'{"batch":[' + body + b"]}", strict=strict)
    _compile_lenient_forms(segment_spec)


def _compile_lenient_forms(segment_spec: Any) -> None:
    """Compile the lenient form of each schema compiled so far: a checker compiles one on the
    first message whose warnings fill its list (to find the errors behind them), once, as it
    compiles a schema on its first message. Through private names, so only where this version
    has them."""
    try:
        engine = segment_spec._check._DEFAULT.schemas.engine
        compiled = list(engine._compiled.values())
    except AttributeError:  # a version without lenient forms, or with other private names
        return
    for schema in compiled:
        schema.errors_only()


def _run_case(case: hostile.Case, repeat: int) -> dict[str, Any]:
    import segment_spec

    _warm_up(segment_spec)
    # A full collection of the garbage collector costs in proportion to every object alive
    # (60 to 100 ms here, with every schema compiled) and lands in whichever call allocates
    # when it is due, whatever that call's body. Frozen after the warm-up, as a latency-minded
    # server does, it leaves each body's own cost to be timed; collections of what the call
    # itself allocates still run.
    gc.collect()
    gc.freeze()
    typical = _typical_seconds(segment_spec.check, hostile.typical_message())
    row: dict[str, Any] = {
        "case": case.name,
        "kind": case.kind,
        "aim": case.aim,
        "typical_s": typical,
    }
    if case.kind == "stream":
        return {**row, **_run_stream(case, segment_spec.check, repeat)}
    check = segment_spec.check if case.kind == "message" else segment_spec.check_batch
    for mode, strict in (("lax", False), ("strict", True)):
        times = []
        outcome = ""
        size = 0
        for attempt in range(repeat):
            body = case.build(random.Random(attempt * 2 + strict))
            size = len(body)
            gc.collect()  # what the build left (the frozen objects are not looked at)
            start = time.perf_counter()
            result = check(body, strict=strict)
            times.append(time.perf_counter() - start)
            outcome = _outcome(result)
            del result
        body = case.build(random.Random(10_000 + strict))
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        kept = check(body, strict=strict)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del kept
        row[mode] = {
            "floor_bytes": _floor(body),
            "worst_s": max(times),
            "best_s": min(times),
            "outcome": outcome,
            "peak_bytes": peak - before,
            # What the result holds when the call returns (and what the memos learnt).
            "kept_bytes": current - before,
        }
        row["bytes"] = size
    return row


def _floor(body: bytes) -> int | None:
    """What the body's JSON takes as Python objects, parsed by msgspec alone (and held): what
    any call that gives the caller the parsed messages holds at least. None for a body msgspec
    does not read (nested past its depth, integers past 64 bits)."""
    import msgspec

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    try:
        parsed = msgspec.json.decode(body)
    except (msgspec.MsgspecError, RecursionError, ValueError):
        return None
    finally:
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    del parsed
    return held


def _run_stream(case: hostile.Case, check: Any, repeat: int) -> dict[str, Any]:
    worst = 0.0
    total = 0.0
    count = 0
    for attempt in range(repeat):
        bodies = case.build(random.Random(attempt))
        assert isinstance(bodies, list)
        for body in bodies:
            start = time.perf_counter()
            check(body)
            elapsed = time.perf_counter() - start
            worst = max(worst, elapsed)
            total += elapsed
            count += 1
    return {"calls": count, "worst_call_s": worst, "mean_call_s": total / count}


def _worker(name: str, repeat: int) -> int:
    case = next(c for c in hostile.CATALOGUE if c.name == name)
    print(json.dumps(_run_case(case, repeat)))
    return 0


def _measure(python: str, names: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        command = [python, str(Path(__file__).resolve()), "--worker", name, "--repeat", str(repeat)]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                env={**os.environ, "PYTHONHASHSEED": "0"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            rows[name] = {"case": name, "error": f"no answer within {TIMEOUT_S} s"}
            print(f"  {name}: timed out", file=sys.stderr)
            continue
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            rows[name] = {"case": name, "error": last}
            print(f"  {name}: failed: {last}", file=sys.stderr)
            continue
        rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"  {name}: done", file=sys.stderr)
    return rows


def _worst(row: dict[str, Any]) -> tuple[float, float]:
    """The worst time over both modes, and the worst peak over the body."""
    if row["kind"] == "stream":
        return row["worst_call_s"], 0.0
    seconds = max(row["lax"]["worst_s"], row["strict"]["worst_s"])
    peak = max(row["lax"]["peak_bytes"], row["strict"]["peak_bytes"]) / row["bytes"]
    return seconds, peak


def _kept(row: dict[str, Any], what: str = "kept_bytes") -> float:
    """What the result of the mode with the worst peak holds (or, with ``floor_bytes``, what
    its body parses to), over the body."""
    mode = max(("lax", "strict"), key=lambda name: row[name]["peak_bytes"])
    held = row[mode].get(what)
    return float("nan") if held is None else float(held) / row["bytes"]


def _ratio(value: float) -> str:
    return f"{'-':>7}" if math.isnan(value) else f"{value:6.1f}x"


def _met(row: dict[str, Any]) -> bool:
    seconds, peak = _worst(row)
    if row["kind"] == "message":
        return seconds * 1e3 <= MESSAGE_MS and seconds <= MESSAGE_TIMES_TYPICAL * row["typical_s"]
    if row["kind"] == "batch":
        return seconds * 1e3 <= BATCH_MS and peak <= BATCH_PEAK_TIMES_BODY
    return (row["worst_call_s"] - row["mean_call_s"]) * 1e3 <= STALL_MS


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    if "error" in row:
        return f"{row['error'][:44]:>44}"
    seconds, peak = _worst(row)
    times = seconds / row["typical_s"]
    if row["kind"] == "stream":
        met = "yes" if _met(row) else "NO"
        return f"{seconds * 1e3:10.2f} ms {times:9,.0f}x {'':8} {'':7} {'':7} {'':10} {met:>4}"
    outcome = row["strict"]["outcome"] if row["kind"] == "message" else row["lax"]["outcome"]
    return (
        f"{seconds * 1e3:10.2f} ms {times:9,.0f}x {peak:7.1f}x {_kept(row):6.1f}x "
        f"{_ratio(_kept(row, 'floor_bytes'))} {outcome[:10]:>10} {'yes' if _met(row) else 'NO':>4}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="calls per case and mode")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these cases")
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also run the catalogue with this interpreter's segment_spec",
    )
    parser.add_argument("--baseline-repeat", type=int, help="calls per case there (--repeat)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker, args.repeat)
    names = args.only or [case.name for case in hostile.CATALOGUE]
    unknown = set(names) - {case.name for case in hostile.CATALOGUE}
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores",
        file=sys.stderr,
    )
    print("this version:", file=sys.stderr)
    current = _measure(sys.executable, names, args.repeat)
    baseline: dict[str, dict[str, Any]] = {}
    if args.baseline:
        print(f"baseline ({args.baseline}):", file=sys.stderr)
        baseline = _measure(args.baseline, names, args.baseline_repeat or args.repeat)
    header = (
        f"{'worst':>13} {'x typical':>10} {'peak/body':>8} {'kept':>7} {'parsed':>7} "
        f"{'outcome':>10} {'met':>4}"
    )
    print(f"{'case':29} {'KiB':>6} " + (f"{'baseline':^70} | " if baseline else "") + header)
    for name in names:
        row = current[name]
        size = f"{row.get('bytes', 0) / 1024:6.1f}" if "bytes" in row else f"{'':6}"
        before = (_cell(baseline.get(name)) + " | ") if baseline else ""
        print(f"{name:29} {size} {before}{_cell(row)}")
    typical = [r["typical_s"] for r in current.values() if "typical_s" in r]
    if typical:
        print(
            f"typical message: {min(typical) * 1e6:.1f} to {max(typical) * 1e6:.1f} us "
            "across the workers"
        )
    met = [name for name in names if "error" not in current[name] and _met(current[name])]
    print(f"goals met: {len(met)} of {len(names)}")
    if args.json:
        args.json.write_text(json.dumps({"current": current, "baseline": baseline}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
