"""segment_spec.dask and validate --scheduler: a replay checked on a real Dask cluster (two
worker processes) gives the very summary, findings and exit status of the local run."""

from __future__ import annotations

import doctest
import gzip
import io
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.bag
import pytest
import zstandard
from conftest import FIXTURES, shared_path
from distributed import Client, LocalCluster

import segment_spec
import segment_spec.dask
import segment_spec.replay
from segment_spec._files import validate_files
from segment_spec.dask import validate_bag, validate_paths
from segment_spec.replay import Part, check_files, check_lines, combine

SCRIPT = Path(sys.executable).parent / "segment-spec"


def line(value: object) -> str:
    return json.dumps(value) + "\n"


GOOD = {"type": "page", "userId": "u1"}
NO_GROUP = {"type": "group", "userId": "u2"}
NO_EVENT = {"type": "track", "userId": "u3"}
WARNED = {"type": "identify", "userId": "u4", "traits": {"firstName": "A", "first_name": "B"}}


def spread(count: int, every: int) -> str:
    """``count`` lines, a rejected one (two rules in turn) every ``every`` lines, a warned one
    and an empty one now and then: first places fall in many partitions."""
    rows = []
    for index in range(count):
        if index % every == 3:
            rows.append(line(NO_GROUP if index // every % 2 else NO_EVENT))
        elif index % 97 == 5:
            rows.append(line(WARNED))
        elif index % 211 == 9:
            rows.append("\n")
        else:
            rows.append(line(GOOD))
    return "".join(rows)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A client of a real cluster: two worker processes of one thread, started once here."""
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster, set_as_default=False) as made,
    ):
        yield made


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of every kind of file the command reads: plain, gzip, zstandard, a pretty JSON
    document, a batch, a truncated gzip (unreadable after its start) and the project's own
    fixture."""
    folder = tmp_path_factory.mktemp("replay")
    day = folder / "2024-05-01"
    day.mkdir()
    (day / "a.ndjson").write_text(spread(3000, 211))
    (day / "b.ndjson.gz").write_bytes(gzip.compress(spread(2000, 150).encode()))
    (day / "c.ndjson.zst").write_bytes(zstandard.compress(spread(1500, 120).encode()))
    (folder / "one.json").write_text(json.dumps(NO_GROUP, indent=2))
    (folder / "batch.json").write_text(json.dumps({"batch": [GOOD, NO_EVENT, WARNED]}))
    whole = gzip.compress(spread(4000, 300).encode())
    (folder / "cut.ndjson.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "messages.ndjson").write_bytes((FIXTURES / "messages.ndjson").read_bytes())
    return folder


def local(paths: list[str], **options: Any) -> tuple[dict[str, Any], list[str]]:
    """The local run's --summary-json object and printed findings (one process)."""
    out = io.StringIO()
    summary = validate_files(
        paths,
        stdin=io.BytesIO(),
        strict=options.get("strict", False),
        supported=options.get("supported"),
        jobs=1,
        as_json=False,
        out=out,
        progress=None,
    )
    return summary.as_json(), out.getvalue().splitlines()


@pytest.mark.parametrize(
    "options",
    [{}, {"strict": True}, {"supported": frozenset({"track", "identify"})}],
    ids=["lax", "strict", "supported"],
)
def test_files_on_the_cluster_give_the_local_summary(
    client: Client, replay: Path, options: dict[str, Any]
) -> None:
    """Every kind of file, one task each on two workers: the summary is the local run's, first
    places and the unreadable file included, and so are the findings, in input order."""
    expected, printed = local([str(replay)], **options)
    part = validate_paths([str(replay)], client=client, findings=True, **options)
    assert part.summary() == expected
    assert [finding.as_text() for finding in part.findings] == printed
    assert expected["files"] == 7
    assert [entry["file"] for entry in expected["unreadable"]] == [str(replay / "cut.ndjson.gz")]
    assert expected["rejected"] > 20


def test_the_corpus_on_the_cluster_gives_the_local_summary(client: Client) -> None:
    """The real corpus and the spec's examples (../shared): the same summary both ways."""
    corpus = shared_path("corpus")
    paths = [str(corpus / "real"), str(corpus / "spec-examples")]
    expected, _ = local(paths)
    assert validate_paths(paths, client=client).summary() == expected
    assert expected["messages"] > 1000


def test_a_bag_of_lines_is_numbered_as_its_file(client: Client, tmp_path: Path) -> None:
    """A plain file read as a bag in many partitions: the lines of each partition are moved
    on past those before it, so the summary is the local run's on the file."""
    path = tmp_path / "big.ndjson"
    path.write_text(spread(6000, 400))
    bag = dask.bag.read_text(str(path), blocksize=40_000)
    assert bag.npartitions >= 4
    expected, _ = local([str(path)])
    assert validate_bag(bag, source=str(path), client=client).summary() == expected
    (rule,) = [rule for rule in expected["by_rule"] if rule["json_path"] == "$.group_id"]
    # The first places span the partitions.
    assert [entry["line"] for entry in rule["first"]] == [404, 1204, 2004, 2804, 3604]


def test_a_gzip_file_on_the_cluster(client: Client, tmp_path: Path) -> None:
    """A gzipped file, as a path and as a bag Dask decompresses, gives the local summary."""
    path = tmp_path / "day.ndjson.gz"
    path.write_bytes(gzip.compress(spread(2500, 180).encode()))
    expected, _ = local([str(path)])
    assert validate_paths([str(path)], client=client).summary() == expected
    bag = dask.bag.read_text(str(path), compression="gzip")
    assert validate_bag(bag, source=str(path), client=client).summary() == expected


def test_partitions_combine_in_any_grouping(tmp_path: Path) -> None:
    """The partition functions and combine, as a Spark job would use them (no Spark): runs of
    lines combined flat or as a tree, and files checked a few to a partition, give the summary
    of the local run."""
    path = tmp_path / "day.ndjson"
    text = spread(1200, 70)
    path.write_text(text)
    rows = text.splitlines(keepends=True)
    runs = [rows[start : start + 100] for start in range(0, len(rows), 100)]
    parts = [check_lines(run, source=str(path)) for run in runs]
    expected, _ = local([str(path)])
    assert combine(parts).summary() == expected
    tree = combine([combine(parts[:3]), combine([combine(parts[3:7]), combine(parts[7:])])])
    assert tree.summary() == expected
    for index in range(3):
        (tmp_path / f"f{index}.ndjson").write_text(spread(300 + index * 50, 40 + index))
    files = [str(tmp_path / f"f{index}.ndjson") for index in range(3)]
    grouped = combine([check_files(files[:2]), check_files(files[2:])])
    assert grouped.summary() == local(files)[0]


def test_standard_input_is_not_a_partition() -> None:
    """A partition has no standard input: ``-`` is refused before anything is read."""
    with pytest.raises(ValueError, match="standard input"):
        check_files(["-"])


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "validate", *argv], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_command_on_a_scheduler_is_the_local_run(
    client: Client, replay: Path, tmp_path: Path
) -> None:
    """validate --scheduler ADDRESS: the same findings (in order), summary file, report and
    exit status as validate --jobs 1."""
    outputs = []
    for mode in (["--jobs", "1"], ["--scheduler", client.scheduler.address]):
        folder = tmp_path / mode[0].strip("-")
        folder.mkdir()
        done = run(
            *mode,
            "--summary-json",
            str(folder / "summary.json"),
            "--report",
            str(folder / "report.html"),
            str(replay),
        )
        assert "Traceback" not in done.stderr
        outputs.append(
            (
                done.returncode,
                done.stdout,
                (folder / "summary.json").read_text(),
                (folder / "report.html").read_text(),
                [row for row in done.stderr.splitlines() if row.startswith("segment-spec:")],
            )
        )
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 2  # the truncated file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_unreachable_scheduler_is_a_usage_error(replay: Path) -> None:
    """No scheduler at the address: exit 2 within the timeout, one line, no traceback."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = run("--scheduler", address, "--scheduler-timeout", "1", str(replay))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"segment-spec: cannot reach the Dask scheduler at {address} within 1 s"
    ]


def test_without_dask_the_scheduler_option_says_what_to_install(replay: Path) -> None:
    """Where Dask is not installed, --scheduler exits 2 naming the extra to install."""
    program = (
        "import sys\n"
        "sys.modules['dask'] = sys.modules['distributed'] = None  # as if not installed\n"
        "from segment_spec._cli import main\n"
        f"sys.exit(main(['validate', '--scheduler', 'tcp://127.0.0.1:1', {str(replay)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "segment-spec: --scheduler needs Dask: pip install 'segment-spec[dask]'"
    ]


@pytest.mark.parametrize("argv", [["--jobs", "2"], ["-"]], ids=["jobs", "stdin"])
def test_what_the_scheduler_does_not_take(argv: list[str], replay: Path) -> None:
    """--jobs and standard input are for a local run: asking for them is a usage error."""
    paths = [] if argv == ["-"] else [str(replay)]
    done = run("--scheduler", "tcp://127.0.0.1:1", *argv, *paths)
    assert done.returncode == 2
    assert done.stderr.startswith("segment-spec: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("module", [segment_spec.dask, segment_spec.replay], ids=str)
def test_docstring_examples(module: Any) -> None:
    """The modules' examples give the output shown."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


def test_a_part_is_a_value() -> None:
    """An empty part sums up to nothing; combining leaves its parts as they were."""
    empty = Part()
    assert empty.summary()["messages"] == 0
    one = check_lines([line(NO_GROUP)], source="x")
    before = one.summary()
    combine([one, one])
    assert one.summary() == before


def test_a_partition_counts_the_lines_an_element_holds_and_never_raises_on_its_text() -> None:
    """An element with a newline inside is the lines it holds, as in a file; text read with
    ``surrogateescape`` gets its bytes back, and a lone surrogate is a rejected line."""
    from segment_spec.replay import check_lines as lines_of

    track = '{"type": "track", "event": "E", "userId": "u1"}'
    part = lines_of([f"{track}\n{{}}", "\udcff", track, '{"type": "alias"}'], findings=True)
    assert (part.lines, part.messages) == (5, 5)
    assert [finding.record.line for finding in part.findings] == [2, 3, 5]
    assert "UTF-8" in part.findings[1].as_text()
    escaped = b'{"type": "identify", "userId": "\xff"}'.decode("utf-8", "surrogateescape")
    assert lines_of([escaped]).rejected == 1  # its bytes are not UTF-8, as in the file


_WITHOUT_THE_PACKAGE = '''
"""A worker preload: this worker cannot import segment_spec, as if it were not installed."""
import sys


class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name == "segment_spec" or name.startswith("segment_spec."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
for loaded in [name for name in sys.modules if name.split(".")[0] == "segment_spec"]:
    del sys.modules[loaded]
'''


def test_a_worker_without_the_package_is_a_clear_error(replay: Path, tmp_path: Path) -> None:
    """A cluster whose worker cannot import segment_spec: the command exits 2 at once with one
    line that names the worker and what it needs, and no traceback (a task sent there would
    wait for ever)."""
    preload = tmp_path / "without_segment_spec.py"
    preload.write_text(_WITHOUT_THE_PACKAGE)
    with LocalCluster(
        n_workers=1,
        processes=True,
        threads_per_worker=1,
        dashboard_address=":0",
        preload=[str(preload)],
    ) as cluster:
        done = run("--scheduler", cluster.scheduler_address, str(replay / "batch.json"))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (said,) = [row for row in done.stderr.splitlines() if row.startswith("segment-spec:")]
    assert said.startswith("segment-spec: the Dask cluster cannot run the checks: the worker at")
    assert said.endswith(
        "cannot import segment_spec (ModuleNotFoundError); install segment-spec[dask] on every"
        " worker"
    )


def test_a_cluster_with_no_worker_is_not_ready(replay: Path) -> None:
    """No worker joins: ready() says so within its timeout instead of leaving tasks waiting."""
    from segment_spec.dask import ready
    from segment_spec.exceptions import ClusterNotReady

    with (
        LocalCluster(n_workers=0, processes=True, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as empty,
    ):
        with pytest.raises(ClusterNotReady, match=r"no worker joined within 0\.5 s"):
            ready(empty, timeout=0.5)
        with pytest.raises(ClusterNotReady):
            validate_paths([str(replay / "batch.json")], client=empty)


def test_a_ready_cluster_runs_this_version(client: Client) -> None:
    from segment_spec.dask import ready

    ready(client)  # both workers import this very segment_spec
    assert set(client.run(eval, "__import__('segment_spec').__version__").values()) == {
        segment_spec.__version__
    }
