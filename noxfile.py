"""Every developer task, one session each: `nox -l` lists them.

Sessions install the project with its `dev` extra into their own virtualenv (uv when it is
available, for speed). `nox -s lint typecheck check_generated docs tests` is what CI runs (the README test command).
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "check_generated", "docs", "tests"]

TYPED = ["src", "codegen", "tests/typing"]


def _install(session: nox.Session) -> None:
    session.install("-e", ".[dev]")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright (strict) over the sources, the generator and the typing tests."""
    _install(session)
    session.run("mypy", "--strict", *TYPED)
    session.run("pyright", *TYPED)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pass extra pytest arguments after `--`)."""
    _install(session)
    session.run("python", "-m", "pytest", *(session.posargs or ["-q"]))


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
    session.install("-e", ".[dev,bench]")
    session.run("python", "-m", "benchmarks.run", *session.posargs)


@nox.session
def reliability(session: nox.Session) -> None:
    """The reliability suite: faults, load and soak on loopback (`-- -k refused` selects cases)."""
    _install(session)
    session.run("python", "-m", "pytest", "tests/reliability", "-q", *session.posargs)
