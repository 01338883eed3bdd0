"""Every developer task, one session each: `nox -l` lists them.

Sessions install the project into their own virtualenv (uv when it is available, for speed),
constrained by `requirements-dev.lock`, so every run and every machine sees the same releases.
`nox -s lock` regenerates the lock; `nox -s tests_latest` runs the tests on the newest releases
instead (see CONTRIBUTING.md). The README's test command is what CI (`.ci/run`) runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "check_generated", "docs", "tests"]

ROOT = Path(__file__).parent
LOCK = "requirements-dev.lock"
# The extras the development sessions install. A new extra whose code the tests exercise goes
# here (and into the lock, which covers every extra: `nox -s lock`).
DEV_EXTRAS = "dev"
TYPED = ["src", "codegen", "tests/typing"]
# Branch coverage of src/ (generated _sync/ left out) by the quick tests must not drop below
# this: a little under the figure measured when it was set (78.75 % on main after the telemetry and scale-out merges, 2026-12-01), so noise does
# not fail a run.
COVERAGE_FLOOR = 77
# Printed by tests_latest, so a failure there can be matched to the release that moved.
SHOW_VERSIONS = (
    "import importlib.metadata as m; "
    "print(' '.join(sorted(f'{d.name}=={d.version}' for d in m.distributions())))"
)


def _install(session: nox.Session, extras: str = DEV_EXTRAS) -> None:
    """Install the project (editable) with `extras`, every package at its locked release."""
    session.install("-c", LOCK, "-e", f".[{extras}]")


def _pytest(session: nox.Session, *args: str) -> None:
    session.run("python", "-m", "pytest", *args, *(session.posargs or ["-q"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright (strict) over the sources, the generator and the typing tests;
    pyright (basic, tests/pyrightconfig.json) over all the tests."""
    _install(session)
    session.run("mypy", "--strict", *TYPED)
    session.run("pyright", *TYPED)
    python = session.run("python", "-c", "import sys; print(sys.executable)", silent=True)
    session.run("pyright", "-p", "tests", "--pythonpath", str(python).strip())


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite on the locked releases, with branch coverage.

    Without arguments the whole suite runs: the quick tests with branch coverage, which must
    reach `COVERAGE_FLOOR`, then the `slow` ones. With pytest arguments after `--`
    (`-- -m "not slow"`, `-- tests/unit -k ndjson`) only those tests run, without coverage.
    """
    _install(session)
    if session.posargs:
        _pytest(session)
        return
    # Coverage is measured on the quick tests; the slow ones (load, soak, tool runs) then run
    # untraced: tracing 1,000 concurrent streams costs minutes and covers no line of its own.
    _pytest(
        session,
        "-m",
        "not slow",
        "--cov",
        "--cov-report=term",
        f"--cov-fail-under={COVERAGE_FLOOR}",
    )
    _pytest(session, "-m", "slow")


@nox.session
def tests_latest(session: nox.Session) -> None:
    """The test suite on the newest releases, ignoring the lock: did a dependency move?"""
    session.install("--upgrade", "-e", f".[{DEV_EXTRAS}]")
    session.run("python", "-c", SHOW_VERSIONS, silent=False)
    _pytest(session)


@nox.session
def tests_lowest(session: nox.Session) -> None:
    """The tests that exercise the runtime dependencies, each at its declared lower bound.

    The development tools stay locked; only `[project] dependencies` drop to the oldest release
    pyproject.toml allows, which proves the lower bounds are honest (msgspec's reporting of
    invalid UTF-8, for one, changed between our lower bound and the newest release).
    """
    _install(session)
    session.install(*_lower_bounds())
    _pytest(session, "tests/unit", "tests/_async", "tests/_sync")


def _lower_bounds() -> list[str]:
    """`name==bound` for every runtime dependency declared as `name>=bound`."""
    # A regex rather than tomllib, which Python 3.10 (our lowest) lacks.
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S)
    if block is None:
        sys.exit("tests_lowest: no `dependencies = [...]` in pyproject.toml")
    pins: list[str] = []
    for spec in re.findall(r'"([^"]+)"', block[1]):
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", spec)
        if match is None:
            sys.exit(f"tests_lowest: cannot read a lower bound from {spec!r}")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


@nox.session
def compat(session: nox.Session) -> None:
    """Drop-in proof (tests/compat/): the official examples, README and tests, langchain-ollama,
    llama-index and ollama-haystack, each run on the official library and on ours."""
    _install(session, "compat")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/compat",
        "-p",
        "no:asyncio",  # llama-index-embeddings-ollama requires pytest-asyncio; we use anyio
        *(session.posargs or ["-q"]),
        env={
            "OLLAMA_SERVICE_COMPAT": "1",
            # The official sdist is downloaded (hash-checked) once per session venv.
            "OLLAMA_COMPAT_SOURCES": session.create_tmp() + "/official-sdist",
        },
    )


@nox.session
def lock(session: nox.Session) -> None:
    """Regenerate requirements-dev.lock (`-- --upgrade` moves every pin to its newest release).

    Without `--upgrade` the current pins are kept wherever they still fit, so adding an extra
    changes only the lines it needs.
    """
    session.install(*(["-c", LOCK] if (ROOT / LOCK).exists() else []), "uv")
    session.run(
        "uv",
        "pip",
        "compile",
        "pyproject.toml",
        "--all-extras",
        "--universal",
        "--python-version",
        "3.10",
        "--custom-compile-command",
        "nox -s lock",
        "--output-file",
        LOCK,
        "--quiet",
        *session.posargs,
    )


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the types from openapi/ollama.yaml and the sync twins from _async/."""
    _install(session)
    session.run("python", "-m", "codegen")


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail when any generated file differs from what the generator produces now."""
    _install(session)
    session.run("python", "-m", "codegen", "--check")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    _install(session)
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        session.create_tmp() + "/site",
        env={"NO_MKDOCS_2_WARNING": "1"},  # mkdocs-material's notice about its successor
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the official `ollama` library and bare httpx + msgspec (see benchmarks/)."""
    _install(session, "dev,bench")
    session.run("python", "-m", "benchmarks.run", *session.posargs)


@nox.session
def scaleout(session: nox.Session) -> None:
    """The SDK through real nginx and HAProxy (deploy/ configurations); needs both installed
    (`apt-get install -y --no-install-recommends nginx haproxy`), else the tests skip."""
    _install(session)
    _pytest(session, "tests/scaleout")


@nox.session
def reliability(session: nox.Session) -> None:
    """The reliability suite: faults, load and soak on loopback (`-- -k refused` selects cases)."""
    _install(session)
    session.run("python", "-m", "pytest", "tests/reliability", "-q", *session.posargs)


@nox.session
def cli_screens(session: nox.Session) -> None:
    """Re-record the pictures of docs/cli.md from the command (`-- --check`: fail when stale)."""
    _install(session)
    session.run("python", "tools/cli_screens.py", *session.posargs)
