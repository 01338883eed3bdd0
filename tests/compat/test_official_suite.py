"""The official library's own test suite, run on ours through the import shim.

The sdist's ``tests/`` are copied out of the unpacked sdist (so that its ``ollama`` package is
not importable from the working directory) and run twice in subprocesses: on the official
library, where everything must pass (the harness works), and with ``tests/compat/shim`` first
on ``PYTHONPATH`` (``import ollama`` gives ours), where exactly the tests in
``official_failures.py`` must fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.compat._harness import COMPAT_DIR, REPO_ROOT, SCRIPT_TIMEOUT, SHIM_DIR
from tests.compat.official_failures import EXPECTED_FAILURES


@cache
def outcomes(sources: Path, workdir: Path, shim: bool) -> dict[str, str]:
    variant = workdir / ("ours" if shim else "official")
    shutil.copytree(sources / "tests", variant / "tests")
    report = variant / "report.json"
    paths = [str(COMPAT_DIR / "plugins"), str(REPO_ROOT)]
    if shim:
        paths.insert(0, str(SHIM_DIR))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA_", "PYTEST_"))}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(paths),
            "OLLAMA_COMPAT_REPORT": str(report),
            "NO_PROXY": "*",
        }
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "-q",
            "-p",
            "official_report",
            "-p",
            "no:asyncio",  # a dependency of llama-index-embeddings-ollama; the suite uses anyio
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            "--rootdir",
            str(variant),
        ],
        cwd=variant,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT * 3,
        check=False,
    )
    assert report.exists(), completed.stdout + completed.stderr
    result: dict[str, str] = json.loads(report.read_text(encoding="utf-8"))
    assert result, completed.stdout + completed.stderr
    return result


def _listed(nodeid: str) -> str | None:
    """The entry of ``EXPECTED_FAILURES`` that covers ``nodeid``: the test itself, or its
    function (every parameter). A module entry covers only the module's import error."""
    for key in (nodeid, nodeid.split("[", 1)[0]):
        if key in EXPECTED_FAILURES:
            return key
    return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("official-suite")


def test_official_suite_passes_on_the_official_library(sources: Path, workdir: Path) -> None:
    result = outcomes(sources, workdir, shim=False)
    bad = {nodeid: outcome for nodeid, outcome in result.items() if outcome != "passed"}
    assert not bad
    assert len(result) > 100


def test_official_suite_on_ours_fails_exactly_as_listed(sources: Path, workdir: Path) -> None:
    result = outcomes(sources, workdir, shim=True)
    failing = {nodeid for nodeid, outcome in result.items() if outcome in ("failed", "error")}
    unexpected = sorted(nodeid for nodeid in failing if _listed(nodeid) is None)
    used = {_listed(nodeid) for nodeid in failing}
    fixed = sorted(key for key in EXPECTED_FAILURES if key not in used)
    passed = sum(outcome == "passed" for outcome in result.values())
    summary = f"{passed} passed, {len(failing)} failing"
    assert not unexpected, f"{summary}; failing but not in official_failures.py: {unexpected}"
    assert not fixed, f"{summary}; listed in official_failures.py but passing now: {fixed}"
