"""What the harnesses share: the seeds taken from the project's own fixtures, and the checks of a
result that hold for any input.

Each harness (``fuzz_*.py``) is an atheris target: run it alone as ``python fuzz/fuzz_check.py
SEED_DIR -max_total_time=60``, or all of them through ``python fuzz/run.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def seeds() -> list[bytes]:
    """Bodies to start from: every message of the project's fixtures and examples, as sent and
    in snake_case, each alone and in a batch envelope."""
    found: list[bytes] = []
    for path in sorted((ROOT / "tests" / "fixtures").glob("*.ndjson")) + sorted(
        (ROOT / "examples" / "messages").glob("*")
    ):
        lines = path.read_bytes().splitlines()
        found.extend(line for line in lines if line.strip())
    found.append(b"".join((ROOT / "examples" / "messages" / "identify.json").read_bytes().split()))
    batches = [b'{"batch":[' + b",".join(found[:5]) + b'],"context":{"ip":"1.2.3.4"}}']
    return found + batches


def json_value(data: bytes) -> tuple[bool, Any]:
    """The input read by the standard library, when it is JSON in UTF-8 that it reads exactly:
    not NaN, the infinities or a number beyond a double's range, which the standard library
    reads and JSON does not have (a later duplicate key could hide one from the value). Not a
    string either: given as ``str``, a value is JSON text, another input. (From bytes, the
    standard library would also guess UTF-16 and UTF-32.) The rules are written here again, not
    taken from the package: an oracle must not share the code it checks."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_refuse, parse_float=_finite)
    except (ValueError, RecursionError):
        return False, None
    return not isinstance(value, str), value


def _refuse(text: str) -> float:
    raise ValueError(f"{text} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is beyond a double's range")
    return number


def check_reply(result: Any) -> None:
    """What any result of check must be: a typed message, or a rejection with its reply."""
    from segment_spec import Rejection

    if isinstance(result, Rejection):
        assert result.status in (400, 501), result.status
        assert set(result.body) == {"message"}, result.body
        assert isinstance(result.body["message"], str)
        assert result.body["message"]
        assert result.issues, result
        for issue in result.issues:
            assert all(type(step) in (str, int) for step in issue.path), issue.path
    else:
        assert result.type in ("identify", "track", "page", "screen", "group", "alias")
        assert isinstance(result.data, dict)
