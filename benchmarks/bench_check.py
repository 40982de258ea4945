#!/usr/bin/env python3
"""Benchmark segment_spec.check against the JSON floor, pydantic, and the naive baseline.

Runs, side by side in one process, on the messages in ../shared/bench (camel and snake forms,
valid and invalid), each candidate timed in turn in every round (so that a slow moment of the
machine costs every candidate alike), the best round of each kept:

* floor: the same bytes parsed by the fastest JSON parser the package uses (msgspec or orjson,
  whichever is faster on that message; both are timed);
* segment_spec.check(raw_bytes) and segment_spec.check(parsed_dict);
* the pydantic v2 receiver a FastAPI user writes (benchmarks/pydantic_receiver.py): the plain
  discriminated union of the six calls, and the one with an Order Completed event model;
* the pipeline orjson + segment_spec.normalize + jsonschema-rs (the call's schema, and a spec
  event's on properties), which a user could assemble from the parts;
* naive: json.loads + humps.decamelize + jsonschema.Draft202012Validator (format checking on)
  against the project's own schema for the call;
* check_batch on a 500 KB batch of Order Completed, and on 2,500 small items, against check on
  the same items one by one, each result let go at once and all results kept in a list (as
  check_batch keeps them), with peak memory (tracemalloc);
* the rejection path: check on the invalid track and on the valid one, timed in the same rounds
  (the ratio of their rows in the table is printed beside; those are timed minutes apart).

Prints ratios: check to the floor, and every other candidate's time to check's (above 1: check
is faster). ``--runs N`` repeats the whole measurement and prints the range of each ratio over
the runs; ``--fallback`` also runs the script with ``SEGMENT_SPEC_NO_EXTENSIONS=1`` (the
pure-Python code) and prints its ratios beside. ``--json PATH`` writes every figure. A script,
not a test: timings are never asserted in the test suite. Needs the ``bench`` extra
(``pip install -e '.[bench]'``).

    python benchmarks/bench_check.py [--bench-dir ../shared/bench] [--seconds 0.3] [--runs 3]
        [--fallback] [--stages] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import humps
import jsonschema
import jsonschema_rs
import msgspec
import orjson
import pydantic_core
from referencing import Registry, Resource

import segment_spec
from segment_spec._schemas import BASE_URI, store
from segment_spec._timestamps import is_timestamp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pydantic_receiver import events_receiver, plain_receiver

ROOT = Path(__file__).resolve().parents[1]
_DECODE = msgspec.json.Decoder().decode


def per_call(fn: Callable[[], object], seconds: float, repeats: int = 7) -> float:
    """Best time of one call in seconds: the minimum over repeats of the mean of a timed loop."""
    fn()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds / repeats:
            break
        loops *= 2
    best = elapsed / loops
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def naive_validator(call: str) -> jsonschema.Draft202012Validator:
    bundled = store()
    registry: Registry[Any] = Registry().with_resources(
        (BASE_URI + path, Resource.from_contents(bundled.by_path(path))) for path in bundled.paths
    )
    checker = jsonschema.FormatChecker()
    checker.checks("segment-timestamp")(
        lambda v: not isinstance(v, str | int | float) or isinstance(v, bool) or is_timestamp(v)
    )
    return jsonschema.Draft202012Validator(
        bundled.by_path(f"{call}.json"), registry=registry, format_checker=checker
    )


def interleaved(candidates: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Best time of one call of each candidate, in seconds: every round times each candidate
    in turn (a loop of about ``seconds / ROUNDS`` shared among them), the best round counts."""
    loops: dict[str, int] = {}
    share = seconds / ROUNDS / len(candidates)
    for name, fn in candidates.items():
        fn()
        count = 1
        while True:
            start = time.perf_counter()
            for _ in range(count):
                fn()
            if time.perf_counter() - start >= share / 4:
                break
            count *= 2
        loops[name] = count
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(ROUNDS):
        for name, fn in candidates.items():
            count = loops[name]
            start = time.perf_counter()
            for _ in range(count):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / count)
    return best


ROUNDS = 15


def _engine_pipeline() -> Callable[[bytes], bool]:
    """orjson + segment_spec.normalize + jsonschema-rs on the bundled schemas: what a user can
    assemble from the parts (no typed message, no reply, no issues rendered)."""
    bundled = store()
    registry = jsonschema_rs.Registry(
        [(BASE_URI + path, bundled.by_path(path)) for path in bundled.paths]
    )
    calls = {
        call: jsonschema_rs.validator_for(
            {"$ref": f"{BASE_URI}{call}.json"}, registry=registry, validate_formats=False
        )
        for call in segment_spec.CALL_TYPES
    }
    events = {
        event.name: jsonschema_rs.validator_for(
            {"$ref": event.schema_id}, registry=registry, validate_formats=False
        )
        for event in segment_spec.events()
    }

    def pipeline(raw: bytes) -> bool:
        message = segment_spec.normalize(orjson.loads(raw)).value
        validator = calls.get(message.get("type"))
        if validator is None or not validator.is_valid(message):
            return False
        event = events.get(message.get("event")) if message["type"] == "track" else None
        return event is None or event.is_valid(message.get("properties", {}))

    return pipeline


def bench_messages(folder: Path, seconds: float) -> list[dict[str, Any]]:
    rows = []
    validators: dict[str, jsonschema.Draft202012Validator] = {}
    pipeline = _engine_pipeline()
    for path in sorted(folder.glob("*.json")):
        raw = orjson.dumps(orjson.loads(path.read_bytes()))  # compact, as sent on the wire
        parsed = orjson.loads(raw)
        call = parsed["type"]
        naive = validators.setdefault(call, naive_validator(call))

        def naive_check(raw: bytes = raw, naive: Any = naive) -> bool:
            return bool(naive.is_valid(humps.decamelize(json.loads(raw))))

        def pydantic(raw: bytes = raw, receiver: Any = plain_receiver) -> bool:
            try:
                receiver.validate_json(raw)
            except pydantic_core.ValidationError:
                return False
            return True

        times = interleaved(
            {
                "floor_orjson": lambda raw=raw: orjson.loads(raw),
                "floor_msgspec": lambda raw=raw: _DECODE(raw),
                "check_bytes": lambda raw=raw: segment_spec.check(raw),
                "check_dict": lambda parsed=parsed: segment_spec.check(parsed),
                "pydantic_plain": pydantic,
                "pydantic_events": lambda raw=raw: pydantic(raw, events_receiver),
                "pipeline": lambda raw=raw: pipeline(raw),
                "naive": naive_check,
            },
            seconds,
        )
        floor = min(times["floor_orjson"], times["floor_msgspec"])
        check = times["check_bytes"]
        result = segment_spec.check(raw)
        rows.append(
            {
                "message": path.name,
                "bytes": len(raw),
                "accepted": not isinstance(result, segment_spec.Rejection),
                "floor_us": floor * 1e6,
                **{f"{name}_us": value * 1e6 for name, value in times.items()},
                "check_bytes_per_s": 1 / check,
                "ratio_to_floor": check / floor,
                "pydantic_plain_to_check": times["pydantic_plain"] / check,
                "pydantic_events_to_check": times["pydantic_events"] / check,
                "pipeline_to_check": times["pipeline"] / check,
                "speedup_over_naive": times["naive"] / check,
            }
        )
    return rows


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_batch(folder: Path) -> dict[str, Any]:
    message = orjson.loads((folder / "track-order-completed.camel.json").read_bytes())
    items = []
    size = 0
    while len(items) < 2500:
        item = dict(message, messageId=f"m-{len(items)}")
        encoded = orjson.dumps(item)
        if size + len(encoded) + 40 > segment_spec.MAX_BATCH_BYTES:
            break
        items.append(item)
        size += len(encoded) + 1
    body = orjson.dumps({"batch": items, "writeKey": "w"})
    one_by_one = [orjson.dumps(item) for item in items]
    small = {"type": "track", "event": "E", "userId": "u"}
    many = orjson.dumps({"batch": [small] * 2500})
    many_one_by_one = [orjson.dumps(small)] * 2500
    result = segment_spec.check_batch(body)  # warm: schemas compiled, caches filled
    assert not isinstance(result, segment_spec.Rejection)
    del result

    def each(bodies: list[bytes]) -> None:
        for item in bodies:
            segment_spec.check(item)

    def each_kept(bodies: list[bytes]) -> None:
        # What check_batch hands back, all the items' results at once, costs memory to fill
        # (fresh pages, the garbage collector's passes) that a result let go at once does not.
        results = [segment_spec.check(item) for item in bodies]
        del results

    timed = {
        "batch": lambda: segment_spec.check_batch(body),
        "items": lambda: each(one_by_one),
        "items_kept": lambda: each_kept(one_by_one),
        "many": lambda: segment_spec.check_batch(many),
        "many_items": lambda: each(many_one_by_one),
        "many_items_kept": lambda: each_kept(many_one_by_one),
    }
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(7):  # in turns, like the messages
        for name, fn in timed.items():
            best[name] = min(best[name], _timed(fn))
    # Peak memory above what was allocated before the call, results included.
    gc.collect()
    tracemalloc.start()
    kept = segment_spec.check_batch(body)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not isinstance(kept, segment_spec.Rejection)
    return {
        "batch_bytes": len(body),
        "batch_items": len(items),
        "batch_seconds": best["batch"],
        "batch_messages_per_s": len(items) / best["batch"],
        "batch_rate_to_check": best["items"] / best["batch"],
        "batch_rate_to_check_kept": best["items_kept"] / best["batch"],
        "batch_peak_bytes": peak,
        "batch_peak_over_body": peak / len(body),
        "small_batch_items": 2500,
        "small_batch_messages_per_s": 2500 / best["many"],
        "small_batch_rate_to_check": best["many_items"] / best["many"],
        "small_batch_rate_to_check_kept": best["many_items_kept"] / best["many"],
    }


def bench_stages(folder: Path, seconds: float) -> dict[str, float]:
    """Microseconds per stage of check() on the valid Order Completed message."""
    from segment_spec._catalog import resolve_event
    from segment_spec._check import _DEFAULT
    from segment_spec._parse import parse

    def wire(form: str) -> bytes:
        path = folder / f"track-order-completed.{form}.json"
        return orjson.dumps(orjson.loads(path.read_bytes()))

    camel, snake = wire("camel"), wire("snake")
    camel_parsed, snake_parsed = _DECODE(camel), _DECODE(snake)
    # The stages as check() runs them: the default checker's own normalizer, timestamp reader
    # and message builder.
    normalize_parts = _DEFAULT.normalizer.parts
    read_timestamps, build_message = _DEFAULT.read_timestamps, _DEFAULT.build_message
    message = normalize_parts(_DECODE(camel))[0]
    event, _ = resolve_event(message["event"])
    assert event is not None
    fused = _DEFAULT.schemas.track(event)
    reader = _DEFAULT.reader  # the one check() trains below
    times = read_timestamps(message)
    assert times is not None
    # A custom event with its own properties: the fast paths are not tied to spec keys.
    custom = orjson.loads(snake)
    custom["event"] = "Plan Upgraded"
    custom["properties"] = {
        "plan_tier": "gold",
        "seat_count": 12,
        "billing_cycle": "annual",
        "previous_plan": {"plan_tier": "silver", "seat_count": 5, "add_ons": ["sso", "audit"]},
        "coupon_code": None,
        "trial_days_left": 0,
    }
    custom_body = orjson.dumps(custom)
    custom_camel = orjson.dumps(humps.camelize(custom))
    # Until the reader has learnt a body's new keys (one miss per key it holds), the body takes
    # the usual way; a receiver's keys repeat, so it learns them within its first messages.
    for _ in range(5000):
        segment_spec.check(snake)
        segment_spec.check(custom_body)
    stages = {
        "msgspec decode (the floor)": lambda: _DECODE(camel),
        "parse (decode and size check)": lambda: parse(camel),
        "read snake_case bytes (decode, keys checked)": lambda: reader.read(snake),
        "normalize camelCase (new dicts)": lambda: normalize_parts(camel_parsed, owned=True),
        "normalize snake_case (checked, kept)": lambda: normalize_parts(snake_parsed, owned=True),
        "validate track + event (jsonschema-rs)": lambda: fused(message),
        "read the 4 timestamps (dates)": lambda: read_timestamps(message),
        "build the typed message": lambda: build_message("track", message, [], event, times),
        "check(raw_bytes), camelCase, all of it": lambda: segment_spec.check(camel),
        "check(raw_bytes), snake_case, all of it": lambda: segment_spec.check(snake),
        "check(raw_bytes), snake_case custom event": lambda: segment_spec.check(custom_body),
        "  the same, camelCase": lambda: segment_spec.check(custom_camel),
    }
    return {name: per_call(fn, seconds) * 1e6 for name, fn in stages.items()}


def measure(folder: Path, seconds: float) -> dict[str, Any]:
    """One run: every message, the batches, the rejection ratios."""
    rows = bench_messages(folder, seconds)
    batch = bench_batch(folder)
    by_name = {r["message"]: r for r in rows}
    return {
        "messages": rows,
        "batch": batch,
        "rejection_ratio": bench_rejection(folder, seconds),
        # The same ratio from the per-message table, whose rows are timed minutes apart.
        "rejection_ratio_by_rows": {
            form: by_name[f"track-invalid-no-ids.{form}.json"]["check_bytes_us"]
            / by_name[f"track-order-completed.{form}.json"]["check_bytes_us"]
            for form in ("camel", "snake")
        },
    }


def bench_rejection(folder: Path, seconds: float) -> dict[str, float]:
    """The rejection path over the valid path, for each form: check on the invalid and the
    valid track timed in the same rounds, side by side, so the machine's drift between the
    table's rows does not enter the ratio."""
    ratios = {}
    for form in ("camel", "snake"):
        bodies = {
            name: orjson.dumps(orjson.loads((folder / f"{name}.{form}.json").read_bytes()))
            for name in ("track-invalid-no-ids", "track-order-completed")
        }
        times = interleaved(
            {name: lambda raw=raw: segment_spec.check(raw) for name, raw in bodies.items()},
            seconds,
        )
        ratios[form] = times["track-invalid-no-ids"] / times["track-order-completed"]
    return ratios


_RATIOS = (
    ("x floor", "ratio_to_floor"),
    ("pyd/chk", "pydantic_plain_to_check"),
    ("pydE/chk", "pydantic_events_to_check"),
    ("pipe/chk", "pipeline_to_check"),
    ("naive/chk", "speedup_over_naive"),
)


def _span(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:5.2f}" if len(values) == 1 else f"{low:5.2f}-{high:<5.2f}"


def report(runs: list[dict[str, Any]], label: str) -> None:
    """Print the ratios of ``runs``: each one's range over the runs."""
    print(f"== {label}: {len(runs)} run(s); ranges are over the runs")
    width = 6 if len(runs) == 1 else 12
    print(f"{'message':36} {'check':>8} " + " ".join(f"{c:>{width}}" for c, _ in _RATIOS))
    for index, row in enumerate(runs[0]["messages"]):
        rows = [run["messages"][index] for run in runs]
        micros = min(r["check_bytes_us"] for r in rows)
        spans = [_span([r[key] for r in rows]).rjust(width) for _, key in _RATIOS]
        print(f"{row['message']:36} {micros:7.2f}u " + " ".join(spans))
    for form in ("camel", "snake"):
        spread = _span([run["rejection_ratio"][form] for run in runs])
        rows_spread = _span([run["rejection_ratio_by_rows"][form] for run in runs])
        print(
            f"rejection path / valid path ({form}), side by side: {spread} "
            f"(from the table's rows: {rows_spread})"
        )
    batches = [run["batch"] for run in runs]
    first = batches[0]
    print(
        f"batch of {first['batch_items']} Order Completed ({first['batch_bytes']:,} bytes): "
        f"per-item rate / check's {_span([b['batch_rate_to_check'] for b in batches])} "
        f"(results kept: {_span([b['batch_rate_to_check_kept'] for b in batches])}), "
        f"peak {_span([b['batch_peak_over_body'] for b in batches])} x body; "
        f"2,500 small items: {_span([b['small_batch_rate_to_check'] for b in batches])} "
        f"(kept: {_span([b['small_batch_rate_to_check_kept'] for b in batches])})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "bench")
    parser.add_argument("--seconds", type=float, default=0.3, help="time per message")
    parser.add_argument("--runs", type=int, default=1, help="whole measurements to make")
    parser.add_argument("--fallback", action="store_true", help="also measure the pure-Python code")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--stages", action="store_true", help="also time each stage of check")
    args = parser.parse_args(argv)
    if not args.bench_dir.is_dir():
        print(f"no benchmark messages in {args.bench_dir}", file=sys.stderr)
        return 2
    machine = f"Python {platform.python_version()} on {platform.machine()}"
    print(
        f"{machine}, msgspec {msgspec.__version__}, orjson {orjson.__version__}, "
        f"jsonschema-rs {importlib.metadata.version('jsonschema-rs')}, "
        f"pydantic {importlib.metadata.version('pydantic')}"
    )
    runs = [measure(args.bench_dir, args.seconds) for _ in range(args.runs)]
    figures: dict[str, Any] = {"compiled": segment_spec.COMPILED, "runs": runs}
    code = "compiled core" if segment_spec.COMPILED else "pure-Python code"
    report(runs, code)
    if args.fallback and segment_spec.COMPILED:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "fallback.json"
            env = {**os.environ, "SEGMENT_SPEC_NO_EXTENSIONS": "1"}
            command = [sys.executable, __file__, "--bench-dir", str(args.bench_dir)]
            command += ["--seconds", str(args.seconds), "--runs", str(args.runs)]
            subprocess.run([*command, "--json", str(out)], env=env, check=True)
            figures["fallback"] = json.loads(out.read_text())
    if args.stages:
        figures["stages_us"] = bench_stages(args.bench_dir, args.seconds)
        for name, micros in figures["stages_us"].items():
            print(f"  {name:48} {micros:6.2f} us")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
