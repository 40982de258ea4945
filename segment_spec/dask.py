"""Validate replays on a Dask cluster: many files, or a ``dask.bag`` of lines.

Needs the ``dask`` extra (``pip install 'segment-spec[dask]'``), on the client and on every
worker. Each file is one task (:func:`segment_spec.replay.check_files`), read by a worker
exactly as ``segment-spec validate`` reads it (gzip, zstandard, plain NDJSON, one JSON message
or batch envelope); each partition of a bag is one task (:func:`segment_spec.replay.check_lines`).
The parts come back in input order and :func:`segment_spec.replay.combine` adds them up, so the
result's :meth:`~segment_spec.replay.Part.summary` is the ``--summary-json`` object of the local
run on the same input, first places (file and line) included.

The workers open the paths as they are given, so the files must be on a file system the
workers share, at the same names (give absolute paths unless the workers run in the same
directory). A single large file is one task: to spread it over the cluster, read it as a bag,
``dask.bag.read_text(path, blocksize="64MiB", linedelimiter="\\n")``, and pass ``source=path``
(the ``linedelimiter`` keeps a lone CR inside a line, as the command does; Dask's default
breaks lines at it too, and the line numbers would no longer be the file's).

With no ``client``, Dask's current scheduler runs the tasks:

>>> import dask, dask.bag
>>> lines = ['{"type": "identify", "userId": "u1"}', "", '{"type": "track", "userId": "u2"}']
>>> with dask.config.set(scheduler="sync"):
...     part = validate_bag(dask.bag.from_sequence(lines, npartitions=2), source="day.ndjson")
>>> part.summary()["by_rule"][0]["first"]
[{'file': 'day.ndjson', 'line': 3, 'json_path': '$.event'}]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

try:
    import distributed
    from dask.base import compute
    from dask.delayed import delayed
except ImportError:
    raise ImportError("segment_spec.dask needs Dask: pip install 'segment-spec[dask]'") from None

from . import __version__
from ._stream import expand_paths
from .exceptions import ClusterNotReady, SchedulerUnreachable
from .replay import Part, check_files, check_lines, combine

if TYPE_CHECKING:
    from dask.bag import Bag

__all__ = ["connect", "iter_file_parts", "ready", "validate_bag", "validate_paths"]

# Seconds to wait for a scheduler before giving up: a cluster answers in well under a second.
CONNECT_TIMEOUT = 10.0


def connect(address: str, *, timeout: float = CONNECT_TIMEOUT) -> distributed.Client:
    """A client of the running Dask scheduler at ``address`` (``tcp://host:8786``), not made
    the default one; close it when done. Raises
    :class:`~segment_spec.exceptions.SchedulerUnreachable` if no scheduler answers within
    ``timeout`` seconds.

    >>> connect("tcp://127.0.0.1:9", timeout=0.5)
    Traceback (most recent call last):
    ...
    segment_spec.exceptions.SchedulerUnreachable: cannot reach the Dask scheduler at ... 0.5 s
    """
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError):
        # distributed's own error names only its internals; the address and wait are the news.
        raise SchedulerUnreachable(address, timeout) from None


# What each worker evaluates to say which segment_spec it imports. The probe is the builtin
# eval, which a worker has whatever is installed: a function of this package would need the
# package on the worker just to be unpickled, and a worker that fails to unpickle a task drops
# its connection and is restarted, which leaves the task waiting for ever.
_PROBE = "__import__('segment_spec').__version__"


def ready(client: distributed.Client, *, timeout: float = CONNECT_TIMEOUT) -> None:
    """Check that ``client``'s cluster can run the checks: a worker joins within ``timeout``
    seconds, and every worker imports this very version of segment_spec. Raises
    :class:`~segment_spec.exceptions.ClusterNotReady` otherwise, naming the worker.
    :func:`iter_file_parts` and :func:`validate_bag` call it before they send a task."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ClusterNotReady(f"no worker joined within {timeout:g} s") from None
    answers = client.run(eval, _PROBE, on_error="return")
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            raise ClusterNotReady(
                f"the worker at {worker} cannot import segment_spec ({type(answer).__name__});"
                " install segment-spec[dask] on every worker"
            )
        if answer != __version__:
            raise ClusterNotReady(
                f"the worker at {worker} runs segment-spec {answer}, not {__version__}"
            )


def iter_file_parts(
    paths: Sequence[str],
    *,
    client: distributed.Client | None = None,
    strict: bool = False,
    supported: frozenset[str] | None = None,
    findings: bool = False,
    timeout: float = CONNECT_TIMEOUT,
) -> Iterator[Part]:
    """The :class:`~segment_spec.replay.Part` of each file under ``paths``, one task a file,
    in input order, each as soon as it and the files before it are checked (on ``client``'s
    cluster, else on Dask's current scheduler). Raises ``OSError`` for a path that does not
    exist and ``ValueError`` for ``-``, before any task starts, and
    :class:`~segment_spec.exceptions.ClusterNotReady` when the cluster cannot run them
    (:func:`ready`, given ``timeout``)."""
    if "-" in paths:
        raise ValueError("standard input cannot be read on a cluster: give files")
    files = expand_paths(paths)
    work = partial(check_files, strict=strict, supported=supported, findings=findings)
    # pure=False: a file's content may change between two runs, so no result is reused.
    tasks = [delayed(work, pure=False)([path]) for path in files]
    if client is None:
        yield from compute(*tasks)
        return
    ready(client, timeout=timeout)
    futures = client.compute(tasks)
    for future in futures:
        yield future.result()
        future.release()  # the part is no longer held on its worker


def validate_paths(
    paths: Sequence[str],
    *,
    client: distributed.Client | None = None,
    strict: bool = False,
    supported: frozenset[str] | None = None,
    findings: bool = False,
) -> Part:
    """Check every message of the files under ``paths`` on the cluster; the combined
    :class:`~segment_spec.replay.Part`. ``strict`` and ``supported`` are
    ``segment-spec validate``'s ``--strict`` and ``--supported``; ``findings`` keeps the
    rejected messages (their lines, in input order) in the result."""
    return combine(
        iter_file_parts(paths, client=client, strict=strict, supported=supported, findings=findings)
    )


def _bag_partition(lines: Iterable[str | bytes], **options: Any) -> list[Part]:
    return [check_lines(lines, **options)]


def validate_bag(
    bag: Bag,
    *,
    source: str = "<bag>",
    client: distributed.Client | None = None,
    strict: bool = False,
    supported: frozenset[str] | None = None,
    findings: bool = False,
) -> Part:
    """Check a bag of NDJSON lines (``str`` or ``bytes``, one line an element, in the order of
    the stream named ``source``), one task a partition; the combined
    :class:`~segment_spec.replay.Part`, numbered as the lines of one file (empty lines
    count). The other options are those of :func:`validate_paths`."""
    parts = bag.map_partitions(
        _bag_partition, source=source, strict=strict, supported=supported, findings=findings
    )
    if client is None:
        return combine(parts.compute())
    ready(client)
    return combine(client.compute(parts, sync=True))
