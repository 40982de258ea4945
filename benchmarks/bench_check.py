#!/usr/bin/env python3
"""Benchmark segment_spec.check against the JSON floor and the naive baseline.

Runs, side by side in one process, on the messages in ../shared/bench (camel and snake forms,
valid and invalid):

* floor: the same bytes parsed by the fastest JSON parser the package uses (msgspec or orjson,
  whichever is faster on that message; both are timed);
* naive: json.loads + humps.decamelize + jsonschema.Draft202012Validator (format checking on)
  against the project's own schema for the call;
* segment_spec.check(raw_bytes) and segment_spec.check(parsed_dict);
* check_batch on a 2,500-message batch, with peak memory (tracemalloc).

Prints messages per second and ratios; ``--json PATH`` writes them as JSON. A script, not a
test: timings are never asserted in the test suite. Needs the ``bench`` extra
(``pip install -e '.[bench]'``).

    python benchmarks/bench_check.py [--bench-dir ../shared/bench] [--seconds 0.3] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import humps
import jsonschema
import msgspec
import orjson
from referencing import Registry, Resource

import segment_spec
from segment_spec._schemas import BASE_URI, store
from segment_spec._timestamps import is_timestamp

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


def bench_messages(folder: Path, seconds: float) -> list[dict[str, Any]]:
    rows = []
    validators: dict[str, jsonschema.Draft202012Validator] = {}
    for path in sorted(folder.glob("*.json")):
        raw = orjson.dumps(orjson.loads(path.read_bytes()))  # compact, as sent on the wire
        parsed = orjson.loads(raw)
        call = parsed["type"]
        naive = validators.setdefault(call, naive_validator(call))

        def naive_check(raw: bytes = raw, naive: Any = naive) -> bool:
            return bool(naive.is_valid(humps.decamelize(json.loads(raw))))

        floor_orjson = per_call(lambda raw=raw: orjson.loads(raw), seconds)
        floor_msgspec = per_call(lambda raw=raw: _DECODE(raw), seconds)
        floor = min(floor_orjson, floor_msgspec)
        baseline = per_call(naive_check, seconds)
        on_bytes = per_call(lambda raw=raw: segment_spec.check(raw), seconds)
        on_dict = per_call(lambda parsed=parsed: segment_spec.check(parsed), seconds)
        result = segment_spec.check(raw)
        rows.append(
            {
                "message": path.name,
                "bytes": len(raw),
                "accepted": not isinstance(result, segment_spec.Rejection),
                "floor_us": floor * 1e6,
                "floor_orjson_us": floor_orjson * 1e6,
                "floor_msgspec_us": floor_msgspec * 1e6,
                "naive_us": baseline * 1e6,
                "check_bytes_us": on_bytes * 1e6,
                "check_dict_us": on_dict * 1e6,
                "check_bytes_per_s": 1 / on_bytes,
                "ratio_to_floor": on_bytes / floor,
                "speedup_over_naive": baseline / on_bytes,
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
    many = orjson.dumps({"batch": [{"type": "track", "event": "E", "userId": "u"}] * 2500})
    result = segment_spec.check_batch(body)  # warm: schemas compiled, caches filled
    assert not isinstance(result, segment_spec.Rejection)
    del result
    elapsed = min(_timed(lambda: segment_spec.check_batch(body)) for _ in range(5))
    many_elapsed = min(_timed(lambda: segment_spec.check_batch(many)) for _ in range(5))
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
        "batch_seconds": elapsed,
        "batch_messages_per_s": len(items) / elapsed,
        "batch_peak_bytes": peak,
        "batch_peak_over_body": peak / len(body),
        "small_batch_items": 2500,
        "small_batch_messages_per_s": 2500 / many_elapsed,
    }


def bench_stages(folder: Path, seconds: float) -> dict[str, float]:
    """Microseconds per stage of check() on the valid Order Completed message."""
    from segment_spec._catalog import resolve_event
    from segment_spec._check import _DEFAULT
    from segment_spec._message import build_message, read_timestamps
    from segment_spec._normalize import normalize_parts
    from segment_spec._parse import parse

    def wire(form: str) -> bytes:
        path = folder / f"track-order-completed.{form}.json"
        return orjson.dumps(orjson.loads(path.read_bytes()))

    camel, snake = wire("camel"), wire("snake")
    camel_parsed, snake_parsed = _DECODE(camel), _DECODE(snake)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "bench")
    parser.add_argument("--seconds", type=float, default=0.3, help="time per measurement")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--stages", action="store_true", help="also time each stage of check")
    args = parser.parse_args(argv)
    if not args.bench_dir.is_dir():
        print(f"no benchmark messages in {args.bench_dir}", file=sys.stderr)
        return 2
    rows = bench_messages(args.bench_dir, args.seconds)
    batch = bench_batch(args.bench_dir)
    machine = f"Python {platform.python_version()} on {platform.machine()}"
    print(f"{machine}, msgspec {msgspec.__version__}, orjson {orjson.__version__}")
    columns = ("floor", "naive", "bytes", "dict", "msg/s", "x floor", "x naive")
    widths = (7, 8, 7, 7, 9, 7, 7)
    print(f"{'message':36} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print(
            f"{row['message']:36} {row['floor_us']:6.2f}u {row['naive_us']:7.1f}u "
            f"{row['check_bytes_us']:6.2f}u {row['check_dict_us']:6.2f}u "
            f"{row['check_bytes_per_s']:9,.0f} {row['ratio_to_floor']:7.2f} "
            f"{row['speedup_over_naive']:7.1f}"
        )
    by_name = {r["message"]: r for r in rows}
    rejection = {}
    for form in ("camel", "snake"):
        valid = by_name[f"track-order-completed.{form}.json"]
        invalid = by_name[f"track-invalid-no-ids.{form}.json"]
        rejection[form] = invalid["check_bytes_us"] / valid["check_bytes_us"]
    print(
        f"rejection path / valid path: {rejection['camel']:.2f} (camel), "
        f"{rejection['snake']:.2f} (snake)"
    )
    print(
        f"batch: {batch['batch_items']} messages, {batch['batch_bytes']:,} bytes, "
        f"{batch['batch_messages_per_s']:,.0f} msg/s, peak memory {batch['batch_peak_bytes']:,} "
        f"bytes = {batch['batch_peak_over_body']:.2f} x body; 2,500 small items: "
        f"{batch['small_batch_messages_per_s']:,.0f} msg/s"
    )
    figures: dict[str, Any] = {"messages": rows, "batch": batch, "rejection_ratio": rejection}
    if args.stages:
        figures["stages_us"] = bench_stages(args.bench_dir, args.seconds)
        for name, micros in figures["stages_us"].items():
            print(f"  {name:48} {micros:6.2f} us")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
