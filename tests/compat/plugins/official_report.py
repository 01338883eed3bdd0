"""pytest plugin (``-p official_report``): write each test's outcome to ``$OLLAMA_COMPAT_REPORT``.

Loaded into the run of the official library's test suite, so that ``test_official_suite.py``
can compare outcomes with the committed list of expected failures. A module that cannot be
imported is recorded under its path with the outcome ``error``.
"""

from __future__ import annotations

import json
import os

import pytest

_outcomes: dict[str, str] = {}


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _outcomes[report.nodeid] = "error"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ["OLLAMA_COMPAT_REPORT"]
    with open(path, "w", encoding="utf-8") as file:
        json.dump(_outcomes, file, indent=1, sort_keys=True)
