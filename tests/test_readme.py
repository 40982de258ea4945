"""The README's receiver example runs and does what it says."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def _run(code: str, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = dict(names)
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_readme_receiver_is_ten_lines_and_does_what_it_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _blocks()[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    namespace = _run(code)
    dest, app = namespace["dest"], namespace["app"]
    track = (
        b'{"type": "track", "event": "Signed Up", "userId": "u1", "properties": {"planName": 1}}'
    )
    reply = dest.receive(_basic("my-key"), track)
    assert (reply.status, reply.message) == (200, "ok")
    assert capsys.readouterr().out == "Signed Up {'plan_name': 1}\n"
    assert dest.receive(_basic("other"), track).status == 401
    assert dest.receive({}, track).status == 401
    assert dest.receive(_basic("my-key"), b'{"type": "track", "userId": "u1"}').status == 400
    assert dest.receive(_basic("my-key"), b'{"type": "page", "userId": "u1"}').status == 501
    # The app is the same destination, as an ASGI app.
    assert app.destination is dest


def test_readme_check_example() -> None:
    namespace = _run(_blocks()[1], body=b'{"type": "page", "userId": "u1"}')
    assert namespace["reply"][0] == 501
    namespace = _run(_blocks()[1], body=b'{"type": "track", "userId": "u1"}')
    assert namespace["reply"] == (400, {"message": "event is required: a non-empty string"})


def test_readme_has_exactly_two_setup_commands() -> None:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert commands == [
        "pip install . && segment-spec validate examples/messages/identify.json",
        "pip install -e '.[test]' && pytest",
    ]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text("utf-8")
    assert commands[1] in ci


def test_readme_links_are_absolute() -> None:
    """Every link of the README works where PyPI shows it, away from the repository's files."""
    targets = re.findall(r"\]\(([^)]+)\)", README)
    assert targets
    relative = [target for target in targets if not target.startswith("https://")]
    assert not relative, f"PyPI cannot follow these links: {relative}"
