#!/usr/bin/env python3
"""Benchmark ``segment-spec validate`` on a large replay file against in-process ``check``.

Builds an NDJSON file of ``--lines`` messages by cycling the valid messages of
../shared/corpus/real (whole-message files only: no batch, quirks, ajs-calls or fragments
files; a message is kept when ``segment_spec.check`` accepts it), each with a fresh
``messageId``, optionally gzipped (``--gzip``). Then it:

* times ``segment_spec.check`` on every line of that file in a fresh process (the in-process
  rate: a first pass, which compiles each schema as it meets it as the command does, and a
  second pass, printed beside), per wall second and per CPU second;
* runs ``segment-spec validate --jobs N FILE`` as a subprocess for each ``--jobs`` value (1 and
  2 by default), and prints its wall time, messages per second, the ratio to the in-process
  rate (per core: divided by N), the ratio to ``--jobs 1``, the CPU time of the command and
  its workers with messages per CPU second (the figure a shared machine disturbs least: it
  shows the cost of the workers' overhead even when other work holds a core), and peak
  memory: the largest sum of the resident sizes of the command and its workers, sampled from
  /proc every 20 ms, and the largest single process in the same samples (not ``ru_maxrss``:
  a forked process starts from its parent's high-water mark, which is this script's).

With ``--dask``, it also starts a ``distributed.LocalCluster`` of 2 worker processes (one
thread each; needs ``segment-spec[dask]``), writes the same lines as ``--dask-files`` files of a
folder (one task a file) and runs ``segment-spec validate --scheduler ADDRESS FOLDER`` against
it: wall time, messages per second, the ratio to ``--jobs 1``, the workers' CPU time, and peak
memory summed over the command and the two workers (the scheduler runs inside this script and
is left out). The cluster is started before the clock, as a running cluster would be; each
worker compiles the schemas it meets, as a ``--jobs`` worker does.

A script, not a test: timings are never asserted in the test suite.

    python benchmarks/bench_replay.py [--lines 200000] [--gzip] [--jobs 1 2] [--repeat 3]
        [--keep DIR] [--dask] [--dask-files 8]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

import segment_spec

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
# Files whose lines are not one whole message each.
_NOT_WHOLE = (".batch.", ".quirks.", ".ajs-calls.", ".fragments.")


def valid_messages(corpus: Path) -> list[dict[str, object]]:
    """The corpus's whole messages that check accepts, in file and line order."""
    kept = []
    for path in sorted(corpus.glob("*.ndjson")):
        if any(part in path.name for part in _NOT_WHOLE):
            continue
        for raw in path.read_bytes().splitlines():
            if not raw.strip() or isinstance(segment_spec.check(raw), segment_spec.Rejection):
                continue
            value = orjson.loads(raw)
            if isinstance(value, dict):
                kept.append(value)
    return kept


def build(path: Path, messages: list[dict[str, object]], lines: int, packed: bool) -> None:
    """Write ``lines`` messages cycling ``messages``, each with a fresh message id."""
    opener = gzip.open if packed else open
    with opener(path, "wb") as handle:  # type: ignore[operator]
        for index, message in zip(range(lines), itertools.cycle(messages), strict=False):
            key = "message_id" if "message_id" in message else "messageId"
            fresh = {**message, key: f"replay-{index:012d}"}
            handle.write(orjson.dumps(fresh) + b"\n")


_IN_PROCESS = """
import gzip, itertools, sys, time
path, most = sys.argv[1], int(sys.argv[2])
with (gzip.open if path.endswith(".gz") else open)(path, "rb") as handle:
    lines = [line.rstrip(b"\\n") for line in itertools.islice(handle, most)]
import segment_spec
check = segment_spec.check
for _ in range(2):  # a cold pass (schemas compiled as met, as in the CLI), then a warm one
    start, cpu = time.perf_counter(), time.process_time()
    for raw in lines:
        check(raw)
    print(len(lines) / (time.perf_counter() - start), len(lines) / (time.process_time() - cpu))
"""


def in_process_rates(path: Path, most: int) -> list[tuple[float, float]]:
    """Messages per second of ``check`` on the first ``most`` lines of the file (held in
    memory), in a fresh process, per wall second and per CPU second: the first pass (which
    compiles each schema as it meets it, as the CLI does) and a second."""
    done = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS, str(path), str(most)], capture_output=True, check=True
    )
    figures = [float(figure) for figure in done.stdout.split()]
    return [(figures[0], figures[1]), (figures[2], figures[3])]


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    return sum(_tree_sizes(pid))


def _tree_sizes(pid: int) -> list[int]:
    """Resident bytes of a process and of each of its descendants, from /proc."""
    sizes = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for row in status.splitlines():
            if row.startswith("VmRSS:"):
                sizes.append(int(row.split()[1]) * 1024)
        stack.extend(int(child) for child in children)
    return sizes


def run_cli(path: Path, jobs: int) -> tuple[float, float, int, int, str]:
    """Run validate; return wall seconds, CPU seconds (the command and its workers), peak
    summed RSS, peak single RSS, the summary line."""
    script = Path(sys.executable).parent / "segment-spec"
    launch = [str(script)] if script.exists() else [sys.executable, "-m", "segment_spec._cli"]
    command = [*launch, "validate", "--jobs", str(jobs)]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = single = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, single
        while not done.is_set():
            sizes = _tree_sizes(process.pid)
            peak = max(peak, sum(sizes))
            single = max(single, *sizes, 0)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    err = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"validate failed ({process.returncode}): {err}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, peak, single, err.strip().splitlines()[-1]


def split(path: Path, folder: Path, pieces: int, packed: bool) -> None:
    """Write the lines of ``path`` into ``pieces`` files of ``folder``, in order."""
    opener = gzip.open if packed else open
    with opener(path, "rb") as handle:  # type: ignore[operator]
        rows = handle.read().splitlines(keepends=True)
    size = -(-len(rows) // pieces)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(pieces):
        name = f"part-{index:03d}.ndjson" + (".gz" if packed else "")
        with opener(folder / name, "wb") as out:  # type: ignore[operator]
            out.write(b"".join(rows[index * size : (index + 1) * size]))


def run_dask(folder: Path) -> tuple[float, float, int, str]:
    """Run validate --scheduler on a LocalCluster of 2 worker processes; return wall seconds,
    the workers' CPU seconds, peak RSS summed over the command and the workers, the summary
    line."""
    import psutil
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        cpu_before = sum(sum(w.cpu_times()[:2]) for w in workers)
        script = Path(sys.executable).parent / "segment-spec"
        start = time.perf_counter()
        process = subprocess.Popen(
            [str(script), "validate", "--scheduler", cluster.scheduler_address, str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                total = _tree_rss(process.pid) + sum(_tree_rss(w.pid) for w in workers)
                peak = max(peak, total)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        assert process.stderr is not None
        err = process.stderr.read().decode()
        process.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        cpu = sum(sum(w.cpu_times()[:2]) for w in workers) - cpu_before
    if process.returncode not in (0, 1):
        raise SystemExit(f"validate --scheduler failed ({process.returncode}): {err}")
    return seconds, cpu, peak, err.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--gzip", action="store_true", help="gzip the file")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--keep", type=Path, help="write the file here and keep it")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each measurement N times, keep the best"
    )
    parser.add_argument(
        "--in-process-lines",
        type=int,
        default=2_000_000,
        help="lines the in-process rate is measured on, held in memory (the file cycles the"
        " corpus, so a sample of it has the same mix)",
    )
    parser.add_argument(
        "--dask", action="store_true", help="also run on a LocalCluster of 2 worker processes"
    )
    parser.add_argument(
        "--dask-files", type=int, default=8, help="files the lines are split into for --dask"
    )
    args = parser.parse_args()

    messages = valid_messages(args.corpus)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-replay-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("replay.ndjson.gz" if args.gzip else "replay.ndjson")
    try:
        build(path, messages, args.lines, args.gzip)
        size = path.stat().st_size
        print(f"{args.lines:,} lines cycling {len(messages):,} valid corpus messages")
        print(f"file: {path.name}, {size / 1e6:,.1f} MB; compiled core: {segment_spec.COMPILED}")
        # In turns, the best of each kept: a slow moment of the machine costs every figure alike.
        in_process = []
        runs: dict[int, list[tuple[float, float, int, int, str]]] = {j: [] for j in args.jobs}
        on_dask: list[tuple[float, float, int, str]] = []
        pieces = folder / "pieces"
        if args.dask:
            split(path, pieces, args.dask_files, args.gzip)
        for _ in range(args.repeat):
            in_process.append(in_process_rates(path, args.in_process_lines))
            for jobs in args.jobs:
                runs[jobs].append(run_cli(path, jobs))
            if args.dask:
                on_dask.append(run_dask(pieces))
        rate, cpu_rate = max(cold for cold, _ in in_process)
        warm, warm_cpu = max(second for _, second in in_process)
        print(
            f"in-process check: {rate:,.0f} messages/s, {cpu_rate:,.0f} per CPU second"
            f" (a second pass: {warm:,.0f}, {warm_cpu:,.0f} per CPU second)"
        )
        one = None
        for jobs in args.jobs:
            seconds, cpu, peak, single, summary = min(runs[jobs])
            cpu = min(run[1] for run in runs[jobs])
            peak = max(run[2] for run in runs[jobs])
            single = max(run[3] for run in runs[jobs])
            cli_rate = args.lines / seconds
            one = one or (cli_rate if jobs == 1 else None)
            versus_one = f", {cli_rate / one:.2f} x jobs 1" if one and jobs > 1 else ""
            print(
                f"validate --jobs {jobs}: {seconds:.2f} s, {cli_rate:,.0f} messages/s,"
                f" {cli_rate / rate / jobs:.2f} x in-process per core{versus_one};"
                f" {cpu:.2f} CPU s, {args.lines / cpu:,.0f} messages per CPU second,"
                f" {args.lines / cpu / cpu_rate:.2f} x in-process;"
                f" peak RSS {peak / 1e6:,.0f} MB summed over processes,"
                f" {single / 1e6:,.0f} MB largest process"
            )
            print(f"  ({summary})")
        if on_dask:
            seconds, _, _, summary = min(on_dask)
            cpu = min(run[1] for run in on_dask)
            peak = max(run[2] for run in on_dask)
            dask_rate = args.lines / seconds
            versus_one = f", {dask_rate / one:.2f} x jobs 1" if one else ""
            print(
                f"validate --scheduler (LocalCluster, 2 worker processes, {args.dask_files}"
                f" files): {seconds:.2f} s, {dask_rate:,.0f} messages/s{versus_one};"
                f" workers {cpu:.2f} CPU s, {args.lines / cpu:,.0f} messages per CPU second;"
                f" peak RSS {peak / 1e6:,.0f} MB summed over the command and the workers"
            )
            print(f"  ({summary})")
    finally:
        if args.keep is None:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
