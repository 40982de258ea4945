"""The README's receiver example runs and does what it says."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def _receive() -> Any:
    block = re.search(r"```python\n(.*?)```", README, re.DOTALL)
    assert block is not None
    code = block[1]
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["receive"]


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def test_readme_receiver() -> None:
    receive = _receive()
    track = b'{"type": "track", "event": "Signed Up", "userId": "u1"}'
    assert receive(_basic("my-key"), track) == (200, {})
    assert receive(_basic("other"), track) == (401, {"message": "unknown API key"})
    status, body = receive(None, track)
    assert status == 401
    assert body["message"]
    assert receive(_basic("my-key"), b'{"type": "track", "userId": "u1"}')[0] == 400
    assert receive(_basic("my-key"), b'{"type": "page", "userId": "u1"}')[0] == 501


def test_readme_has_exactly_two_setup_commands() -> None:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert commands == [
        "pip install . && segment-spec validate examples/messages/identify.json",
        "pip install -e '.[test]' && pytest",
    ]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text("utf-8")
    assert commands[1] in ci
