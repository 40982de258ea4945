"""The built wheel ships every schema, and an installed copy finds them like the dev install.

One wheel is built per module (from a copy of the source tree, so no stale ``build/`` folder
leaks old files into it) and installed into one fresh virtualenv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

import segment_spec
from segment_spec._schemas import store

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"

# Snippet run by other interpreters: prints where segment_spec came from and what it bundles.
PROBE = """
import json
import segment_spec
from segment_spec._schemas import store

accepted = segment_spec.check({"type": "track", "event": "Signed Up", "userId": "u-1"})
rejected = segment_spec.check({"type": "track", "userId": "u-1"})
print(json.dumps({
    "file": segment_spec.__file__,
    "compiled": segment_spec.COMPILED,
    "accepted": type(accepted).__name__,
    "rejected": getattr(rejected, "status", None),
    "paths": list(store().paths),
    "registry": sorted(segment_spec.REGISTRY),
}))
"""

# What no clean clone has: a build's, a test run's or a tool's leftovers.
_LEFTOVERS = (
    ".git",
    ".venv",
    "build",
    "dist",
    "site",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "results",
    "*.so",
    "*.pyd",
    "_speedups.c",
)
# The package's source alone: a clean clone without its tests and benchmarks.
_NOT_SOURCE = shutil.ignore_patterns(*_LEFTOVERS, "tests", "benchmarks")


def _env() -> dict[str, str]:
    """The environment without anything that would point Python at this checkout."""
    env = dict(os.environ)
    # SEGMENT_SPEC_NO_EXTENSIONS too: the wheel is built, and run, the way a user gets it.
    for name in (
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "VIRTUAL_ENV",
        "SEGMENT_SPEC_NO_EXTENSIONS",
    ):
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(argv)} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done


def _probe(python: Path | str, cwd: Path) -> dict[str, object]:
    done = _run([str(python), "-c", PROBE], cwd=cwd, timeout=60)
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _build_wheel(work: Path, env: dict[str, str] | None = None) -> tuple[Path, str]:
    """A wheel built from a clean copy of the source tree, and what the build printed."""
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    out = work / "dist"
    argv = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)]
    done = subprocess.run(
        argv, cwd=work, env=env or _env(), capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"the build exited {done.returncode}\n{done.stderr[-4000:]}")
    wheels = sorted(out.glob("segment_spec-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], done.stdout + done.stderr


def _install(wheel: Path, venv: Path) -> Path:
    """A fresh virtualenv (no system site-packages) with ``wheel`` installed; its python."""
    neutral = venv.parent
    _run([sys.executable, "-m", "venv", str(venv)], cwd=neutral)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=neutral)
    return python


@pytest.fixture(scope="module")
def wheel_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One wheel built from a clean copy of the source tree, and the build's output."""
    return _build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def wheel(wheel_build: tuple[Path, str]) -> Path:
    return wheel_build[0]


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel installed; its python."""
    return _install(wheel, tmp_path_factory.mktemp("venv") / "env")


def _repo_schema_files() -> set[str]:
    return {path.relative_to(SCHEMAS).as_posix() for path in SCHEMAS.rglob("*.json")}


# --- what the wheel holds ----------------------------------------------------------------------


def test_wheel_holds_the_marker_and_core_schemas(wheel_names: set[str]) -> None:
    for name in (
        "segment_spec/__init__.py",
        "segment_spec/py.typed",
        "segment_spec/schemas/__init__.py",
        "segment_spec/schemas/track.json",
        "segment_spec/schemas/common.json",
    ):
        assert name in wheel_names


def test_wheel_holds_every_schema_one_to_one(wheel_names: set[str]) -> None:
    prefix = "segment_spec/schemas/"
    in_wheel = {
        name.removeprefix(prefix)
        for name in wheel_names
        if name.startswith(prefix) and name.endswith(".json")
    }
    on_disk = _repo_schema_files()
    assert any("/" in path for path in on_disk), "expected subfolders such as schemas/events/"
    assert sorted(on_disk - in_wheel) == [], "schemas missing from the wheel"
    assert sorted(in_wheel - on_disk) == [], "files in the wheel that are not in schemas/"


def test_wheel_holds_every_module(wheel_names: set[str]) -> None:
    modules = {f"segment_spec/{path.name}" for path in (ROOT / "segment_spec").glob("*.py")}
    assert modules <= wheel_names
    # Nothing outside the package: no top-level schemas/ or tests/ folder.
    top = {name.split("/", 1)[0] for name in wheel_names}
    assert top == {"segment_spec", "segment_spec-0.1.0.dist-info"}


def _has_compiler() -> bool:
    import sysconfig

    return shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is not None


def test_wheel_holds_the_compiled_core(wheel_names: set[str]) -> None:
    if not _has_compiler():
        pytest.skip("no C compiler on this machine: the wheel is built without the core")
    cores = sorted(name for name in wheel_names if name.endswith((".so", ".pyd")))
    assert [name.split(".")[0] for name in cores] == [
        "segment_spec/_normalize_compiled",
        "segment_spec/_speedups",
    ], cores
    # The compiled careful walk is built from a copy of _normalize.py made in the build folder.
    assert "segment_spec/_normalize_compiled.py" not in wheel_names
    assert "segment_spec/_speedups.pyi" in wheel_names  # its types
    # The Cython source and its generated C are build inputs, not what runs.
    assert not [name for name in wheel_names if name.endswith((".c", ".pyx"))]


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read("segment_spec-0.1.0.dist-info/entry_points.txt").decode()
    assert "segment-spec = segment_spec._cli:main" in entry_points


# --- the installed wheel behaves like the dev install ------------------------------------------


def test_installed_wheel_finds_the_same_schemas(installed: Path) -> None:
    neutral = installed.parents[2]  # outside the repository, beside the virtualenv
    result = _probe(installed, cwd=neutral)
    file = Path(str(result["file"])).resolve()
    assert ROOT not in file.parents, f"imported the checkout, not the wheel: {file}"
    assert "site-packages" in file.parts
    assert result["accepted"] == "Track"
    assert result["rejected"] == 400
    assert result["compiled"] is _has_compiler()
    dev_paths = list(store().paths)
    assert result["paths"] == dev_paths
    assert set(dev_paths) == _repo_schema_files()
    # The installed REGISTRY (the runtime dependencies came with the wheel) is the dev one.
    assert result["registry"] == sorted(segment_spec.REGISTRY)


def test_installed_console_script(installed: Path) -> None:
    script = installed.parent / ("segment-spec.exe" if os.name == "nt" else "segment-spec")
    neutral = installed.parents[2]
    example = ROOT / "examples" / "messages"

    def validate(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), "validate", str(example / name)],
            cwd=neutral,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = validate("identify.json")
    assert done.returncode == 0, done.stderr
    done = validate("mixed.ndjson")
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.splitlines()) == 3


def test_repo_root_as_cwd_loads_the_same_schemas() -> None:
    # ``python -c`` puts the cwd first on sys.path, so segment_spec is imported straight from the
    # checkout; segment_spec.schemas must still resolve to the top-level schemas/ folder.
    result = _probe(sys.executable, cwd=ROOT)
    assert result["accepted"] == "Track"
    assert result["rejected"] == 400
    assert result["paths"] == list(store().paths)


def test_without_a_compiler_the_build_goes_on_in_pure_python(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A machine whose compiler fails: the build says so, the wheel has no core, and the
    # installed package runs the pure-Python code with the same answers.
    work = tmp_path_factory.mktemp("nocompiler")
    broken = work / "cc"
    broken.write_text("#!/bin/sh\necho 'no compiler here' >&2\nexit 1\n")
    broken.chmod(0o755)
    env = {**_env(), "CC": str(broken), "LDSHARED": f"{broken} -shared"}
    wheel, log = _build_wheel(work, env)
    assert "the pure-Python code will run" in log
    with zipfile.ZipFile(wheel) as archive:
        assert not [n for n in archive.namelist() if n.endswith((".so", ".pyd"))]
    python = _install(wheel, work / "env")
    result = _probe(python, cwd=work)
    assert result["compiled"] is False
    assert result["accepted"] == "Track"
    assert result["rejected"] == 400


def test_a_checkout_without_its_install_finds_the_schemas(tmp_path: Path) -> None:
    """A source tree imported as it is (Python started in a clone's root after ``pip install
    .``, not ``-e``) maps the top-level schemas/ folder to segment_spec.schemas itself."""
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "segment_spec", clone / "segment_spec", ignore=_NOT_SOURCE)
    shutil.copytree(ROOT / "schemas", clone / "schemas")
    # The editable install's finder would map segment_spec.schemas; a plain install has none.
    unmapped = (
        "import sys\n"
        "sys.meta_path[:] = [\n"
        "    f for f in sys.meta_path if 'Editable' not in getattr(f, '__name__', '')\n"
        "]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", unmapped + PROBE],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SEGMENT_SPEC_NO_EXTENSIONS": "1"},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["file"] == str(clone / "segment_spec" / "__init__.py")
    assert result["accepted"] == "Track"
    assert result["rejected"] == 400
    assert result["paths"] == list(store().paths)


# --- the sdist and the build's configuration ----------------------------------------------------

# What a clean clone has: the source without any leftovers.
_NOT_IN_A_CLONE = shutil.ignore_patterns(*_LEFTOVERS)


def _setuptools_warnings(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if "would be ignored" in line or "absent from setuptools' `packages`" in line
    ]


@pytest.fixture(scope="module")
def sdist_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An sdist built from a clean copy of the tree, and the build's output."""
    work = tmp_path_factory.mktemp("sdist")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_IN_A_CLONE)
    argv = [sys.executable, "-m", "build", "--sdist", "--outdir", str(work / "dist"), str(source)]
    done = _run(argv, cwd=work, timeout=600)
    (sdist,) = (work / "dist").glob("segment_spec-*.tar.gz")
    return sdist, done.stdout + done.stderr


@pytest.fixture(scope="module")
def sdist_build(sdist_file: tuple[Path, str]) -> tuple[set[str], str]:
    """The file names of the sdist, and the build's output."""
    sdist, output = sdist_file
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    return names, output


# Test files that need neither ../shared nor a server of their own making nor redis, and read
# what the sdist adds to the wheel: the README and the docs pages (their samples, the generated
# catalog), the example receivers and messages, the fixtures and the command line.
_FROM_SDIST = (
    "tests/test_readme.py",
    "tests/test_docs_examples.py",
    "tests/test_events_doc.py",
    "tests/test_example_receiver.py",
    "tests/test_error_model.py",
    "tests/test_catalog.py",
    "tests/test_cli.py",
)
# The unpacked sdist is imported from its own folder, as a clone would be. This interpreter's
# editable install maps segment_spec (and its schemas) to the checkout under test: its finder
# is taken out first, so the sdist's own source and schemas are what the tests read.
_AS_A_CLONE = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
for name in [name for name in sys.modules if name.split(".")[0] == "segment_spec"]:
    del sys.modules[name]
import pytest
import segment_spec._schemas
assert segment_spec.__file__.startswith(sys.argv[1]), segment_spec.__file__
sys.exit(pytest.main(sys.argv[2:]))
"""


def test_tests_pass_from_the_unpacked_sdist(sdist_file: tuple[Path, str], tmp_path: Path) -> None:
    """The whole suite collects from the unpacked sdist, and the tests that read its extra files
    pass there, against the sdist's own source (the pure-Python code: nothing is built)."""
    sdist, _ = sdist_file
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    common = ["-q", "-p", "no:cacheprovider", "-n", "0"]
    run = [sys.executable, "-c", _AS_A_CLONE, str(unpacked)]
    collected = _run([*run, "--collect-only", *common], unpacked, timeout=300)
    assert "error" not in collected.stdout.splitlines()[-1], collected.stdout[-2000:]
    done = _run([*run, *common, *_FROM_SDIST], unpacked, timeout=600)
    last = done.stdout.splitlines()[-1]
    assert " passed" in last, done.stdout[-2000:]
    assert "failed" not in last, done.stdout[-2000:]


def test_sdist_holds_what_its_tests_need(sdist_build: tuple[set[str], str]) -> None:
    """The sdist has the tests with their conftest and fixtures, the examples, the pages and
    scripts the tests read, the licence and the core's Cython source."""
    names, _ = sdist_build
    tracked = {
        "LICENSE",
        "CHANGELOG.md",
        "mkdocs.yml",
        ".ci/run",
        "segment_spec/_speedups.pyx",
        "tests/conftest.py",
        "tests/fixtures/messages.ndjson",
        "examples/receiver.py",
        "examples/messages/mixed.ndjson",
        "docs/index.md",
        "docs/reference/checking.md",
        "scripts/generate_events_doc.py",
        "benchmarks/hostile.py",
        "fuzz/run.py",
    }
    assert tracked <= names, sorted(tracked - names)
    assert {f"tests/{path.name}" for path in (ROOT / "tests").glob("*.py")} <= names


def test_sdist_holds_no_build_output(sdist_build: tuple[set[str], str]) -> None:
    """Neither setup.py's build/cython copy nor generated C nor a built module is shipped."""
    names, _ = sdist_build
    built = sorted(n for n in names if n.startswith("build/") or n.endswith((".c", ".so", ".pyd")))
    assert not built


def test_builds_give_no_setuptools_warnings(
    sdist_build: tuple[set[str], str], wheel_build: tuple[Path, str]
) -> None:
    """Every schema folder is a listed package: setuptools warns about none it would drop."""
    assert not _setuptools_warnings(sdist_build[1])
    assert not _setuptools_warnings(wheel_build[1])


def test_every_schema_folder_is_a_listed_package() -> None:
    """pyproject.toml lists each folder of schemas/ as a package, and nothing else under it."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        packages = tomllib.load(file)["tool"]["setuptools"]["packages"]
    folders = {
        "segment_spec.schemas" + "".join(f".{part}" for part in path.relative_to(SCHEMAS).parts)
        for path in [SCHEMAS, *SCHEMAS.rglob("*")]
        if path.is_dir() and path.name != "__pycache__"
    }
    assert {name for name in packages if name.startswith("segment_spec.schemas")} == folders
