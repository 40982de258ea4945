"""The example receivers in examples/, each served by a real server and graded by
``segment-spec conformance``: the plain uvicorn app (run as its own process, the way its
docstring says), the FastAPI app on uvicorn and the Flask app on waitress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from asgi_servers import free_port, serve, serve_process, serve_wsgi
from conftest import load_file

from segment_spec._cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KEY = "segment"


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import examples/<name>.py afresh, with SEGMENT_API_KEYS set to :data:`KEY`."""
    monkeypatch.setenv("SEGMENT_API_KEYS", KEY)
    return load_file(EXAMPLES / f"{name}.py", f"example_{name}")


def graded(capsys: pytest.CaptureFixture[str], url: str, *options: str) -> list[dict[str, str]]:
    capsys.readouterr()
    status = main(["conformance", url, "--api-key", KEY, "--json", *options])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row for row in rows if row["result"] != "pass"] == []
    assert status == 0
    assert len(rows) > 10
    return rows


def test_the_uvicorn_example_run_as_a_program_passes_conformance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    argv = [sys.executable, str(EXAMPLES / "receiver.py"), "--port", str(port)]
    with serve_process(argv, port, {**os.environ, "SEGMENT_API_KEYS": f"other, {KEY}"}):
        graded(capsys, f"http://127.0.0.1:{port}/")


def test_the_uvicorn_example_needs_keys(capsys: pytest.CaptureFixture[str]) -> None:
    env = {key: value for key, value in os.environ.items() if key != "SEGMENT_API_KEYS"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "receiver.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SEGMENT_API_KEYS" in done.stderr


def test_the_uvicorn_examples_app_answers_501_outside_supported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load("receiver", monkeypatch)
    five = module.make_app([KEY], supported={"track", "identify", "page", "screen", "group"})
    with serve(five) as url:
        graded(capsys, url, "--unsupported", "alias")


def test_the_fastapi_example_passes_conformance(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load("fastapi_receiver", monkeypatch)
    with serve(module.app) as url:
        origin = url.rsplit("/v1/segment", 1)[0]
        unsupported = [
            option
            for call in ("page", "screen", "group", "alias")
            for option in ("--unsupported", call)
        ]
        graded(capsys, origin + "/segment/", *unsupported)


def test_the_flask_example_passes_conformance(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load("flask_receiver", monkeypatch)
    with serve_wsgi(module.app) as origin:
        graded(capsys, origin + "/segment")


@pytest.mark.parametrize("name", ["receiver", "fastapi_receiver", "flask_receiver"])
def test_each_example_is_a_few_lines(name: str) -> None:
    code = [
        line
        for line in (EXAMPLES / f"{name}.py").read_text("utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(code) <= 60, len(code)
