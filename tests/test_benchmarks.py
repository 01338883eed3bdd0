"""The benchmark harness runs end to end (one tiny round, nothing written); no timing is checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # the whole benchmark harness, once, in a fresh interpreter


def test_benchmark_quick_run_prints_the_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--no-write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # bounded: the quick run takes about a minute on 2 busy cores
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "| scenario | client | median | min | max |" in result.stdout
    assert "| target | scenario, client | measured | met |" in result.stdout


def test_decode_benchmark_quick_run_prints_the_table() -> None:
    """The decode benchmark checks both libraries decode every body alike before timing."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.decode", "--quick", "--no-write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| body | bytes | ours µs | ours decoder µs | official µs |")
    bodies = [line.split(" | ")[0].lstrip("| ") for line in lines[2:]]
    assert bodies == [
        "chat stream line",
        "chat final line",
        "list, 20 models",
        "ps, 5 models",
        "show",
    ]
