#!/usr/bin/env python3
"""Run every fuzz harness for a bounded time, seeded from the project's own fixtures.

    python fuzz/run.py [--seconds 12] [--keep DIR] [HARNESS ...]

Each harness runs in its own process under atheris (libFuzzer): ``-max_total_time`` bounds it,
``-timeout`` turns an input that takes longer than 10 s into a failure (a hang), and
``-rss_limit_mb`` one that takes more than 2 GB of memory. The script prints the executions of
each harness and exits 1 when any of them found a crash; the input that caused it is kept in the
artifacts folder (``--keep``, or a temporary one that is printed). docs/reliability.md says how
to run a long campaign.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import seeds  # noqa: E402

HARNESSES = ("fuzz_check", "fuzz_check_batch", "fuzz_normalize", "fuzz_api_key", "fuzz_files")


def run(name: str, seconds: int, work: Path) -> tuple[bool, int]:
    """Run one harness; return whether it passed and how many inputs it ran."""
    corpus = work / name / "corpus"
    artifacts = work / name / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(seeds()):
        (corpus / f"seed-{index:03d}").write_bytes(b"\x00" + seed)
    command = [
        sys.executable,
        str(HERE / f"{name}.py"),
        str(corpus),
        f"-max_total_time={seconds}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", output)
    executions = int(runs[-1]) if runs else 0
    if done.returncode != 0:
        print(output[-4000:], file=sys.stderr)
    return done.returncode == 0, executions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("harnesses", nargs="*", default=list(HARNESSES), metavar="HARNESS")
    parser.add_argument("--seconds", type=int, default=12, help="time for each harness")
    parser.add_argument("--keep", type=Path, help="keep corpora and artifacts in this folder")
    args = parser.parse_args(argv)
    unknown = set(args.harnesses) - set(HARNESSES)
    if unknown:
        parser.error(f"unknown harnesses: {', '.join(sorted(unknown))}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="segment-spec-fuzz-"))
    failed = []
    for name in args.harnesses:
        passed, executions = run(name, args.seconds, work)
        print(f"{name}: {executions:,} inputs in {args.seconds} s, {'ok' if passed else 'CRASH'}")
        if not passed:
            failed.append(name)
    if failed:
        print(f"crashes in {', '.join(failed)}; inputs kept in {work}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
